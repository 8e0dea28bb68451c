// Package message analyses one received message: why it was delivered,
// junked or refused. It reads the path (the Received fields, RFC 5321
// §4.4), evaluates SPF for the address that handed the message to the
// receiving organisation (RFC 7208), verifies every DKIM signature
// (RFC 6376, with RFC 8301's algorithm rules), evaluates DMARC alignment
// and the disposition a receiver would apply (RFC 7489 §4, §6.6), reads
// the ARC chain (RFC 8617 §5.2: structure, newest message signature and
// every seal), and compares each verdict
// with what the receivers recorded in Authentication-Results (RFC 8601).
package message

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/smtptool/smtptool/check/bimi"
	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Name is the check's name in reports.
const Name = "message"

// Options say which hop is the receiving organisation's and what to
// override.
type Options struct {
	// MTA is the receiving MTA's host name: the topmost Received field
	// whose "by" is it gives the client. Empty: TrustReceived.
	MTA string
	// TrustReceived is the 1-based Received field that gives the client
	// (default 1, the topmost).
	TrustReceived int
	// IP, Helo and Sender override what the message says.
	IP     netip.Addr
	Helo   string
	Sender string
}

// Client is who handed the message to the receiving organisation.
type Client struct {
	IP     netip.Addr `json:"ip,omitzero"`
	Helo   string     `json:"helo,omitempty"`
	Sender string     `json:"sender"`
	Hop    int        `json:"hop"` // the 1-based Received field it comes from
}

// DKIMResult is one signature's verdict.
type DKIMResult struct {
	Domain    string `json:"domain"`
	Selector  string `json:"selector"`
	Algorithm string `json:"algorithm"`
	Bits      int    `json:"bits,omitempty"`
	Result    string `json:"result"` // pass, fail, temperror
	Reason    string `json:"reason,omitempty"`
}

// DMARCResult is the DMARC evaluation of the From: domain.
type DMARCResult struct {
	Domain      string `json:"domain"`
	PolicyAt    string `json:"policy_domain,omitempty"`
	Policy      string `json:"policy,omitempty"`
	Result      string `json:"result"` // pass, fail, none, temperror, permerror
	SPFAligned  bool   `json:"spf_aligned"`
	DKIMAligned bool   `json:"dkim_aligned"`
	Percent     int    `json:"pct,omitempty"`
	Disposition string `json:"disposition,omitempty"` // none, quarantine, reject
	Why         string `json:"why,omitempty"`
}

// ARCResult is the ARC chain's validation (RFC 8617 §5.2).
type ARCResult struct {
	// Result is none (no ARC sets), pass (the newest message signature
	// and every seal verify), fail (sets missing or repeated, a cv=fail,
	// or a signature that does not verify) or temperror (a key could
	// not be looked up).
	Result     string `json:"result"`
	Instances  int    `json:"instances"`
	OldestPass int    `json:"oldest_pass,omitempty"`
	Why        string `json:"why,omitempty"`
}

// Receiver is one Authentication-Results field.
type Receiver struct {
	AuthServID string            `json:"authserv_id"`
	Results    map[string]string `json:"results"` // method → result
	// Differs says, per method where smtptool's verdict is not the
	// receiver's, what smtptool found and why (a message changed after
	// the receiver judged it, a key rotated since, or a receiver's error).
	Differs map[string]string `json:"differs,omitempty"`
}

// Result is what the analysis found; the check's JSON data.
type Result struct {
	Path   []Hop           `json:"path"`
	Client Client          `json:"client"`
	SPF    *spf.Evaluation `json:"spf,omitempty"`
	DKIM   []DKIMResult    `json:"dkim"`
	DMARC  *DMARCResult    `json:"dmarc,omitempty"`
	ARC    ARCResult       `json:"arc"`
	// BIMI is the From: domain's BIMI record, looked up when DMARC passes
	// at enforcement, as a receiver that shows logos does.
	BIMI      *bimi.Result `json:"bimi,omitempty"`
	Receivers []Receiver   `json:"receivers"`
}

// slowHop is when a hop's delay is worth saying.
const slowHop = 5 * time.Minute

// Analyze reads a message and evaluates it. An error is a message that
// does not parse.
func Analyze(ctx context.Context, r dns.Resolver, raw []byte, o Options) (*Result, []report.Finding, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("message: %w", err)
	}
	res := &Result{Path: []Hop{}, DKIM: []DKIMResult{}, Receivers: []Receiver{}}
	var fs report.Findings

	// The path, newest first.
	for i, v := range msg.Header["Received"] {
		h := ParseReceived(v)
		res.Path = append(res.Path, h)
		if h.Problem != "" {
			fs.Add(report.Finding{ID: "message.received-invalid", Severity: report.Info,
				Message: fmt.Sprintf("Received field %d cannot be read whole: %s", i+1, h.Problem),
				Fix:     "nothing to do for the message; the relay that wrote it does not follow RFC 5321 §4.4", Ref: "RFC 5321 §4.4"})
		}
	}
	fs.Add(delays(res.Path)...)

	// Who handed it over, and as whom.
	res.Client = client(res.Path, o)
	if o.Sender != "" {
		res.Client.Sender = o.Sender
	} else if rp := msg.Header.Get("Return-Path"); rp != "" {
		res.Client.Sender = strings.Trim(strings.TrimSpace(rp), "<>")
	}
	if o.IP.IsValid() {
		res.Client.IP = o.IP
	}
	if o.Helo != "" {
		res.Client.Helo = o.Helo
	}
	if res.Client.IP.IsValid() {
		res.SPF = spf.CheckHost(ctx, r, spf.Params{IP: res.Client.IP, Sender: res.Client.Sender, Helo: res.Client.Helo})
		if res.SPF.Result == spf.ResultFail || res.SPF.Result == spf.ResultSoftFail {
			fs.Add(report.Finding{ID: "message.spf-fail", Severity: report.Warning,
				Message: fmt.Sprintf("SPF for %s is %s for the sender %q: %s", res.Client.IP, res.SPF.Result, res.Client.Sender, res.SPF.Reason),
				Fix:     fmt.Sprintf("if %s sends for %s, add it to %s's SPF record; if the message was forwarded, rely on DKIM (and ARC)", res.Client.IP, res.SPF.Domain, res.SPF.Domain),
				Ref:     "RFC 7208 §2.6"})
		}
	}

	// DKIM, every signature.
	dkimFs, results := verifyDKIM(ctx, r, raw, msg.Header)
	res.DKIM = append(res.DKIM, results...)
	fs.Add(dkimFs...)

	// DMARC for the From: domain.
	from, fromErr := fromDomain(msg.Header)
	if fromErr != nil {
		fs.Add(report.Finding{ID: "message.from-invalid", Severity: report.Error,
			Message: fmt.Sprintf("DMARC cannot be evaluated: %v", fromErr),
			Fix:     "send with exactly one address in From:", Ref: "RFC 7489 §6.6.1"})
	} else {
		res.DMARC, dkimFs = evaluateDMARC(ctx, r, from, res)
		fs.Add(dkimFs...)
		// draft-brand-indicators-for-message-identification §4.3: a logo is shown only for mail that passes DMARC
		// under an enforced policy (quarantine or reject, pct=100).
		if d := res.DMARC; d.Result == "pass" && (d.Policy == "quarantine" || d.Policy == "reject") {
			var bfs []report.Finding
			res.BIMI, bfs = bimi.Check(ctx, r, from, bimi.Options{DMARC: bimi.Given(bimi.DMARCState{
				Known: true, Policy: d.Policy, Percent: d.Percent, Inherits: !strings.EqualFold(d.PolicyAt, from)})})
			fs.Add(bfs...)
		}
	}

	fields, body := splitMessage(raw)
	var sets []arcSet
	if res.ARC, sets = arcChain(fields); sets != nil {
		var err error
		if res.ARC, err = verifyARC(ctx, r, fields, body, sets); err != nil {
			fs.Add(report.LookupFailed(err))
		}
	}
	if res.ARC.Result == "fail" {
		fs.Add(report.Finding{ID: "message.arc-broken", Severity: report.Warning,
			Message: "the ARC chain is broken: " + res.ARC.Why,
			Fix:     "an intermediary sealed the message wrongly (or it was altered after); receivers cannot rely on its ARC results", Ref: "RFC 8617 §5.2"})
	}

	for _, v := range msg.Header["Authentication-Results"] {
		id, rs, err := authres.Parse(v)
		if err != nil {
			continue
		}
		rec := Receiver{AuthServID: id, Results: map[string]string{}}
		for _, x := range rs {
			switch x := x.(type) {
			case *authres.SPFResult:
				rec.Results["spf"] = string(x.Value)
			case *authres.DKIMResult:
				rec.Results["dkim"] = string(x.Value)
			case *authres.DMARCResult:
				rec.Results["dmarc"] = string(x.Value)
			case *authres.GenericResult:
				if strings.EqualFold(x.Method, "arc") {
					rec.Results["arc"] = string(x.Value)
				}
			}
		}
		rec.Differs = res.differences(rec.Results)
		res.Receivers = append(res.Receivers, rec)
	}
	return res, fs, nil
}

// differences compares a receiver's results (RFC 8601 §2.7) with ours.
func (res *Result) differences(theirs map[string]string) map[string]string {
	ours := map[string][2]string{} // method → verdict, why
	if res.SPF != nil {
		ours["spf"] = [2]string{string(res.SPF.Result), res.SPF.Reason}
	}
	dkimVerdict := [2]string{"none", "the message has no DKIM signature"}
	for _, d := range res.DKIM {
		if d.Result == "pass" {
			dkimVerdict = [2]string{"pass", "d=" + d.Domain + " verifies"}
			break
		}
		if dkimVerdict[0] == "none" {
			dkimVerdict = [2]string{d.Result, "d=" + d.Domain + ": " + d.Reason}
		}
	}
	ours["dkim"] = dkimVerdict
	if res.DMARC != nil {
		ours["dmarc"] = [2]string{res.DMARC.Result, res.DMARC.Why}
	}
	ours["arc"] = [2]string{res.ARC.Result, res.ARC.Why}
	out := map[string]string{}
	for m, v := range theirs {
		o, ok := ours[m]
		if !ok || strings.EqualFold(o[0], v) {
			continue
		}
		out[m] = fmt.Sprintf("smtptool says %s=%s", m, o[0])
		if o[1] != "" {
			out[m] += ": " + o[1]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// delays computes each hop's delay from the one below, naming slow hops
// and times that go backwards.
func delays(path []Hop) []report.Finding {
	var fs []report.Finding
	for i := 0; i+1 < len(path); i++ {
		newer, older := &path[i], path[i+1]
		if newer.At.IsZero() || older.At.IsZero() {
			continue
		}
		d := newer.At.Sub(older.At)
		newer.DelayS = d.Seconds()
		switch {
		case d < -time.Minute:
			fs = append(fs, report.Finding{ID: "message.received-invalid", Severity: report.Info,
				Message: fmt.Sprintf("Received field %d is dated %s before the field below it: a clock is wrong (%s or %s)", i+1, -d, newer.By, older.By),
				Fix:     "check the clocks (NTP) of the relays named", Ref: "RFC 5321 §4.4"})
		case d > slowHop:
			fs = append(fs, report.Finding{ID: "message.hop-slow", Severity: report.Info,
				Message: fmt.Sprintf("the hop from %s to %s took %s", older.By, newer.By, d.Round(time.Second)),
				Fix:     fmt.Sprintf("check the queue of %s at that time (deferrals, greylisting, a slow content filter)", older.By), Ref: "RFC 5321 §4.4"})
		}
	}
	return fs
}

// client is the hop that handed the message to the receiving
// organisation: the topmost Received field by --mta, or the
// --trust-received'th, or the topmost.
func client(path []Hop, o Options) Client {
	n := max(o.TrustReceived, 1)
	if o.MTA != "" {
		for i, h := range path {
			if strings.EqualFold(strings.TrimSuffix(h.By, "."), strings.TrimSuffix(o.MTA, ".")) {
				n = i + 1
				break
			}
		}
	}
	if n > len(path) {
		return Client{}
	}
	h := path[n-1]
	return Client{IP: h.FromIP, Helo: h.From, Hop: n}
}

func fromDomain(h mail.Header) (string, error) {
	froms := h["From"]
	if len(froms) != 1 {
		return "", fmt.Errorf("the message has %d From: fields", len(froms))
	}
	list, err := mail.ParseAddressList(froms[0])
	if err != nil {
		return "", fmt.Errorf("From: does not parse (%v)", err)
	}
	if len(list) != 1 {
		return "", fmt.Errorf("From: has %d addresses", len(list))
	}
	_, d, _ := strings.Cut(list[0].Address, "@")
	return strings.ToLower(d), nil
}

// verifyDKIM verifies every signature with go-msgauth (which applies
// RFC 8301: no rsa-sha1, and the key's h=) and adds what it does not
// judge: t=s (RFC 6376 §3.6.1: i= must be d= exactly), l= (a body length
// lets content be appended, §8.2) and the key's size (RFC 8301 §3.2).
func verifyDKIM(ctx context.Context, r dns.Resolver, raw []byte, h mail.Header) ([]report.Finding, []DKIMResult) {
	var fs []report.Finding
	var out []DKIMResult
	c, err := dkim.Verify(ctx, r, bytes.NewReader(raw))
	if err != nil {
		return nil, nil
	}
	v := c.Data.(*dkim.Verification)
	sigs := h["Dkim-Signature"]
	for i, s := range v.Signatures {
		res := DKIMResult{Domain: s.Domain, Result: s.Result, Reason: s.Error}
		var t map[string]string
		if i < len(sigs) {
			t = tagMap(sigs[i])
			res.Selector, res.Algorithm = t["s"], t["a"]
		}
		if res.Selector != "" {
			if kr, _ := dkim.Check(ctx, r, s.Domain, dkim.Options{Selectors: []string{res.Selector}}); len(kr.Keys) == 1 {
				k := kr.Keys[0]
				res.Bits = k.Bits
				id := t["i"]
				if _, idDomain, _ := strings.Cut(id, "@"); k.Strict && id != "" && !strings.EqualFold(idDomain, s.Domain) && res.Result == "pass" {
					res.Result, res.Reason = "fail", fmt.Sprintf("the key has t=s, so i= must be @%s exactly, not %s", s.Domain, id)
				}
				if k.Type == "rsa" && k.Bits > 0 && k.Bits < 1024 && res.Result == "pass" {
					res.Result, res.Reason = "fail", fmt.Sprintf("a %d-bit RSA key, which verifiers must reject (RFC 8301 §3.2)", k.Bits)
				}
			}
		}
		if res.Result != "pass" {
			fs = append(fs, report.Finding{ID: "message.dkim-fail", Severity: report.Warning,
				Message: fmt.Sprintf("the DKIM signature of %s (s=%s) does not verify: %s", s.Domain, res.Selector, res.Reason),
				Fix:     "if the body or a signed header was changed on the way (a list footer, a rewritten Subject), rely on ARC; else check that the published key matches the signer's", Ref: "RFC 6376 §6.1"})
		}
		weak := []string{}
		if strings.EqualFold(res.Algorithm, "rsa-sha1") {
			weak = append(weak, "a=rsa-sha1 (RFC 8301 §3.1 forbids it)")
		}
		if _, ok := t["l"]; ok {
			weak = append(weak, "l= limits the signed body, so content can be appended (RFC 6376 §8.2)")
		}
		if res.Bits > 0 && res.Bits < 2048 && strings.HasPrefix(strings.ToLower(res.Algorithm), "rsa") {
			weak = append(weak, fmt.Sprintf("a %d-bit RSA key", res.Bits))
		}
		if len(weak) > 0 {
			fs = append(fs, report.Finding{ID: "message.dkim-weak", Severity: report.Warning,
				Message: fmt.Sprintf("the DKIM signature of %s is weak: %s", s.Domain, strings.Join(weak, "; ")),
				Fix:     "sign with rsa-sha256 (2048 bits) or ed25519-sha256, without l=", Ref: "RFC 8301 §3.1, RFC 6376 §8.2"})
		}
		out = append(out, res)
	}
	return fs, out
}

func tagMap(v string) map[string]string {
	list, _ := tags.Split(v)
	m := map[string]string{}
	for _, t := range list {
		m[strings.ToLower(t.Name)] = strings.Join(strings.Fields(t.Value), "")
	}
	return m
}

// aligned reports whether an authenticated domain aligns with the From:
// domain (RFC 7489 §3.1): the same name (strict), or the same
// organizational domain (relaxed).
func aligned(domain, from, mode string) bool {
	domain, from = strings.ToLower(strings.TrimSuffix(domain, ".")), strings.ToLower(from)
	if mode == "s" {
		return domain == from
	}
	return dmarc.OrgDomain(domain) == dmarc.OrgDomain(from)
}

// evaluateDMARC applies RFC 7489 §6.6: a pass needs SPF or DKIM to pass
// for an aligned domain; the disposition is p (sp below the policy
// domain), applied to pct percent, one step lower with DMARCbis t=y.
func evaluateDMARC(ctx context.Context, r dns.Resolver, from string, res *Result) (*DMARCResult, []report.Finding) {
	out := &DMARCResult{Domain: from}
	pol, pfs := dmarc.Check(ctx, r, from, dmarc.Options{})
	for _, f := range pfs {
		if f.ID == "dns.lookup-failed" {
			out.Result = "temperror"
			return out, []report.Finding{f}
		}
	}
	if pol.Record == nil {
		out.Result = "none"
		return out, nil
	}
	rec := pol.Record
	out.PolicyAt, out.Policy, out.Percent = pol.Found, string(pol.Policy), rec.Percent
	spfDomain := res.Client.Sender
	if _, d, ok := strings.Cut(spfDomain, "@"); ok {
		spfDomain = d
	} else if spfDomain == "" {
		spfDomain = res.Client.Helo
	}
	spfPass := res.SPF != nil && res.SPF.Result == spf.ResultPass
	out.SPFAligned = spfPass && aligned(spfDomain, from, rec.AlignSPF)
	var dkimPass []string
	for _, d := range res.DKIM {
		if d.Result == "pass" {
			dkimPass = append(dkimPass, d.Domain)
			out.DKIMAligned = out.DKIMAligned || aligned(d.Domain, from, rec.AlignDKIM)
		}
	}
	var fs []report.Finding
	if out.SPFAligned || out.DKIMAligned {
		out.Result = "pass"
		return out, nil
	}
	out.Result = "fail"
	var why []string
	switch {
	case res.SPF == nil:
		why = append(why, "SPF was not evaluated (no client address)")
	case !spfPass:
		why = append(why, fmt.Sprintf("SPF is %s", res.SPF.Result))
	default:
		why = append(why, fmt.Sprintf("SPF passes for %s, which is not aligned with %s (aspf=%s)", spfDomain, from, rec.AlignSPF))
	}
	switch {
	case len(res.DKIM) == 0:
		why = append(why, "there is no DKIM signature")
	case len(dkimPass) == 0:
		why = append(why, "no DKIM signature verifies")
	default:
		why = append(why, fmt.Sprintf("DKIM passes for %s, not aligned with %s (adkim=%s)", strings.Join(slices.Compact(dkimPass), ", "), from, rec.AlignDKIM))
	}
	out.Why = strings.Join(why, "; ")
	out.Disposition = disposition(pol)
	fs = append(fs, report.Finding{ID: "message.dmarc-fail", Severity: report.Error,
		Message: fmt.Sprintf("DMARC fails for %s: %s; a receiver applies %s", from, out.Why, out.Disposition),
		Fix:     fmt.Sprintf("send through servers in %s's SPF with a return-path in its organization, or sign with DKIM for %s (d= aligned)", dmarc.OrgDomain(from), dmarc.OrgDomain(from)),
		Ref:     "RFC 7489 §4.2, §6.6"})
	if spfPass || len(dkimPass) > 0 {
		fs = append(fs, report.Finding{ID: "message.dmarc-unaligned", Severity: report.Warning,
			Message: fmt.Sprintf("authentication passes, but not for a domain aligned with From: %s (%s)", from, out.Why),
			Fix:     "make the return-path domain or the DKIM d= the From: domain's (or one under its organizational domain)", Ref: "RFC 7489 §3.1"})
	}
	return out, fs
}

// disposition is what a receiver does with a failing message: the policy
// (sp when inherited), applied to pct percent of them, one step lower
// with DMARCbis t=y.
func disposition(pol *dmarc.Result) string {
	p := string(pol.Policy)
	if pol.Record.Testing {
		p = map[string]string{"reject": "quarantine", "quarantine": "none"}[p]
		if p == "" {
			p = "none"
		}
		p += " (t=y: one step lower)"
	}
	if pol.Record.Percent < 100 {
		p += " to " + strconv.Itoa(pol.Record.Percent) + "% of failing mail"
	}
	return p
}
