package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"sync"
	"time"
)

// CA is the lab's certificate authority, made fresh at every start. Tests
// and the demo trust it through Pool; nothing else does.
type CA struct {
	Cert *x509.Certificate
	Pool *x509.CertPool
	key  *ecdsa.PrivateKey
	now  func() time.Time
}

// NewCA makes a CA valid from a year before now() to a year after, so that
// certificates back-dated to look expired were still issued by it.
func NewCA(now func() time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptool lab CA", Organization: []string{"smtptool lab"}},
		NotBefore:             now().AddDate(-1, 0, 0),
		NotAfter:              now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Pool: pool, key: key, now: now}, nil
}

// PEM returns the CA certificate in PEM form, for SSL_CERT_FILE.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// LeafOptions say how a server certificate should be wrong, if at all.
type LeafOptions struct {
	Names      []string      // DNS names; the host's name when right
	NotBefore  time.Duration // relative to now (default -1h)
	NotAfter   time.Duration // relative to now (default 90 days)
	SelfSigned bool          // not issued by the lab CA
	// RSABits, when set, gives the leaf an RSA key of that size instead of
	// ECDSA P-256.
	RSABits int
	// SHA1 signs the leaf with ECDSA-SHA1, which no client may accept.
	SHA1 bool
	// Mark makes a BIMI mark certificate: the BIMI extended key usage and,
	// unless NoLogotype, a logotype extension (RFC 3709).
	Mark, NoLogotype bool
}

// Leaf issues a server certificate with its chain.
func (ca *CA) Leaf(o LeafOptions) (tls.Certificate, error) {
	var key crypto.Signer
	var err error
	if o.RSABits > 0 {
		key, err = rsaKey(o.RSABits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return tls.Certificate{}, err
	}
	if o.NotBefore == 0 {
		o.NotBefore = -time.Hour
	}
	if o.NotAfter == 0 {
		o.NotAfter = 90 * 24 * time.Hour
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.Names[0]},
		DNSNames:     o.Names,
		NotBefore:    now.Add(o.NotBefore),
		NotAfter:     now.Add(o.NotAfter),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if o.SHA1 {
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA1
	}
	if o.Mark {
		tmpl.ExtKeyUsage = nil
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 31}}
		if !o.NoLogotype {
			// An empty LogotypeExtn SEQUENCE: enough to be recognised.
			tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 12}, Value: []byte{0x30, 0x00}}}
		}
	}
	var parent *x509.Certificate = ca.Cert
	var signer crypto.Signer = ca.key
	if o.SelfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	chain := [][]byte{der}
	if !o.SelfSigned {
		chain = append(chain, ca.Cert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key}, nil
}

// rsaKeys are made once per process and size: RSA generation is slow, and
// every lab a test starts would otherwise pay for it.
var rsaKeys sync.Map // int → *rsa.PrivateKey

func rsaKey(bits int) (*rsa.PrivateKey, error) {
	if k, ok := rsaKeys.Load(bits); ok {
		return k.(*rsa.PrivateKey), nil
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, err
	}
	actual, _ := rsaKeys.LoadOrStore(bits, k)
	return actual.(*rsa.PrivateKey), nil
}
