// The message underneath a bounce: line endings, encoded headers, and the
// MIME tree flattened into decoded text leaves (RFC 2045, RFC 2046), in
// bounded memory.

package explain

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// normalize drops an mbox "From " line and makes every line ending (CRLF,
// or a lone CR of classic Mac mail) LF; it copies only when it must.
func normalize(raw string) string {
	raw = LineEndings(raw)
	if strings.HasPrefix(raw, "From ") {
		if i := strings.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	return raw
}

// LineEndings makes CRLF and lone CR line endings LF, copying only when
// there is a CR.
func LineEndings(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return r, nil
	}
	return transform.NewReader(r, enc.NewDecoder()), nil
}

// Limits on what walk keeps of a part, decoded. The input is capped as a
// whole (64 MiB); within it, a delivery-status part is kept whole so that
// every recipient is read (RFC 3464 §2.3: one group per recipient), the
// human text up to textLimit, and the returned original only for its
// headers. Other parts (attachments) are skipped unread.
const (
	textLimit     = 8 << 20
	originalLimit = 1 << 20
	statusLimit   = 64 << 20
)

// keep is how much of a leaf of ctype walk keeps; 0 skips it.
func keep(ctype string) int64 {
	switch {
	case ctype == "message/delivery-status" || ctype == "message/global-delivery-status" || ctype == "message/feedback-report":
		return statusLimit
	case ctype == "message/rfc822" || ctype == "message/global" || ctype == "text/rfc822-headers" || ctype == "message/global-headers":
		return originalLimit
	case strings.HasPrefix(ctype, "text/") || ctype == "application/json":
		return textLimit
	}
	return 0
}

// walk flattens the MIME tree into decoded leaves (RFC 2045, RFC 2046),
// reading multiparts as a stream.
func walk(h textproto.MIMEHeader, body io.Reader, depth int) []part {
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ctype == "" {
		ctype, params = "text/plain", map[string]string{}
	}
	br := bufio.NewReaderSize(body, 4096)
	if h.Get("Content-Type") == "" {
		// The Content-Type was lost (a relay rewrote the headers) but the
		// body may still be a multipart (RFC 2046 §5.1.1): its boundary in
		// the first lines, and its close delimiter further on.
		if head, _ := br.Peek(4096); lostBoundary.Match(preamble(head)) {
			var b strings.Builder
			io.Copy(&b, io.LimitReader(br, statusLimit))
			data := b.String()
			m := lostBoundary.FindSubmatch(preamble([]byte(data[:min(len(data), 4096)])))
			if m != nil && strings.Contains(data, "\n--"+string(m[1])+"--") {
				ctype, params = "multipart/mixed", map[string]string{"boundary": string(m[1])}
			}
			br = bufio.NewReader(strings.NewReader(data))
		}
	}
	if strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" && depth < 8 {
		// What a multipart without parts holds is read as text: keep the
		// start of it while the parts are looked for.
		seen := &capture{r: br, limit: textLimit}
		var out []part
		mr := multipart.NewReader(&unindented{r: bufio.NewReader(seen), delimiter: "--" + params["boundary"]}, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			out = append(out, walk(p.Header, p, depth+1)...)
		}
		if len(out) > 0 {
			return out
		}
		ctype = "text/plain"
		br = bufio.NewReader(io.MultiReader(bytes.NewReader(seen.buf.Bytes()), br))
	}
	limit := keep(ctype)
	if limit == 0 {
		return nil
	}
	var r io.Reader = br
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &unpadded{r: skipSpace{br}})
	case "quoted-printable":
		r = quotedprintable.NewReader(br)
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		r, _ = charsetReader(cs, r)
	}
	var b strings.Builder
	io.Copy(&b, io.LimitReader(r, limit)) // a decoding error keeps what was read
	text := b.String()
	if ctype == "text/html" {
		text = htmlToText(text)
	}
	return []part{{ctype: ctype, text: text}}
}

// capture keeps the first limit bytes read through it.
type capture struct {
	r     io.Reader
	buf   bytes.Buffer
	limit int
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(n, room)])
	}
	return n, err
}

// skipSpace drops the white space that may stand anywhere in base64 text
// (RFC 2045 §6.8: characters outside the alphabet are ignored).
type skipSpace struct{ r io.Reader }

func (s skipSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// unpadded supplies the "=" padding that some encoders leave off, at the
// end of the base64 text.
type unpadded struct {
	r    io.Reader
	n    int
	tail []byte
	done bool
}

func (u *unpadded) Read(p []byte) (int, error) {
	if u.done {
		if len(u.tail) == 0 {
			return 0, io.EOF
		}
		n := copy(p, u.tail)
		u.tail = u.tail[n:]
		return n, nil
	}
	n, err := u.r.Read(p)
	for _, c := range p[:n] {
		if c != '=' {
			u.n++
		} else {
			u.n = 0 // padding given: the count restarts
		}
	}
	if err == io.EOF {
		u.done = true
		if r := u.n % 4; r != 0 {
			u.tail = []byte("===")[:4-r]
		}
		if n > 0 {
			return n, nil
		}
		return u.Read(p)
	}
	return n, err
}

// preamble is the first three non-blank lines of a body: where a
// multipart's first boundary must be, after at most a short preamble.
func preamble(data []byte) []byte {
	n := 0
	for i, c := range data {
		if c == '\n' && i > 0 && data[i-1] != '\n' {
			if n++; n == 3 {
				return data[:i]
			}
		}
	}
	return data
}

var lostBoundary = regexp.MustCompile(`(?m)^--([0-9A-Za-z'()+_,./:=?-]{1,70})\s*$`)

var (
	tags       = regexp.MustCompile(`(?s)<[^>]*>`)
	lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</tr>`)
)

func htmlToText(s string) string {
	s = lineBreaks.ReplaceAllString(s, "\n")
	s = tags.ReplaceAllString(s, " ")
	for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&nbsp;", " "}, {"&quot;", `"`}} {
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	return s
}

// unindented passes a multipart body through with its delimiter lines
// moved to the start of the line: RFC 2046 §5.1.1 puts them there, but
// some MTAs indent the whole body, delimiters too.
type unindented struct {
	r         *bufio.Reader
	delimiter string
	pending   []byte
}

func (u *unindented) Read(p []byte) (int, error) {
	for len(u.pending) == 0 {
		line, err := u.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			u.pending = line // a long line: no delimiter, pass it on
			break
		}
		if trimmed := bytes.TrimLeft(line, " \t"); len(trimmed) < len(line) && bytes.HasPrefix(trimmed, []byte(u.delimiter)) {
			line = trimmed
		}
		u.pending = line
		if err != nil {
			if len(line) == 0 {
				return 0, err
			}
			break
		}
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}
