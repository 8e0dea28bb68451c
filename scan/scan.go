// Package scan runs every check of a mail domain at once: mx, dnssec,
// spf, dmarc, dkim, mta-sts, tls-rpt, bimi, dane and the blocklists, and
// optionally the SMTP probe of its MX hosts. Each area lives in its own
// package under check/; Domain only wires them together so that what
// needs the MX hosts waits for them and everything else starts at once.
package scan

import (
	"context"
	"crypto/x509"
	"slices"
	"sync"
	"time"

	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/check/dnsbl"
	"github.com/smtptool/smtptool/check/mtasts"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/check/policy"
	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/dns"
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
	// MTASTSPort is the policy host's port (default 443).
	MTASTSPort int
	// Timeout bounds network operations such as the policy fetch.
	Timeout time.Duration
	// Probe, when set, walks an SMTP session to every MX host with these options.
	Probe *probe.RunOptions
	// Expect, when set, adds the "expect" check of what the domain must publish.
	Expect *Expectations
}

// Domain checks one domain. A check that could not reach its verdict
// carries an inconclusive finding (report.LookupFailed).
func Domain(ctx context.Context, r dns.Resolver, domain string, o Options) *report.Report {
	var mxCheck *report.Check
	var mxRes *mx.Result
	mxDone := make(chan struct{})
	go func() {
		defer close(mxDone)
		mxCheck, mxRes = mx.Check(ctx, r, domain, mx.Options{AllowPrivate: o.AllowPrivate})
	}()
	mxNames := func() []string {
		<-mxDone
		var names []string
		for _, h := range mxRes.Hosts {
			names = append(names, h.Name)
		}
		return names
	}

	bl := dnsbl.Options{SendPrivate: o.BlocklistPrivate}
	sts := mtasts.Options{Port: o.MTASTSPort, RootCAs: o.RootCAs, Timeout: o.Timeout}
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
	var res results
	var spfC, dmarcC, dkimC, stsC, rptC, bimiC, daneC, domainBL *report.Check
	var ipBL []*report.Check
	var probed *report.Report
	var wg sync.WaitGroup
	wg.Go(func() { spfC, res.spf = spf.Check(ctx, r, domain) })
	wg.Go(func() { dkimC, res.dkim = dkim.Check(ctx, r, domain, selectors) })
	wg.Go(func() {
		rptC = policy.CheckTLSRPT(ctx, r, domain)
		res.tlsrpt = rptC.Data.(*policy.TLSRPT)
	})
	wg.Go(func() { domainBL = dnsbl.CheckDomain(ctx, r, domain, bl) })
	wg.Go(func() {
		stsC = mtasts.Check(ctx, r, domain, mxNames, sts)
		res.mtasts = stsC.Data.(*mtasts.Result)
	})
	wg.Go(func() {
		dmarcC, res.dmarc = dmarc.Check(ctx, r, domain)
		state := policy.DMARCState{}
		if d := res.dmarc; d.Record != nil {
			state = policy.DMARCState{Known: true, Policy: string(d.Policy), Percent: d.Record.Percent, Inherits: d.Inherited}
		}
		bimiC = policy.CheckBIMI(ctx, r, domain, state)
	})
	wg.Go(func() { daneC = dane.Check(ctx, r, mxNames()) })
	wg.Go(func() {
		<-mxDone
		addrs := dnsbl.MXAddresses(mxRes)
		ipBL = make([]*report.Check, len(addrs))
		var inner sync.WaitGroup
		for i, ip := range addrs {
			inner.Go(func() { ipBL[i] = dnsbl.CheckIP(ctx, r, ip, bl) })
		}
		inner.Wait()
	})
	if o.Probe != nil {
		wg.Go(func() {
			if <-mxDone; len(dnsbl.MXAddresses(mxRes)) > 0 {
				probed, _ = probe.Run(ctx, r, domain, *o.Probe)
			}
		})
	}
	<-mxDone
	wg.Wait()

	rep := &report.Report{Command: "check", Target: domain}
	rep.Checks = append(rep.Checks, mxCheck, dane.DNSSEC(mxRes, dns.Address(r)), spfC, dmarcC, dkimC, stsC, rptC, bimiC, daneC)
	rep.Checks = append(rep.Checks, ipBL...)
	rep.Checks = append(rep.Checks, domainBL)
	if probed != nil {
		rep.Checks = append(rep.Checks, probed.Checks...)
	}
	if o.Expect != nil {
		res.mx = mxRes
		rep.Checks = append(rep.Checks, o.Expect.evaluate(ctx, r, domain, res))
	}
	return rep
}
