package lab

import (
	"crypto/tls"
	"encoding/pem"
	"net"
	"net/http"
	"strings"
	"time"
)

// HTTPSIP is the address of the lab's HTTPS host (MTA-STS policies, BIMI
// logos and mark certificates at bimi.good.test).
const HTTPSIP = "127.0.0.60"

// policy is what the lab serves at https://mta-sts.<domain>/.well-known/mta-sts.txt.
type policy struct {
	status      int
	contentType string
	body        string
	location    string
}

// stsPolicies are the lab's MTA-STS policies, by domain: good.test's is
// right, every other is wrong in the way its name says.
var stsPolicies = map[string]policy{
	"good.test":            {200, "text/plain", "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.good.test\r\nmax_age: 604800\r\n", ""},
	"mtasts-redirect.test": {301, "text/plain", "", "https://elsewhere.test/mta-sts.txt"},
	"mtasts-invalid.test":  {200, "text/plain", "version: STSv1\nmode: maybe\nmx: mx1.good.test\nmax_age: 86400\n", ""},
	"mtasts-mismatch.test": {200, "text/plain", "version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 86400\n", ""},
	"mtasts-testing.test":  {200, "text/plain", "version: STSv1\nmode: testing\nmx: *.good.test\nmax_age: 86400\n", ""},
	"mtasts-html.test":     {200, "text/html", "<html>not a policy</html>", ""},
	"mtasts-none.test":     {200, "text/plain", "version: STSv1\nmode: none\nmax_age: 86400\n", ""},
	"mtasts-shortage.test": {200, "text/plain", "version: STSv1\nmode: enforce\nmx: *.good.test\nmax_age: 3600\n", ""},
	"mtasts-longage.test":  {200, "text/plain", "version: STSv1\nmode: enforce\nmx: mx1.good.test\nmax_age: 31557601\n", ""},
	"mtasts-deep.test":     {200, "text/plain", "version: STSv1\nmode: enforce\nmx: *.good.test\nmax_age: 604800\n", ""},
}

// startHTTPS serves the MTA-STS policies on HTTPSIP at a free port.
func (l *Lab) startHTTPS() error {
	var names []string
	for d := range stsPolicies {
		names = append(names, "mta-sts."+d)
	}
	names = append(names, "mta-sts.mtasts-unavail.test", bimiHost)
	cert, err := l.CA.Leaf(LeafOptions{Names: names})
	if err != nil {
		return err
	}
	files, err := l.bimiFiles()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", HTTPSIP+":0")
	if err != nil {
		return err
	}
	l.HTTPSPort = ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := strings.Cut(r.Host, ":")
			if host == bimiHost {
				f, ok := files[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", f.contentType)
				w.Write([]byte(f.body))
				return
			}
			p, ok := stsPolicies[strings.TrimPrefix(host, "mta-sts.")]
			if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", p.contentType)
			if p.location != "" {
				w.Header().Set("Location", p.location)
			}
			w.WriteHeader(p.status)
			w.Write([]byte(p.body))
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	go srv.ServeTLS(ln, "", "")
	l.closers = append(l.closers, srv.Close)
	return nil
}

// bimiHost serves the lab's BIMI logos and mark certificates.
const bimiHost = "bimi.good.test"

// tinyPS is an SVG Tiny Portable/Secure logo.
const tinyPS = `<?xml version="1.0" encoding="UTF-8"?>
<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <title>smtptool lab</title>
  <rect width="100" height="100" fill="#1a73e8"/>
</svg>
`

// bimiFiles are what bimi.good.test serves: a right logo and mark
// certificate, and ones wrong in one way each.
func (l *Lab) bimiFiles() (map[string]policy, error) {
	mark := func(o LeafOptions) (string, error) {
		c, err := l.CA.Leaf(o)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, der := range c.Certificate {
			pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
		}
		return b.String(), nil
	}
	vmc, err := mark(LeafOptions{Names: []string{"good.test"}, Mark: true})
	if err != nil {
		return nil, err
	}
	noLogotype, err := mark(LeafOptions{Names: []string{"good.test"}, Mark: true, NoLogotype: true})
	if err != nil {
		return nil, err
	}
	return map[string]policy{
		"/logo.svg":  {200, "image/svg+xml", tinyPS, ""},
		"/plain.svg": {200, "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/><script>alert(1)</script></svg>`, ""},
		"/vmc.pem":   {200, "application/x-pem-file", vmc, ""},
		"/plain.pem": {200, "application/x-pem-file", noLogotype, ""},
	}, nil
}
