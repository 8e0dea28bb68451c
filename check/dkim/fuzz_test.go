package dkim

import "testing"

// FuzzParseKey: any key record yields a Key and findings, never a panic;
// a key is either revoked or sized, never both.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"v=DKIM1; k=rsa; p=MIIBIjANBg", "v=DKIM1; p=", "k=ed25519; p=RQ4ov6tmhZZkFcWUuGFleCjjK1tQvflV4DAGhdi0okA=", ";;;", "v=DKIM1; h=sha1:sha256; t=y:s; p=AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, _ := parseKey("s", "s._domainkey.example", s)
		if k == nil || k.Revoked && k.Bits != 0 {
			t.Fatalf("%q: %+v", s, k)
		}
	})
}
