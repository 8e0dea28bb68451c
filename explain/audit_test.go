package explain

import (
	"regexp"
	"strings"
	"testing"
)

// TestAuditRules holds every alternative of the rules to a source: one of
// Sisimai's phrases for the same reason (sisimailists.go, knowledge.go,
// the MTAs' verdicts of engines.go) that it matches, or a citation of its
// own in ruleSources. A citation no rule uses any more is an error too.
func TestAuditRules(t *testing.T) {
	src := map[string][]string{}
	for _, vs := range engineVerdicts {
		for _, k := range vs {
			src[k.reason] = append(src[k.reason], k.phrases...)
		}
	}
	for _, k := range append(knowledge, sisimaiLists...) {
		src[k.reason] = append(src[k.reason], k.phrases...)
		for _, p := range k.pairs {
			src[k.reason] = append(src[k.reason], p[0]+" … "+p[1])
		}
	}
	used := map[string]bool{}
	all := 0
	for _, r := range rules() {
		for _, a := range alternatives(r.re.String()) {
			all++
			re := regexp.MustCompile(a)
			_, matched := ruleSources[a]
			used[a] = used[a] || matched
			for _, p := range src[r.reason] {
				if !matched && re.MatchString(p) {
					matched = true
				}
			}
			if !matched {
				t.Errorf("%s: %q has no source: cite one in ruleSources, or drop it", r.reason, a)
			}
		}
	}
	for a := range ruleSources {
		if !used[a] {
			t.Errorf("ruleSources cites %q, which no rule has", a)
		}
	}
	t.Logf("%d alternatives, %d of them cited in ruleSources", all, len(ruleSources))
}

// alternatives are the top-level alternatives of a rule's expression,
// "(?:a|b(c|d))" → "a", "b(c|d)".
func alternatives(expr string) []string {
	expr = strings.TrimSuffix(strings.TrimPrefix(expr, "(?:"), ")")
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, expr[start:i])
				start = i + 1
			}
		}
	}
	return append(out, expr[start:])
}
