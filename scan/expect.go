package scan

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/check/mtasts"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/check/tlsrpt"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"gopkg.in/yaml.v3"
)

// Expectations are what a domain should publish: a team's policy, kept in
// its repository and checked in CI against drift. Every field is optional.
//
//	mx: [mx1.example.com, mx2.example.com]    # MX hosts that must be there
//	spf:
//	  include: [_spf.google.com]              # includes the record must reach
//	  authorize: [192.0.2.25, 2001:db8::25]   # addresses check_host() must pass
//	  all: [-all, ~all]                       # how the record must end
//	dmarc:
//	  policy: quarantine                      # at least this strong
//	  rua: [mailto:dmarc@example.com]         # report addresses that must be listed
//	  t: n                                    # not in DMARCbis test mode (t=y)
//	dkim:
//	  selectors: [google, s1]                 # keys that must exist, unrevoked
//	mta-sts:
//	  mode: enforce
//	tls-rpt: true                             # a TLS-RPT record must exist
type Expectations struct {
	MX  []string `yaml:"mx"`
	SPF struct {
		Include   []string `yaml:"include"`
		Authorize []string `yaml:"authorize"`
		All       []string `yaml:"all"`
	} `yaml:"spf"`
	DMARC struct {
		Policy string   `yaml:"policy"`
		RUA    []string `yaml:"rua"`
		T      string   `yaml:"t"` // y or n: the t= the record must have
	} `yaml:"dmarc"`
	DKIM struct {
		Selectors []string `yaml:"selectors"`
	} `yaml:"dkim"`
	MTASTS struct {
		Mode string `yaml:"mode"`
	} `yaml:"mta-sts"`
	TLSRPT bool `yaml:"tls-rpt"`

	addrs []netip.Addr
}

var goTypes = regexp.MustCompile(` in type [\w.\[\]*]+`)

// LoadExpectations reads and validates a policy file; unknown keys are errors.
func LoadExpectations(path string) (*Expectations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseExpectations(path, f)
}

// ParseExpectations reads and validates a policy; name is for messages.
func ParseExpectations(path string, r io.Reader) (*Expectations, error) {
	var e Expectations
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		// yaml.v3 names Go types ("field mxx not found in type
		// scan.Expectations"); a user needs the key and the line.
		return nil, fmt.Errorf("%s: %s", path, goTypes.ReplaceAllString(err.Error(), ""))
	}
	for _, a := range e.SPF.Authorize {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("%s: spf.authorize: %q is not an IP address", path, a)
		}
		e.addrs = append(e.addrs, ip)
	}
	for _, q := range e.SPF.All {
		if !slices.Contains([]string{"-all", "~all", "?all", "+all", "all"}, q) {
			return nil, fmt.Errorf("%s: spf.all: %q is not -all, ~all, ?all or +all", path, q)
		}
	}
	if p := e.DMARC.Policy; p != "" && !slices.Contains([]string{"none", "quarantine", "reject"}, p) {
		return nil, fmt.Errorf("%s: dmarc.policy: %q is not none, quarantine or reject", path, p)
	}
	if t := e.DMARC.T; t != "" && t != "y" && t != "n" {
		return nil, fmt.Errorf("%s: dmarc.t: %q is not y or n", path, t)
	}
	if m := e.MTASTS.Mode; m != "" && !slices.Contains([]string{"none", "testing", "enforce"}, m) {
		return nil, fmt.Errorf("%s: mta-sts.mode: %q is not none, testing or enforce", path, m)
	}
	return &e, nil
}

// results are the typed results of one domain's checks.
type results struct {
	mx     *mx.Result
	spf    *spf.Lint
	dmarc  *dmarc.Result
	dkim   *dkim.Result
	mtasts *mtasts.Result
	tlsrpt *tlsrpt.Result
}

func expected(id, msg, fix string) report.Finding {
	return report.Finding{ID: id, Severity: report.Error, Message: msg, Fix: fix, Ref: "the --expect policy file"}
}

// evaluate compares a domain's results with the expectations.
func (e *Expectations) evaluate(ctx context.Context, r dns.Resolver, domain string, res results) *report.Check {
	c := &report.Check{Name: "expect"}
	var hosts []string
	for _, h := range res.mx.Hosts {
		hosts = append(hosts, strings.ToLower(strings.TrimSuffix(h.Name, ".")))
	}
	for _, want := range e.MX {
		if !slices.Contains(hosts, strings.ToLower(strings.TrimSuffix(want, "."))) {
			c.Add(expected("expect.mx-missing", fmt.Sprintf("%s is not an MX host of %s (it has %s)", want, domain, strings.Join(hosts, ", ")),
				fmt.Sprintf("publish %s. MX <preference> %s.", domain, want)))
		}
	}

	includes := spfIncludes(res.spf.Tree)
	for _, want := range e.SPF.Include {
		if !slices.Contains(includes, strings.ToLower(want)) {
			c.Add(expected("expect.spf-include-missing", fmt.Sprintf("the SPF record of %s does not include %s", domain, want),
				fmt.Sprintf("add include:%s to the SPF record", want)))
		}
	}
	for _, ip := range e.addrs {
		ev := spf.CheckHost(ctx, r, spf.Params{IP: ip, Sender: "postmaster@" + domain, Helo: domain, Domain: domain})
		if ev.Result != spf.ResultPass {
			c.Add(expected("expect.spf-not-authorized", fmt.Sprintf("SPF of %s does not authorize %s: %s (%s)", domain, ip, ev.Result, ev.Reason),
				fmt.Sprintf("add ip4:/ip6:%s or its provider's include to the SPF record", ip)))
		}
	}
	if len(e.SPF.All) > 0 {
		got := spfAll(res.spf.Record)
		if !slices.Contains(e.SPF.All, got) && !(got == "+all" && slices.Contains(e.SPF.All, "all")) {
			c.Add(expected("expect.spf-all", fmt.Sprintf("the SPF record of %s ends in %q, not %s", domain, got, strings.Join(e.SPF.All, " or ")),
				"end the record with "+e.SPF.All[0]))
		}
	}

	strength := map[string]int{"none": 0, "quarantine": 1, "reject": 2}
	if want := e.DMARC.Policy; want != "" {
		got := ""
		if res.dmarc.Record != nil {
			got = string(res.dmarc.Policy)
		}
		if got == "" || strength[got] < strength[want] {
			c.Add(expected("expect.dmarc-policy", fmt.Sprintf("the DMARC policy of %s is %q; at least %q is expected", domain, got, want),
				fmt.Sprintf("set p=%s in _dmarc.%s", want, domain)))
		}
	}
	if want := e.DMARC.T; want != "" && res.dmarc.Record != nil && (res.dmarc.Record.Testing != (want == "y")) {
		c.Add(expected("expect.dmarc-testing", fmt.Sprintf("the DMARC record of %s has t=%s; t=%s is expected", domain, map[bool]string{true: "y", false: "n"}[res.dmarc.Record.Testing], want),
			fmt.Sprintf("set t=%s in _dmarc.%s", want, domain)))
	}
	for _, want := range e.DMARC.RUA {
		if res.dmarc.Record == nil || !slices.ContainsFunc(res.dmarc.Record.RUA, func(u string) bool { return strings.EqualFold(u, want) }) {
			c.Add(expected("expect.dmarc-rua-missing", fmt.Sprintf("the DMARC record of %s does not send aggregate reports to %s", domain, want),
				"add it to rua="))
		}
	}

	for _, sel := range e.DKIM.Selectors {
		ok := slices.ContainsFunc(res.dkim.Keys, func(k *dkim.Key) bool { return k.Selector == sel && !k.Revoked })
		if !ok {
			c.Add(expected("expect.dkim-selector-missing", fmt.Sprintf("there is no usable DKIM key at %s._domainkey.%s", sel, domain),
				"publish the key of that selector"))
		}
	}

	if want := e.MTASTS.Mode; want != "" {
		got := ""
		if res.mtasts.Policy != nil {
			got = res.mtasts.Policy.Mode
		}
		if got != want {
			c.Add(expected("expect.mtasts-mode", fmt.Sprintf("the MTA-STS mode of %s is %q, not %q", domain, got, want),
				fmt.Sprintf("serve a policy with mode: %s and update the _mta-sts id=", want)))
		}
	}
	if e.TLSRPT && res.tlsrpt.Record == "" {
		c.Add(expected("expect.tlsrpt-missing", fmt.Sprintf("%s publishes no TLS-RPT record", domain),
			fmt.Sprintf(`publish "v=TLSRPTv1; rua=mailto:..." at _smtp._tls.%s`, domain)))
	}
	return c
}

// spfIncludes lists every include target in the tree, lower case.
func spfIncludes(n *spf.Node) []string {
	var out []string
	if n == nil {
		return nil
	}
	for _, t := range n.Terms {
		if target, ok := strings.CutPrefix(strings.ToLower(strings.TrimLeft(t.Term, "+-~?")), "include:"); ok {
			out = append(out, strings.TrimSuffix(target, "."))
		}
		out = append(out, spfIncludes(t.Child)...)
	}
	return out
}

// spfAll is the record's all mechanism with its qualifier ("-all"), or "".
func spfAll(record string) string {
	rec, err := spf.Parse(record)
	if err != nil {
		return ""
	}
	for _, m := range rec.Mechanisms() {
		if m.Name == "all" {
			return string(rune(m.Qualifier)) + "all"
		}
	}
	return ""
}
