// Package scan runs every check of a mail domain at once: mx, dnssec,
// spf, dmarc, dkim, mta-sts, tls-rpt, bimi, dane and the blocklists, and
// optionally the SMTP probe of its MX hosts. Each area lives in its own
// package under check/; Domain only wires them together so that what
// needs the MX hosts waits for them and everything else starts at once.
package scan

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/bimi"
	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/check/dnsbl"
	"github.com/smtptool/smtptool/check/dnssec"
	"github.com/smtptool/smtptool/check/mtasts"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/check/tlsrpt"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
)

// Options tune a domain check.
type Options struct {
	// AllowPrivate accepts loopback, private and reserved MX addresses and
	// sends them to the blocklists (internal systems, the lab).
	AllowPrivate bool
	// BlocklistPrivate sends such addresses to the blocklists too, for
	// lists of your own; AllowPrivate alone never sends them to a list.
	BlocklistPrivate bool
	// Selectors are the DKIM selectors to check; none sweeps the common ones.
	Selectors []string
	// RootCAs verify the MTA-STS policy host; nil means the system's.
	RootCAs *x509.CertPool
	// MTASTSPort is the port of the HTTPS hosts of MTA-STS policies and
	// BIMI documents (default 443; the lab has its own).
	MTASTSPort int
	// Timeout bounds network operations such as the policy fetch.
	Timeout time.Duration
	// Probe, when set, walks an SMTP session to every MX host with these options.
	Probe *probe.RunOptions
	// Expect, when set, adds the "expect" check of what the domain must publish.
	Expect *Expectations
	// Validator, when set, validates DNSSEC for the dnssec and dane checks
	// (and the probe's DANE) instead of trusting the resolver's AD bit.
	Validator *validate.Validator
}

// Domain checks one domain. Every area runs at once; those that need the
// MX hosts wait for them. A check that could not reach its verdict carries
// an inconclusive finding (report.LookupFailed).
func Domain(ctx context.Context, r dns.Resolver, domain string, o Options) *report.Report {
	// RFC 8020 §2: nothing exists below a name that does not exist. The MX
	// question is asked first; after NXDOMAIN nothing else is, and the
	// report is the one finding (mx.Check reads the cached answer).
	ans, err := r.Lookup(ctx, domain, mdns.TypeMX)
	if err == nil && ans.NXDomain() {
		return nonexistent(ctx, r, domain, o)
	}
	// A validating resolver answers SERVFAIL to every question about a
	// domain whose DNSSEC is bogus (RFC 4035 §5.5): that is the verdict,
	// and nothing else can be checked through it.
	if err != nil && errors.Is(err, dns.ErrServerFailure) && o.Validator != nil {
		if v := dnssec.Validate(ctx, o.Validator, domain); v.Status == validate.Bogus {
			return bogus(ctx, r, domain, o, v, err)
		}
	}
	var res results
	var mxFindings []report.Finding
	// The MX answer's DNSSEC verdict, judged once for the dnssec and dane
	// checks, begun beside the MX check.
	validated := sync.OnceValue(func() *validate.Result { return dnssec.Validate(ctx, o.Validator, domain) })
	go validated()
	mxDone := make(chan struct{})
	go func() {
		defer close(mxDone)
		res.mx, mxFindings = mx.Check(ctx, r, domain, mx.Options{AllowPrivate: o.AllowPrivate})
	}()
	mxNames := func() []string {
		<-mxDone
		var names []string
		for _, h := range res.mx.Hosts {
			names = append(names, h.Name)
		}
		return names
	}
	// The TLSA lookups need only the MX targets, which the MX answer
	// gives (cached, asked once) long before the MX check has every
	// address and PTR; an implicit MX is the mx check's to tell.
	mxTargets := func() []string {
		var names []string
		if ans, err := r.Lookup(ctx, domain, mdns.TypeMX); err == nil {
			for _, m := range dns.Records[*mdns.MX](ans) {
				if t := mdns.CanonicalName(m.Mx); t != "." && !slices.Contains(names, t) {
					names = append(names, t)
				}
			}
		}
		if len(names) == 0 {
			return mxNames()
		}
		return names
	}

	bl := dnsbl.Options{SendPrivate: o.BlocklistPrivate}
	sts := mtasts.Options{Port: o.MTASTSPort, RootCAs: o.RootCAs, Timeout: o.Timeout, MXHosts: mxNames}
	selectors := o.Selectors
	if o.Expect != nil && len(o.Expect.DKIM.Selectors) > 0 {
		// The expected selectors are checked along with the given or common ones.
		if len(selectors) == 0 {
			selectors = dkim.CommonSelectors
		}
		for _, s := range o.Expect.DKIM.Selectors {
			if !slices.Contains(selectors, s) {
				selectors = append(slices.Clone(selectors), s)
			}
		}
	}
	// Each goroutine writes only its own variables.
	var spfC, dmarcC, dkimC, stsC, rptC, bimiC, daneC, domainBL *report.Check
	var ipBL []*report.Check
	var probed *report.Report
	var wg sync.WaitGroup
	wg.Go(func() {
		var fs []report.Finding
		res.spf, fs = spf.Check(ctx, r, domain, spf.Options{})
		spfC = report.NewCheck(spf.Name, res.spf, fs)
	})
	wg.Go(func() {
		var fs []report.Finding
		res.dkim, fs = dkim.Check(ctx, r, domain, dkim.Options{Selectors: selectors})
		dkimC = report.NewCheck(dkim.Name, res.dkim, fs)
	})
	wg.Go(func() {
		var fs []report.Finding
		res.tlsrpt, fs = tlsrpt.Check(ctx, r, domain, tlsrpt.Options{})
		rptC = report.NewCheck(tlsrpt.Name, res.tlsrpt, fs)
	})
	wg.Go(func() {
		d, fs := dnsbl.Check(ctx, r, domain, bl)
		domainBL = report.NewCheck(dnsbl.Name(d.Subject), d, fs)
	})
	wg.Go(func() {
		var fs []report.Finding
		res.mtasts, fs = mtasts.Check(ctx, r, domain, sts)
		stsC = report.NewCheck(mtasts.Name, res.mtasts, fs)
	})
	dmarcDone := make(chan struct{})
	wg.Go(func() {
		defer close(dmarcDone)
		var fs []report.Finding
		res.dmarc, fs = dmarc.Check(ctx, r, domain, dmarc.Options{})
		dmarcC = report.NewCheck(dmarc.Name, res.dmarc, fs)
	})
	wg.Go(func() {
		state := func() bimi.DMARCState {
			<-dmarcDone
			if d := res.dmarc; d.Record != nil {
				return bimi.DMARCState{Known: true, Policy: string(d.Policy), Percent: d.Record.Percent, Inherits: d.Inherited}
			}
			return bimi.DMARCState{}
		}
		b, bfs := bimi.Check(ctx, r, domain, bimi.Options{DMARC: state, Fetch: true, Port: o.MTASTSPort, RootCAs: o.RootCAs, Timeout: o.Timeout})
		bimiC = report.NewCheck(bimi.Name, b, bfs)
	})
	wg.Go(func() {
		d, fs := dane.Check(ctx, r, domain, dane.Options{MXHosts: mxTargets, Validator: o.Validator, MXValidated: validated})
		daneC = report.NewCheck(dane.Name, d, fs)
	})
	wg.Go(func() {
		<-mxDone
		addrs := dnsbl.MXAddresses(res.mx)
		ipBL = make([]*report.Check, len(addrs))
		var inner sync.WaitGroup
		for i, ip := range addrs {
			inner.Go(func() {
				d, fs := dnsbl.CheckIP(ctx, r, ip, bl)
				ipBL[i] = report.NewCheck(dnsbl.Name(d.Subject), d, fs)
			})
		}
		inner.Wait()
	})
	if o.Probe != nil {
		wg.Go(func() {
			if <-mxDone; len(dnsbl.MXAddresses(res.mx)) > 0 {
				probed, _ = probe.Run(ctx, r, domain, *o.Probe)
			}
		})
	}
	<-mxDone
	wg.Wait()

	sec, secFindings := dnssec.Check(ctx, r, domain, dnssec.Options{MX: res.mx, Validated: validated()})
	rep := &report.Report{Command: "check", Target: domain}
	rep.Checks = append(rep.Checks, report.NewCheck(mx.Name, res.mx, mxFindings), report.NewCheck(dnssec.Name, sec, secFindings),
		spfC, dmarcC, dkimC, stsC, rptC, bimiC, daneC)
	rep.Checks = append(rep.Checks, ipBL...)
	rep.Checks = append(rep.Checks, domainBL)
	if probed != nil {
		rep.Checks = append(rep.Checks, probed.Checks...)
	}
	if o.Expect != nil {
		rep.Checks = append(rep.Checks, o.Expect.evaluate(ctx, r, domain, res))
	}
	return rep
}

// skippedAreas are the checks a domain that does not exist gets, in the
// order of a full report.
var skippedAreas = []string{dnssec.Name, spf.Name, dmarc.Name, dkim.Name, mtasts.Name, tlsrpt.Name, bimi.Name, dane.Name}

// nonexistent is the report of a domain that does not exist: its mx check
// says so (domain.nxdomain), and every other check is skipped.
func nonexistent(ctx context.Context, r dns.Resolver, domain string, o Options) *report.Report {
	res, fs := mx.Check(ctx, r, domain, mx.Options{AllowPrivate: o.AllowPrivate})
	return withSkipped(ctx, r, domain, o, res, report.NewCheck(mx.Name, res, fs), nil, "the domain does not exist")
}

// bogus is the report of a domain whose MX answer fails DNSSEC validation
// and that the resolver therefore refuses: the dnssec check says why, and
// every other check is skipped (dnssec.bogus, not an inconclusive lookup).
func bogus(ctx context.Context, r dns.Resolver, domain string, o Options, v *validate.Result, lookupErr error) *report.Report {
	why := "DNSSEC validation of the domain fails (see dnssec): validating resolvers answer SERVFAIL"
	sec := report.NewCheck(dnssec.Name, &dnssec.Result{Validation: v}, []report.Finding{dnssec.Bogus(domain+" MX", v, lookupErr)})
	return withSkipped(ctx, r, domain, o, &mx.Result{Domain: domain}, report.NewCheck(mx.Name, report.Skipped{Reason: why}, nil), sec, why)
}

// withSkipped is a report of the mx check (and the dnssec check, when
// given) with every other area skipped for why.
func withSkipped(ctx context.Context, r dns.Resolver, domain string, o Options, res *mx.Result, mxC, secC *report.Check, why string) *report.Report {
	rep := &report.Report{Command: "check", Target: domain, Checks: []*report.Check{mxC}}
	skip := report.Skipped{Reason: why}
	for _, name := range append(skippedAreas, dnsbl.Name(strings.ToLower(strings.TrimSuffix(domain, ".")))) {
		if name == dnssec.Name && secC != nil {
			rep.Checks = append(rep.Checks, secC)
			continue
		}
		rep.Checks = append(rep.Checks, report.NewCheck(name, skip, nil))
	}
	if o.Expect != nil {
		rep.Checks = append(rep.Checks, o.Expect.evaluate(ctx, r, domain, results{mx: res, spf: &spf.Lint{Domain: domain}, dmarc: &dmarc.Result{Domain: domain},
			dkim: &dkim.Result{Domain: domain}, mtasts: &mtasts.Result{}, tlsrpt: &tlsrpt.Result{}}))
	}
	return rep
}
