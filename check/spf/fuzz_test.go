package spf

import "testing"

// FuzzParse: any TXT string parses or fails with a SyntaxError; what
// parses has only known mechanisms and valid CIDR lengths.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 a mx ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com ~all",
		"v=spf1 a:%{d}/24//64 exists:%{ir}.%{l1r-}.%{d2}._spf.example.com redirect=_spf.example.com",
		"v=spf1 exp=%{r}.example.com", "v=spf1 ip4:1.2.3.4/33", "v=spf1 %{", "v=SPF1 ?ALL", "v=spf1 foo=%%%_%-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := Parse(s)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("%q: error of type %T", s, err)
			}
			return
		}
		for _, m := range rec.Mechanisms() {
			if m.CIDR4 > 32 || m.CIDR6 > 128 || m.Name == "" {
				t.Fatalf("%q: bad mechanism %+v", s, m)
			}
		}
	})
}
