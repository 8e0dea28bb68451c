package validate_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/lab"
)

// fuzzWorld is a signed world answered in-process: every response the
// validator would get, ready to be spoiled.
type fuzzWorld struct {
	once    sync.Once
	answers map[string][]byte // "name TYPE" → packed response
	anchors []mdns.RR
}

var fw fuzzWorld

func (w *fuzzWorld) load(f *testing.F) {
	w.once.Do(func() {
		z := lab.NewZone()
		if err := z.Parse(strings.NewReader(signedWorld), ".", "world"); err != nil {
			f.Fatal(err)
		}
		s, err := lab.StartDNS(z)
		if err != nil {
			f.Fatal(err)
		}
		defer s.Close()
		c, _ := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: 5 * time.Second})
		rec := recorder{c: c, got: map[string][]byte{}}
		v := validate.New(&rec, z.TrustAnchors(), nil)
		for _, q := range fuzzQuestions {
			v.Validate(context.Background(), q.name, q.qtype)
		}
		w.answers, w.anchors = rec.got, z.TrustAnchors()
	})
}

var fuzzQuestions = []struct {
	name  string
	qtype uint16
}{
	{"good.test", mdns.TypeMX}, {"nothing.good.test", mdns.TypeA}, {"unsigned.test", mdns.TypeMX},
	{"nothing.nsec3.test", mdns.TypeA}, {"child.optout.test", mdns.TypeMX}, {"alias.good.test", mdns.TypeA},
}

type recorder struct {
	c   *dns.Client
	mu  sync.Mutex
	got map[string][]byte
}

func (r *recorder) QueryDNSSEC(ctx context.Context, name string, qtype uint16) (*mdns.Msg, error) {
	m, err := r.c.QueryDNSSEC(ctx, name, qtype)
	if err == nil {
		b, _ := m.Copy().Pack() // the client's cached message is shared: never packed in place
		r.mu.Lock()
		r.got[mdns.CanonicalName(name)+" "+mdns.TypeToString[qtype]] = b
		r.mu.Unlock()
	}
	return m, err
}

// replay answers from the recorded responses, one of them replaced.
type replay struct {
	answers map[string][]byte
	spoil   string
	with    []byte
}

func (r replay) QueryDNSSEC(_ context.Context, name string, qtype uint16) (*mdns.Msg, error) {
	key := mdns.CanonicalName(name) + " " + mdns.TypeToString[qtype]
	b, ok := r.answers[key]
	if key == r.spoil {
		b = r.with
	}
	m := new(mdns.Msg)
	if !ok || m.Unpack(b) != nil {
		return nil, &dns.LookupError{Name: name, Type: mdns.TypeToString[qtype], Err: dns.ErrServerFailure}
	}
	m.SetQuestion(mdns.CanonicalName(name), qtype) // the client checks the question; the validator need not
	return m, nil
}

// FuzzValidate replaces one response of a signed world with arbitrary
// bytes: whatever they are, validation ends, quickly, without a panic, and
// a verdict of bogus always gives a reason.
func FuzzValidate(f *testing.F) {
	fw.load(f)
	for key, b := range fw.answers {
		f.Add(key, b)
	}
	f.Fuzz(func(t *testing.T, key string, b []byte) {
		r := replay{answers: fw.answers, spoil: key, with: b}
		v := validate.New(r, fw.anchors, nil)
		for _, q := range fuzzQuestions {
			res := v.Validate(context.Background(), q.name, q.qtype)
			if res.Status == validate.Bogus && res.Reason == "" {
				t.Errorf("%s %s: bogus without a reason", q.name, mdns.TypeToString[q.qtype])
			}
		}
	})
}
