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
	// DANE is the TLSA usage that authenticated the host, "DANE-EE" or
	// "DANE-TA", when one did.
	DANE string `json:"dane_authenticated,omitempty"`
	// State is kept for DANE matching; not part of the output.
	State tls.ConnectionState `json:"-"`
	// Scan is what --tls-scan's handshakes found the server to accept.
	Scan []ScanResult `json:"scan,omitempty"`
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
	Expired  bool   `json:"expired,omitempty"` // past NotAfter at the probe's clock
	Key      string `json:"key"`
	SHA256   string `json:"sha256"`
}

// tlsConfig accepts any certificate during the handshake: the probe
// verifies it afterwards so that it can say exactly what is wrong, and
// allows TLS 1.0 so that it can report servers stuck there. An offer
// restricts what is offered, for the --tls-scan handshakes.
func tlsConfig(serverName string, o *offer) *tls.Config {
	c := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified by analyseTLS, not skipped
		MinVersion:         tls.VersionTLS10,
		// What a sending MTA offers (Postfix's default "medium" list):
		// crypto/tls's secure suites and static RSA key exchange with AES,
		// which crypto/tls counts as insecure, so that a server offering
		// only those is reached and reported, not just refused.
		CipherSuites: mtaSuites,
	}
	if o != nil {
		c.CipherSuites, c.MaxVersion = o.suites, o.max
		if o.min != 0 {
			c.MinVersion = o.min
		}
	}
	return c
}

var mtaSuites = func() []uint16 {
	var ids []uint16
	for _, cs := range tls.CipherSuites() {
		ids = append(ids, cs.ID)
	}
	return append(ids, staticRSA.suites...)
}()

// The renewal point: tls.cert-expiring warns when less than a third of
// the certificate's own lifetime remains, which is when ACME clients renew
// (RFC 8555 leaves the time to the client; certbot and Let's Encrypt's
// guidance renew at a third of the lifetime left), and always in its last
// two days.
const (
	RenewAtFraction = 3
	ExpiringAlways  = 2 * 24 * time.Hour
)

// expiring reports whether c is past its renewal point at now.
func expiring(c *x509.Certificate, now time.Time) bool {
	left := c.NotAfter.Sub(now)
	return left < c.NotAfter.Sub(c.NotBefore)/RenewAtFraction || left < ExpiringAlways
}

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
			Message: fmt.Sprintf("the certificate for %s expired on %s (%s ago)", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days(-wholeDays(leaf.NotAfter, now))),
			Fix:     "renew the certificate and reload the mail server", Ref: "RFC 5280 §4.1.2.5",
		})
	case now.Before(leaf.NotBefore):
		findings = append(findings, report.Finding{
			ID: "tls.cert-expired", Severity: report.Error,
			Message: fmt.Sprintf("the certificate for %s is not valid before %s", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.DateTime)),
			Fix:     "check the server's clock and the certificate's dates", Ref: "RFC 5280 §4.1.2.5",
		})
	case expiring(leaf, now):
		lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
		findings = append(findings, report.Finding{
			ID: "tls.cert-expiring", Severity: report.Warning,
			Message: fmt.Sprintf("the certificate for %s expires on %s, in %s: less than a third of its %d-day lifetime is left, when renewal should have happened",
				leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly), days(wholeDays(leaf.NotAfter, now)), int(lifetime/(24*time.Hour))),
			Fix: "renew it now; check that automatic renewal works and reloads the mail server", Ref: "RFC 5280 §4.1.2.5, Let's Encrypt Integration Guide (renew with a third of the lifetime left)",
		})
	}

	// The chain must lead to a trusted root, every certificate of it valid
	// now (RFC 5280 §6.1.3 (a)(2)). The leaf's own dates are reported
	// above, so a leaf that is only expired is not also called untrusted:
	// the chain is built again at a moment inside the leaf's validity, and
	// then every other certificate of it must still be valid now.
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	verify := func(at time.Time) ([][]*x509.Certificate, error) {
		return leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at})
	}
	_, err := verify(now)
	info.Trusted = err == nil
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		if invalid.Cert != nil && !invalid.Cert.Equal(leaf) {
			err = chainDateError(invalid.Cert, now)
		} else {
			var chains [][]*x509.Certificate
			if chains, err = verify(within(leaf, now)); err == nil {
				err = invalidNow(chains, now)
			} else if errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil && !invalid.Cert.Equal(leaf) {
				err = chainDateError(invalid.Cert, now)
			}
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

	findings = append(findings, chainStrength(st.PeerCertificates)...)
	// RFC 9325 §4.1: only cipher suites with forward secrecy (ECDHE or DHE
	// key exchange; all of TLS 1.3's) are recommended.
	if st.Version <= tls.VersionTLS12 && !forwardSecret(st.CipherSuite) {
		findings = append(findings, report.Finding{
			ID: "tls.no-forward-secrecy", Severity: report.Warning,
			Message: fmt.Sprintf("the server chose %s: static RSA key exchange, so whoever gets the server's key later can decrypt recorded sessions", info.Cipher),
			Fix:     "prefer ECDHE cipher suites and enable TLS 1.3 (Postfix: tls_preempt_cipherlist = yes, and keep the default ciphers)",
			Ref:     "RFC 9325 §4.1",
		})
	}

	// RFC 8996: TLS 1.0 and 1.1 are deprecated.
	if st.Version < tls.VersionTLS12 {
		findings = append(findings, report.Finding{
			ID: "tls.version-old", Severity: report.Warning,
			Message: fmt.Sprintf("the server negotiated %s, which is deprecated and refused by modern clients", info.Version),
			Fix:     "enable TLS 1.2 and 1.3 on the mail server (Postfix: smtpd_tls_protocols = >=TLSv1.2)",
			Ref:     "RFC 8996 §2, §3",
		})
	}
	return info, findings
}

// within is the moment of the leaf's validity nearest to now.
func within(leaf *x509.Certificate, now time.Time) time.Time {
	switch {
	case now.Before(leaf.NotBefore):
		return leaf.NotBefore
	case now.After(leaf.NotAfter):
		return leaf.NotAfter
	}
	return now
}

// invalidNow returns the error for chains none of which has every
// certificate but the leaf valid now, naming the first such certificate.
func invalidNow(chains [][]*x509.Certificate, now time.Time) error {
	var first *x509.Certificate
	for _, chain := range chains {
		var bad *x509.Certificate
		for _, c := range chain[1:] {
			if now.Before(c.NotBefore) || now.After(c.NotAfter) {
				bad = c
				break
			}
		}
		if bad == nil {
			return nil
		}
		if first == nil {
			first = bad
		}
	}
	if first == nil {
		return nil
	}
	return chainDateError(first, now)
}

// chainDateError names a CA certificate of the chain that is not valid now.
func chainDateError(c *x509.Certificate, now time.Time) error {
	role := "intermediate"
	if c.Subject.String() == c.Issuer.String() {
		role = "root"
	}
	if now.Before(c.NotBefore) {
		return fmt.Errorf("the %s certificate %q is not valid before %s", role, c.Subject.String(), c.NotBefore.UTC().Format(time.DateTime))
	}
	return fmt.Errorf("the %s certificate %q expired on %s (%s ago)", role, c.Subject.String(), c.NotAfter.UTC().Format(time.DateOnly), days(-wholeDays(c.NotAfter, now)))
}

// chainStrength judges the keys and signatures of the chain the server
// sent. The root, whose own signature nobody checks, is left out.
func chainStrength(chain []*x509.Certificate) []report.Finding {
	var fs []report.Finding
	for i, c := range chain {
		root := i > 0 && c.Subject.String() == c.Issuer.String()
		if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			// NIST SP 800-131A Rev. 2 §3, RFC 9325 §4.5 (2048 at least).
			fs = append(fs, report.Finding{
				ID: "tls.key-weak", Severity: report.Warning,
				Message: fmt.Sprintf("certificate %d (%s) has a %d-bit RSA key; 2048 bits is the least", i, c.Subject.CommonName, k.N.BitLen()),
				Fix:     "issue the certificate with a 2048-bit (or larger) RSA key, or an ECDSA P-256 key",
				Ref:     "RFC 9325 §4.5, NIST SP 800-131A Rev. 2",
			})
		}
		if !root && (c.SignatureAlgorithm == x509.SHA1WithRSA || c.SignatureAlgorithm == x509.ECDSAWithSHA1 || c.SignatureAlgorithm == x509.DSAWithSHA1) {
			fs = append(fs, report.Finding{
				ID: "tls.sha1-signature", Severity: report.Warning,
				Message: fmt.Sprintf("certificate %d (%s) is signed with %s: SHA-1 signatures are forgeable, and clients refuse them", i, c.Subject.CommonName, c.SignatureAlgorithm),
				Fix:     "reissue the certificate with a SHA-256 signature",
				Ref:     "RFC 9155 §2, NIST SP 800-131A Rev. 2",
			})
		}
	}
	return fs
}

// forwardSecret reports a cipher suite with ephemeral key exchange; every
// TLS 1.3 suite is.
func forwardSecret(suite uint16) bool {
	return !strings.HasPrefix(tls.CipherSuiteName(suite), "TLS_RSA_")
}

func describe(c *x509.Certificate, now time.Time) Cert {
	sum := sha256.Sum256(c.Raw)
	return Cert{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		DaysLeft: wholeDays(c.NotAfter, now), Expired: now.After(c.NotAfter),
		Key: keyDescription(c), SHA256: hex.EncodeToString(sum[:]),
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

// wholeDays is the whole days from now to t, rounded toward zero: the one
// day count of every message and of days_left (negative once past).
func wholeDays(t, now time.Time) int { return int(t.Sub(now) / (24 * time.Hour)) }

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
