package message

import (
	"fmt"
	"strconv"
)

// maxARC is RFC 8617 §4.2.1's bound on instances.
const maxARC = 50

// arcSet is one instance's three fields, as sent.
type arcSet struct{ seal, ams, aar string }

// arcChain reads the ARC sets and checks their structure (RFC 8617
// §5.1.1): instances 1..N, each with exactly one ARC-Seal,
// ARC-Message-Signature and ARC-Authentication-Results; cv=none at i=1
// and cv=pass after it; a cv=fail anywhere fails the chain (§5.1.2).
// When the structure holds, the result is "unverified" and sets[1..N] are
// the sets, for verifyARC.
func arcChain(fields []field) (res ARCResult, sets []arcSet) {
	byI := map[int]*arcSet{}
	count := map[string]int{}
	fail := func(format string, args ...any) (ARCResult, []arcSet) {
		return ARCResult{Result: "fail", Instances: count["ARC-Seal"], Why: fmt.Sprintf(format, args...)}, nil
	}
	for _, f := range fields {
		var what string
		var slot func(*arcSet) *string
		switch f.name {
		case "arc-seal":
			what, slot = "ARC-Seal", func(s *arcSet) *string { return &s.seal }
		case "arc-message-signature":
			what, slot = "ARC-Message-Signature", func(s *arcSet) *string { return &s.ams }
		case "arc-authentication-results":
			what, slot = "ARC-Authentication-Results", func(s *arcSet) *string { return &s.aar }
		default:
			continue
		}
		count[what]++
		i, err := strconv.Atoi(fieldTags(f.raw)["i"])
		if err != nil || i < 1 || i > maxARC {
			return fail("an %s has no valid i= (1 to %d)", what, maxARC)
		}
		if byI[i] == nil {
			byI[i] = &arcSet{}
		}
		p := slot(byI[i])
		if *p != "" {
			return fail("two %s fields for instance %d", what, i)
		}
		*p = f.raw
	}
	n := count["ARC-Seal"]
	if n+count["ARC-Message-Signature"]+count["ARC-Authentication-Results"] == 0 {
		return ARCResult{Result: "none"}, nil
	}
	if count["ARC-Message-Signature"] != n || count["ARC-Authentication-Results"] != n {
		return fail("%d ARC-Seal, %d ARC-Message-Signature and %d ARC-Authentication-Results fields: every set needs all three",
			n, count["ARC-Message-Signature"], count["ARC-Authentication-Results"])
	}
	sets = make([]arcSet, n+1)
	for i := 1; i <= n; i++ {
		s := byI[i]
		if s == nil || s.seal == "" {
			return fail("instance %d is missing (instances must run 1 to %d)", i, n)
		}
		if s.ams == "" || s.aar == "" {
			return fail("instance %d lacks its ARC-Message-Signature or ARC-Authentication-Results", i)
		}
		cv := fieldTags(s.seal)["cv"]
		switch {
		case cv == "fail":
			return fail("instance %d says cv=fail: the chain was already broken when it was sealed", i)
		case i == 1 && cv != "none":
			return fail("instance 1 has cv=%s, not none", cv)
		case i > 1 && cv != "pass":
			return fail("instance %d has cv=%s, not pass", i, cv)
		}
		sets[i] = *s
	}
	return ARCResult{Result: "unverified", Instances: n}, sets
}
