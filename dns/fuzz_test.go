package dns

import (
	"testing"

	mdns "github.com/miekg/dns"
)

// FuzzReply feeds arbitrary bytes as a server's reply to "TXT q.test.":
// it is used only when it answers that question (RFC 5452 §9.1), and
// reading it never panics.
func FuzzReply(f *testing.F) {
	q := new(mdns.Msg)
	q.SetQuestion("q.test.", mdns.TypeTXT)
	add := func(m *mdns.Msg) {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	good := new(mdns.Msg)
	good.SetReply(q)
	rr, _ := mdns.NewRR(`q.test. 300 IN TXT "v=spf1 -all"`)
	good.Answer = []mdns.RR{rr}
	add(good)
	other := good.Copy() // another question
	other.Question[0].Name = "evil.test."
	add(other)
	add(q.Copy()) // the query echoed, QR=0
	upper := good.Copy()
	upper.Question[0].Name = "Q.TEST."
	add(upper)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(mdns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		if answers(m, q.Question[0]) != nil {
			return
		}
		if !m.Response || len(m.Question) != 1 || m.Question[0].Qtype != mdns.TypeTXT || !sameName(m.Question[0].Name, "q.test.") {
			t.Fatalf("a reply to another question was accepted: %v", m.Question)
		}
		if a, err := answerFrom(m, "q.test.", mdns.TypeTXT, "fuzz"); err == nil {
			for _, rr := range a.Records {
				if rr.Header().Rrtype != mdns.TypeTXT {
					t.Fatalf("a record of another type was kept: %v", rr)
				}
			}
		}
	})
}
