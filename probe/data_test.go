package probe

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// RFC 5321 §4.5.2: any line ending becomes CRLF, leading dots are doubled,
// and the content ends with CRLF "." CRLF.
func TestWriteDotStuffed(t *testing.T) {
	for in, want := range map[string]string{
		"":                          ".\r\n",
		"a":                         "a\r\n.\r\n",
		"a\n":                       "a\r\n.\r\n",
		"a\r\nb\r\n":                "a\r\nb\r\n.\r\n",
		"a\rb\r":                    "a\r\nb\r\n.\r\n", // classic Mac line endings
		".x\n..y\nz.\n.":            "..x\r\n...y\r\nz.\r\n..\r\n.\r\n",
		"a\r\r\nb":                  "a\r\n\r\nb\r\n.\r\n",
		"Subject: t\n\n.\nend\n":    "Subject: t\r\n\r\n..\r\nend\r\n.\r\n",
		"\r\n.\r\nQUIT\r\n":         "\r\n..\r\nQUIT\r\n.\r\n",
		strings.Repeat("x", 100000): strings.Repeat("x", 100000) + "\r\n.\r\n",
	} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := writeDotStuffed(w, strings.NewReader(in)); err != nil || w.Flush() != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%.40q: got %.60q, want %.60q", in, b.String(), want)
		}
	}
}

// A large message is streamed: what is allocated does not grow with it.
func TestDataIsStreamedInBoundedMemory(t *testing.T) {
	const size = 32 << 20
	msg := io.NewSectionReader(zeroLines{}, 0, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := bufio.NewWriterSize(io.Discard, 32<<10)
	if err := writeDotStuffed(w, msg); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("streaming %d MiB allocated %d bytes", size>>20, got)
	}
}

// zeroLines reads as lines of x's, at any offset.
type zeroLines struct{}

func (zeroLines) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		if (off+int64(i))%80 == 79 {
			p[i] = '\n'
		} else {
			p[i] = 'x'
		}
	}
	return len(p), nil
}
