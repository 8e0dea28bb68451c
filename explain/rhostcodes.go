// The error codes and messages of the receivers that put a code of their
// own in their replies (Cox's AUP#CXBL, GoDaddy's IB607, Spectrum's
// AUP#1000, i.ua's /err/2), and NTT Docomo's, by the reasons Sisimai's
// remote-host modules give them (Sisimai 5.1.0, lib/sisimai/rhost/cox.rb,
// godaddy.rb, spectrum.rb, iua.rb, nttdocomo.rb, commit 9c4a184,
// BSD-2-Clause, credited in NOTICE; the modules cite the providers' own
// pages, e.g. godaddy.com/help/email-error-codes-33117). Like the tables
// of rhosttables.go they apply only where Sisimai applies them
// (rhostGates). Orange's and au's codes are receivers of receivers.go.

package explain

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	coxCode      = regexp.MustCompile(`AUP#([0-9A-Z]+)`)
	spectrumCode = regexp.MustCompile(`AUP#[-A-Za-z]*(\d{4})`)
	godaddyCode  = regexp.MustCompile(` (IB\d{3})`)
	iuaCode      = regexp.MustCompile(`\.i\.ua/err/(\d{1,2})`)
)

// coxCodes are Cox's AUP# codes (Sisimai rhost/cox.rb ErrorCodes).
var coxCodes = map[string]string{
	"CXBL": "blocked", "CXDNS": "requireptr", "CXSNDR": "authfailure", "CXSMTP": "rejected", "CXCNCT": "toomanyconn",
	"CXMXRT": "toomanyconn", "CDRBL": "blocked", "CXTHRT": "securityerror", "CXMJ": "securityerror",
	"IPBL0001": "blocked", "IPBL0010": "blocked", "IPBL0100": "blocked", "IPBL0011": "blocked", "IPBL0101": "blocked",
	"IPBL0110": "blocked", "IPBL0111": "blocked", "IPBL1000": "blocked", "IPBL1001": "blocked", "IPBL1010": "blocked",
	"IPBL1011": "blocked", "IPBL1100": "blocked", "IPBL1101": "blocked", "IPBL1110": "blocked", "IPBL1111": "blocked",
	"IPBL00001": "blocked", "URLBL011": "spamdetected", "URLBL101": "spamdetected", "URLBL110": "spamdetected",
	"URLBL1001": "spamdetected",
}

// coxMessages are Cox's messages without a code (Sisimai rhost/cox.rb
// MessagesOf).
var coxMessages = []known{
	{reason: "blocked", source: "Sisimai rhost/cox.rb", phrases: []string{"cox too many bad commands from", "too many invalid recipients"}},
	{reason: "requireptr", source: "Sisimai rhost/cox.rb", phrases: []string{"dns check failure - try again later", "rejected - no rdns"}},
	{reason: "policyviolation", source: "Sisimai rhost/cox.rb", phrases: []string{"esmtp no data before greeting", "attachment extension is forbidden"}},
	{reason: "rejected", source: "Sisimai rhost/cox.rb", phrases: []string{"sender rejected"}},
	{reason: "systemerror", source: "Sisimai rhost/cox.rb", phrases: []string{"esmtp server temporarily not available"}},
	{reason: "toomanyconn", source: "Sisimai rhost/cox.rb", phrases: []string{"too many sessions from", "requested action aborted: try again later", "message threshold exceeded"}},
	{reason: "userunknown", source: "Sisimai rhost/cox.rb", phrases: []string{"recipient rejected"}},
}

// godaddyCodes are GoDaddy's IB codes (Sisimai rhost/godaddy.rb).
var godaddyCodes = map[string]string{
	"IB401": "securityerror", "IB501": "notcompliantrfc", "IB502": "notcompliantrfc", "IB506": "rejected", "IB508": "authfailure",
	"IB108": "requireptr", "IB212": "spamdetected", "IB705": "virusdetected", "IB605": "toomanyconn", "IB007": "toomanyconn",
	"IB101": "speeding", "IB110": "blocked", "IB111": "blocked", "IB112": "blocked", "IB113": "blocked", "IB504": "speeding",
	"IB510": "speeding", "IB607": "speeding", "IB103": "badreputation", "IB104": "blocked", "IB105": "blocked", "IB106": "blocked",
}

var godaddyMessages = []known{
	{reason: "blocked", source: "Sisimai rhost/godaddy.rb", phrases: []string{"rbl reject", "www.spamhaus.org/query/bl?ip="}},
	{reason: "expired", source: "Sisimai rhost/godaddy.rb", phrases: []string{"has been in the queue too long", "delivery timeout"}},
	{reason: "mailboxfull", source: "Sisimai rhost/godaddy.rb", phrases: []string{"account storage limit"}},
	{reason: "spamdetected", source: "Sisimai rhost/godaddy.rb", phrases: []string{"message rejected for spam or virus content"}},
	{reason: "suspend", source: "Sisimai rhost/godaddy.rb", phrases: []string{"account disabled"}},
	{reason: "systemerror", source: "Sisimai rhost/godaddy.rb", phrases: []string{"message is looping"}},
	{reason: "userunknown", source: "Sisimai rhost/godaddy.rb", phrases: []string{"recipient not found", "account does not exist"}},
}

// spectrumCodes are Spectrum's AUP# code ranges (Sisimai
// rhost/spectrum.rb; its 1220-1250 read "blokced", a typo for blocked).
var spectrumCodes = []struct {
	from, to int
	reason   string
}{
	{1000, 1000, "blocked"}, {1010, 1010, "rejected"}, {1020, 1080, "rejected"}, {1090, 1090, "systemerror"},
	{1100, 1150, "requireptr"}, {1160, 1190, "policyviolation"}, {1200, 1210, "blocked"}, {1220, 1250, "blocked"},
	{1260, 1260, "networkerror"}, {1300, 1340, "toomanyconn"}, {1350, 1490, "speeding"}, {1500, 1500, "rejected"},
	{1520, 1520, "rejected"}, {1530, 1530, "mesgtoobig"}, {1540, 1540, "speeding"}, {1550, 1550, "speeding"},
	{1560, 1560, "policyviolation"}, {1580, 1580, "speeding"},
}

// iuaCodes are i.ua's error pages, .i.ua/err/N (Sisimai rhost/iua.rb).
var iuaCodes = map[string]string{"1": "norelaying", "2": "userunknown", "3": "suspend", "4": "mailboxfull", "5": "toomanyconn",
	"6": "norelaying", "7": "blocked", "8": "rejected", "9": "blocked", "10": "filtered"}

var docomoMessages = []known{
	{reason: "mailboxfull", source: "Sisimai rhost/nttdocomo.rb", phrases: []string{"552 too much mail data"}},
	{reason: "toomanyconn", source: "Sisimai rhost/nttdocomo.rb", phrases: []string{"552 too many recipients"}},
	{reason: "syntaxerror", source: "Sisimai rhost/nttdocomo.rb", phrases: []string{"503 bad sequence of commands", "504 command parameter not implemented"}},
}

// providerCode is the reason a receiver's own code or message gives, for
// the receivers of this file, when the bounce names them (n); ""
// otherwise.
func providerCode(enhanced, cmd, reply string, n named) string {
	lower := folded(reply)
	first := func(lists []known) string {
		for _, k := range lists {
			if k.matches(lower) {
				return k.reason
			}
		}
		return ""
	}
	switch {
	case n.rhost["Cox"]:
		if m := coxCode.FindStringSubmatch(reply); m != nil && coxCodes[m[1]] != "" {
			return coxCodes[m[1]]
		}
		return first(coxMessages)
	case n.rhost["GoDaddy"]:
		if m := godaddyCode.FindStringSubmatch(reply); m != nil && godaddyCodes[m[1]] != "" {
			return godaddyCodes[m[1]]
		}
		return first(godaddyMessages)
	case n.rhost["Spectrum"]:
		if m := spectrumCode.FindStringSubmatch(reply); m != nil {
			n, _ := strconv.Atoi(m[1])
			for _, c := range spectrumCodes {
				if n >= c.from && n <= c.to {
					return c.reason
				}
			}
		}
	case n.rhost["IUA"]:
		if m := iuaCode.FindStringSubmatch(strings.ToLower(reply)); m != nil {
			return iuaCodes[m[1]]
		}
	case n.rhost["NTTDOCOMO"]:
		// Sisimai rhost/nttdocomo.rb: the status first, then the
		// messages, then the command a 5.0.0 answered.
		words := first(docomoMessages)
		switch e, _ := ParseEnhanced(enhanced); {
		case enhanced == "5.1.1" || enhanced == "5.0.911":
			return "userunknown"
		case enhanced == "5.2.0":
			return "filtered"
		case words != "":
			return words
		case e.Class == 5 && e.Subject == 0 && e.Detail == 0 && cmd == "RCPT":
			return "userunknown"
		case e.Class == 5 && e.Subject == 0 && e.Detail == 0 && cmd == "DATA":
			return "rejected"
		}
	}
	return ""
}
