package validate

import (
	"slices"
	"testing"
)

// RFC 4034 §6.1's own example of names in canonical order.
func TestCanonicalOrderIsRFC4034s(t *testing.T) {
	want := []string{"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
		"z.example.", `\001.z.example.`, "*.z.example.", `\200.z.example.`}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, CompareNames)
	if !slices.Equal(got, want) {
		t.Errorf("canonical order:\n got %v\nwant %v", got, want)
	}
}
