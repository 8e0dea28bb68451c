package explain

import (
	"strings"
	"testing"
)

func TestEveryRequiredCodeIsExplained(t *testing.T) {
	for _, code := range []int{421, 450, 451, 452, 454, 530, 535, 550, 551, 552, 553, 554} {
		info, known := Code(code)
		if !known || info.Meaning == "" || info.Action == "" || info.Ref == "" {
			t.Errorf("%d: %+v", code, info)
		}
	}
	for d := 0; d <= 30; d++ {
		if info, ok := LookupEnhanced(Enhanced{5, 7, d}); !ok || info.Meaning == "" || info.Ref == "" {
			t.Errorf("5.7.%d: %+v", d, info)
		}
	}
}

func TestExplain(t *testing.T) {
	for in, want := range map[string]string{
		"550":    "550 means the mailbox is unavailable",
		"5.7.26": "5.7.26 means multiple authentication checks failed",
		"4.2.2":  "4.2.2 means the mailbox is full (transient",
		"550-5.1.1 The email account that you tried to reach does not exist":                                                      "550 5.1.1 means bad destination mailbox address",
		"Nov 22 host postfix/smtp[1]: to=<a@b>, status=bounced (host x said: 554 5.7.1 Service unavailable; client host blocked)": "554 5.7.1 means delivery not authorized",
		"421 4.7.0 [TSS04] Messages temporarily deferred":                                                                         "421 4.7.0 means other or undefined security status (transient",
		"550 6.1.1 bogus enhanced": "550 means",
		"5.9.99":                   "5.9.99 means",
	} {
		r, err := Explain(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := r.Sentence(); !strings.HasPrefix(got, want) && !strings.Contains(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "hello", "600", "1.2.3", "5.1", "abc 550x"} {
		if _, err := Explain(bad); err == nil {
			t.Errorf("%q should not be explained", bad)
		}
	}
}

func FuzzExplain(f *testing.F) {
	for _, s := range []string{"550", "5.7.26", "550-5.1.1 x", "421 4.7.0 y", "said: 554 5.7.1 z", "", "999", "5.999.999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Explain(in)
		if err != nil {
			return
		}
		if r.Meaning == "" || r.Ref == "" || r.Code != 0 && (r.Code < 200 || r.Code > 559) {
			t.Fatalf("%q: incomplete explanation %+v", in, r)
		}
		_ = r.Sentence()
	})
}
