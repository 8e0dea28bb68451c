package probe

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"time"

	"github.com/smtptool/smtptool/report"
)

// TLSInfo describes the TLS session and the certificate chain presented.
type TLSInfo struct {
	Version string `json:"version"`
	Cipher  string `json:"cipher"`
	// Chain is the chain as the server sent it, leaf first.
	Chain []Cert `json:"chain"`
	// Trusted is set when the chain verifies now: trusted and unexpired.
	Trusted     bool   `json:"trusted"`
	TrustError  string `json:"trust_error,omitempty"`
	Name        string `json:"name,omitempty"` // the name the certificate must carry
	NameMatches bool   `json:"name_matches"`
	// State is kept for DANE matching; not part of the output.
	State tls.ConnectionState `json:"-"`
}

// Cert is one certificate of the chain.
type Cert struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dns_names,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is the whole days until NotAfter at the probe's clock.
	DaysLeft int    `json:"days_left"`
	Key      string `json:"key"`
	SHA256   string `json:"sha256"`
}

// tlsConfig accepts any certificate during the handshake: the probe
// verifies it afterwards so that it can say exactly what is wrong, and
// allows TLS 1.0 so that it can report servers stuck there.
func tlsConfig(serverName string) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified by analyseTLS, not skipped
		MinVersion:         tls.VersionTLS10,
	}
}

// ExpiringWithin is when tls.cert-expiring warns.
const ExpiringWithin = 14 * 24 * time.Hour

// analyseTLS verifies the chain against roots (nil: the system's, so
// SSL_CERT_FILE works) at now, and the leaf against name.
func analyseTLS(st tls.ConnectionState, name string, roots *x509.CertPool, now time.Time) (*TLSInfo, []report.Finding) {
	info := &TLSInfo{
		Version: tls.VersionName(st.Version),
		Cipher:  tls.CipherSuiteName(st.CipherSuite),
		Name:    name,
		State:   st,
	}
	var findings []report.Finding
	if len(st.PeerCertificates) == 0 {
		return info, []report.Finding{{
			ID: "tls.cert-untrusted", Severity: report.Error,
			Message: "the server presented no certificate",
			Fix:     "configure a certificate for the mail server", Ref: "RFC 8446 §4.4.2",
		}}
	}
	for _, c := range st.PeerCertificates {
		info.Chain = append(info.Chain, describe(c, now))
	}
	leaf := st.PeerCertificates[0]

	// RFC 5280 §4.1.2.5: the validity period.
	switch {
	case now.After(leaf.NotAfter):
		findings = append(findings, report.Finding{
			ID: "tls.cert-expired", Severity: report.Error,
			Message: fmt.Sprintf("the certificate for %s expired on %s (%s ago)", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days(now.Sub(leaf.NotAfter))),
			Fix:     "renew the certificate and reload the mail server", Ref: "RFC 5280 §4.1.2.5",
		})
	case now.Before(leaf.NotBefore):
		findings = append(findings, report.Finding{
			ID: "tls.cert-expired", Severity: report.Error,
			Message: fmt.Sprintf("the certificate for %s is not valid before %s", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.DateTime)),
			Fix:     "check the server's clock and the certificate's dates", Ref: "RFC 5280 §4.1.2.5",
		})
	case leaf.NotAfter.Sub(now) < ExpiringWithin:
		findings = append(findings, report.Finding{
			ID: "tls.cert-expiring", Severity: report.Warning,
			Message: fmt.Sprintf("the certificate for %s expires on %s, in %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days(leaf.NotAfter.Sub(now))),
			Fix:     "renew it now; check that automatic renewal works and reloads the mail server", Ref: "RFC 5280 §4.1.2.5",
		})
	}

	// The chain must lead to a trusted root. An expired certificate is
	// reported above; it is not also called untrusted when the chain is
	// otherwise sound, so verify again inside the leaf's validity.
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	verify := func(at time.Time) error {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at})
		return err
	}
	err := verify(now)
	info.Trusted = err == nil
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		if err2 := verify(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)); err2 == nil || errors.As(err2, &invalid) && invalid.Reason == x509.Expired {
			err = nil
		} else {
			err = err2
		}
	}
	if err != nil {
		info.TrustError = err.Error()
		why := "the chain does not lead to a trusted root"
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) && leaf.Issuer.String() == leaf.Subject.String() {
			why = "the certificate is self-signed"
		}
		findings = append(findings, report.Finding{
			ID: "tls.cert-untrusted", Severity: report.Error,
			Message: fmt.Sprintf("%s (%v): senders that verify (MTA-STS, DANE-less strict TLS) will not deliver", why, err),
			Fix:     "use a certificate from a public CA (e.g. Let's Encrypt) and serve the full chain, intermediates included",
			Ref:     "RFC 8461 §4.2, RFC 5280 §6",
		})
	}

	// RFC 8461 §4.2 and RFC 7672 §3.2.2: the certificate must name the MX host.
	if name != "" {
		info.NameMatches = leaf.VerifyHostname(name) == nil
		if !info.NameMatches {
			findings = append(findings, report.Finding{
				ID: "tls.cert-name-mismatch", Severity: report.Error,
				Message: fmt.Sprintf("the certificate names %s, not %s", certNames(leaf), name),
				Fix:     fmt.Sprintf("issue a certificate whose subjectAltName includes %s", name),
				Ref:     "RFC 8461 §4.2, RFC 6125 §6",
			})
		}
	}

	// RFC 8996: TLS 1.0 and 1.1 are deprecated.
	if st.Version < tls.VersionTLS12 {
		findings = append(findings, report.Finding{
			ID: "tls.version-old", Severity: report.Warning,
			Message: fmt.Sprintf("the server negotiated %s, which is deprecated and refused by modern clients", info.Version),
			Fix:     "enable TLS 1.2 and 1.3 on the mail server (Postfix: smtpd_tls_protocols = >=TLSv1.2)",
			Ref:     "RFC 8996",
		})
	}
	return info, findings
}

func describe(c *x509.Certificate, now time.Time) Cert {
	sum := sha256.Sum256(c.Raw)
	return Cert{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		DaysLeft: int(math.Floor(c.NotAfter.Sub(now).Hours() / 24)),
		Key:      keyDescription(c), SHA256: hex.EncodeToString(sum[:]),
	}
}

func keyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

func certNames(c *x509.Certificate) string {
	names := c.DNSNames
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{c.Subject.CommonName}
	}
	return strings.Join(names, ", ")
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// isIP reports whether a target is an address literal (no name to match).
func isIP(host string) bool { return net.ParseIP(strings.Trim(host, "[]")) != nil }
