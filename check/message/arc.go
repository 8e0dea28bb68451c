package message

import (
	"fmt"
	"net/mail"
	"strconv"
)

// maxARC is RFC 8617 §4.2.1's bound on instances.
const maxARC = 50

// arcChain checks the ARC sets' structure (RFC 8617 §5.1.1): instances
// 1..N, each with exactly one ARC-Seal, ARC-Message-Signature and
// ARC-Authentication-Results; cv=none at i=1 and cv=pass after it; a
// cv=fail anywhere fails the chain (§5.1.2).
func arcChain(h mail.Header) ARCResult {
	seals, sigs, results := h["Arc-Seal"], h["Arc-Message-Signature"], h["Arc-Authentication-Results"]
	if len(seals)+len(sigs)+len(results) == 0 {
		return ARCResult{Result: "none"}
	}
	fail := func(format string, args ...any) ARCResult {
		return ARCResult{Result: "fail", Instances: len(seals), Why: fmt.Sprintf(format, args...)}
	}
	count := func(fields []string, what string) (map[int]string, error) {
		byI := map[int]string{}
		for _, f := range fields {
			i, err := strconv.Atoi(tagMap(f)["i"])
			if err != nil || i < 1 || i > maxARC {
				return nil, fmt.Errorf("an %s has no valid i= (1 to %d)", what, maxARC)
			}
			if _, dup := byI[i]; dup {
				return nil, fmt.Errorf("two %s fields for instance %d", what, i)
			}
			byI[i] = f
		}
		return byI, nil
	}
	as, err := count(seals, "ARC-Seal")
	if err != nil {
		return fail("%v", err)
	}
	if _, err := count(sigs, "ARC-Message-Signature"); err != nil {
		return fail("%v", err)
	}
	aar, err := count(results, "ARC-Authentication-Results")
	if err != nil {
		return fail("%v", err)
	}
	n := len(seals)
	if len(sigs) != n || len(aar) != n {
		return fail("%d ARC-Seal, %d ARC-Message-Signature and %d ARC-Authentication-Results fields: every set needs all three", n, len(sigs), len(aar))
	}
	for i := 1; i <= n; i++ {
		seal, ok := as[i]
		if !ok {
			return fail("instance %d is missing (instances must run 1 to %d)", i, n)
		}
		cv := tagMap(seal)["cv"]
		switch {
		case cv == "fail":
			return fail("instance %d says cv=fail: the chain was already broken when it was sealed", i)
		case i == 1 && cv != "none":
			return fail("instance 1 has cv=%s, not none", cv)
		case i > 1 && cv != "pass":
			return fail("instance %d has cv=%s, not pass", i, cv)
		}
	}
	return ARCResult{Result: "unverified", Instances: n, Why: "the structure and cv= values hold; the seals' and message signatures' cryptography is not verified"}
}
