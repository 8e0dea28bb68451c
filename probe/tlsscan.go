package probe

// The --tls-scan handshakes: what a mail server accepts beyond what it
// negotiates with a modern client. Each handshake offers only one kind of
// thing a server should refuse; what it accepts is a finding. They are
// few (five at most) and each has the probe's timeout.

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/smtptool/smtptool/report"
)

// offer is what one scan handshake offers.
type offer struct {
	name     string
	suites   []uint16
	min, max uint16
}

// ScanResult is the outcome of one scan handshake.
type ScanResult struct {
	Offered  string `json:"offered"`
	Accepted bool   `json:"accepted"`
	Version  string `json:"version,omitempty"`
	Cipher   string `json:"cipher,omitempty"`
	Error    string `json:"error,omitempty"`
}

var (
	rc4 = offer{name: "RC4", max: tls.VersionTLS12, suites: []uint16{
		tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA}}
	tripleDES = offer{name: "3DES", max: tls.VersionTLS12, suites: []uint16{
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}
	staticRSA = offer{name: "static RSA key exchange", max: tls.VersionTLS12, suites: []uint16{
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}}
	tls10 = offer{name: "TLS 1.0", min: tls.VersionTLS10, max: tls.VersionTLS10}
	tls11 = offer{name: "TLS 1.1", min: tls.VersionTLS11, max: tls.VersionTLS11}
)

// scanTLS runs the scan handshakes against a server that reached TLS:
// each a new session up to STARTTLS (or implicit TLS) with one offer.
func scanTLS(ctx context.Context, srv Server, opts Options) []ScanResult {
	offers := []offer{rc4, tripleDES, staticRSA, tls10, tls11}
	srv.dial = nil // the walk's own connection is spent; each scan dials anew
	out := make([]ScanResult, 0, len(offers))
	for _, o := range offers {
		if ctx.Err() != nil {
			break
		}
		sub := opts
		sub.TLSScan, sub.Auth, sub.Mail, sub.Rcpts, sub.RelayRcpt, sub.Data = false, nil, false, nil, "", nil
		sub.StartTLS = StartTLSRequire
		sub.QuitAfter = StepStartTLS
		sub.offer = &o
		res := Walk(ctx, srv, sub)
		r := ScanResult{Offered: o.name}
		switch {
		case res.TLS != nil:
			r.Accepted, r.Version, r.Cipher = true, res.TLS.Version, res.TLS.Cipher
		default:
			for _, st := range res.Steps {
				if st.Error != "" {
					r.Error = st.Error
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// scanFindings turns what the server accepted into findings.
func scanFindings(info *TLSInfo) []report.Finding {
	var fs []report.Finding
	for _, r := range info.Scan {
		if !r.Accepted {
			continue
		}
		switch r.Offered {
		case rc4.name:
			fs = append(fs, report.Finding{ID: "tls.cipher-weak", Severity: report.Error,
				Message: fmt.Sprintf("the server accepts RC4 (%s, %s), which TLS servers must never select", r.Cipher, r.Version),
				Fix:     "remove RC4 from the server's cipher list (Postfix: smtpd_tls_exclude_ciphers = RC4, 3DES, aNULL, eNULL, EXPORT)",
				Ref:     "RFC 7465 §2"})
		case tripleDES.name:
			fs = append(fs, report.Finding{ID: "tls.cipher-weak", Severity: report.Warning,
				Message: fmt.Sprintf("the server accepts 3DES (%s, %s): a 64-bit block cipher open to Sweet32", r.Cipher, r.Version),
				Fix:     "remove 3DES from the server's cipher list (Postfix: smtpd_tls_exclude_ciphers = 3DES, RC4, aNULL, eNULL, EXPORT)",
				Ref:     "RFC 9325 §4.1"})
		case staticRSA.name:
			fs = append(fs, report.Finding{ID: "tls.no-forward-secrecy", Severity: report.Warning,
				Message: fmt.Sprintf("the server accepts static RSA key exchange (%s) from a client that offers nothing else: those sessions have no forward secrecy", r.Cipher),
				Fix:     "offer only ECDHE (and TLS 1.3) cipher suites, if no old sender you need depends on RSA key exchange",
				Ref:     "RFC 9325 §4.1"})
		case tls10.name, tls11.name:
			if r.Version == info.Version {
				continue // the session itself negotiated it: already said
			}
			fs = append(fs, report.Finding{ID: "tls.version-old", Severity: report.Warning,
				Message: fmt.Sprintf("the server still accepts %s (%s), which is deprecated", r.Version, r.Cipher),
				Fix:     "disable TLS 1.0 and 1.1 (Postfix: smtpd_tls_protocols = >=TLSv1.2)",
				Ref:     "RFC 8996 §2, §3"})
		}
	}
	return fs
}
