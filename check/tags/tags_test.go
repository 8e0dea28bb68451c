package tags

import (
	"fmt"
	"testing"
)

func TestSplit(t *testing.T) {
	for in, want := range map[string]string{
		"v=DMARC1; p=reject;":        "[{v DMARC1} {p reject}] []",
		" ; v = STSv1 ;id=1; ;":      "[{v STSv1} {id 1}] []",
		"k=rsa; p=MIIB IjAN":         "[{k rsa} {p MIIB IjAN}] []",
		"v=TLSRPTv1; oops; =x; rua=": "[{v TLSRPTv1} {rua }] [oops =x]",
		"":                           "[] []",
	} {
		list, bad := Split(in)
		if got := fmt.Sprint(list, bad); got != want && !(len(list) == 0 && len(bad) == 0 && want == "[] []") {
			t.Errorf("Split(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzVersioned(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:a@b.example")
	f.Add(";=;v")
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := Versioned(s, "TLSRPTv1")
		if err == nil && len(tags) > 0 && tags["v"] != "TLSRPTv1" {
			t.Fatalf("%q: %v", s, tags)
		}
	})
}
