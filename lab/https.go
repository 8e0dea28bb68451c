package lab

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"time"
)

// HTTPSIP is the address of the lab's HTTPS host (MTA-STS policies).
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
	names = append(names, "mta-sts.mtasts-unavail.test")
	cert, err := l.CA.Leaf(LeafOptions{Names: names})
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
