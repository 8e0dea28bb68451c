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
