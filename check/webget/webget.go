// Package webget fetches the small HTTPS documents that mail DNS records
// point to (an MTA-STS policy, RFC 8461 §3.3; a BIMI logo and its mark
// certificate) the way their specifications ask: HTTPS with a verified
// certificate, no redirects followed, status 200, a size limit and a
// timeout. The host's address is looked up through the tool's resolver,
// so that --resolver is the only server asked.
package webget

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/smtptool/smtptool/dns"
)

// Options say how to fetch.
type Options struct {
	// Port replaces the URL's port (443): for test labs.
	Port int
	// RootCAs verify the host; nil means the system's roots.
	RootCAs *x509.CertPool
	// Timeout bounds the whole fetch (default 10s).
	Timeout time.Duration
	// MaxSize is the largest body read; a larger one is an error.
	MaxSize int64
}

// Document is a fetched body and its media type.
type Document struct {
	MediaType string
	Body      []byte
}

// Get fetches an https:// URL.
func Get(ctx context.Context, r dns.Resolver, rawURL string, o Options) (*Document, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an https:// URL", rawURL)
	}
	if o.Port != 0 {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(o.Port))
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	dialer := &net.Dialer{}
	client := &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				h, port, _ := net.SplitHostPort(addr)
				a := dns.LookupAddrs(ctx, r, h)
				if len(a.Addrs) == 0 {
					if err := a.Failed(); err != nil {
						return nil, err
					}
					return nil, fmt.Errorf("%s has no address", h)
				}
				var last error
				for _, ip := range a.Addrs {
					c, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
					if err == nil {
						return c, nil
					}
					last = err
				}
				return nil, last
			},
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, fmt.Errorf("it redirects (HTTP %d to %s), and redirects must not be followed", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %d, not 200", resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > o.MaxSize {
		return nil, fmt.Errorf("it is larger than %d KiB", o.MaxSize>>10)
	}
	return &Document{MediaType: mt, Body: body}, nil
}
