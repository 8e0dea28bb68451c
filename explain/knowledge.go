// Sourced knowledge: the exact words MTAs and providers emit for a
// reason, each list with where it comes from.
//
// The lists marked "Sisimai" are facts gathered from the per-reason
// indexes of Sisimai (lib/sisimai/reason/*.rb, rb-sisimai 5.x,
// Copyright (C) 2015- azumakuniyuki, BSD 2-Clause; see NOTICE). The
// structure and the code here are smtptool's own.

package explain

import "strings"

// known is the wording of one reason from one source: phrases that are
// matched as substrings of the lower-cased text, and pairs whose first
// part must come before the second.
type known struct {
	reason  string
	source  string
	phrases []string
	pairs   [][2]string
}

// knowledge is tried before the rules' broader phrases: these are whole
// sentences from a named source, so they say more than a keyword. The
// order is Sisimai's own order of trial for the reasons it lists
// (lib/sisimai/reason.rb ClassOrder[0]), which puts the narrow reasons
// before the broad ones.
var knowledge = []known{
	{
		reason: "authfailure", source: "Sisimai reason/authfailure.rb",
		phrases: []string{"//spf.pobox.com", "bad spf records for", "dmarc policy", "please inspect your spf settings",
			"sender policy framework (spf) fail", "sender policy framework violation",
			"spf (sender policy framework) domain authentication fail", "spf check: fail"},
		pairs: [][2]string{{" is not allowed to send mail.", "_401"}, {"is not allowed to send from <", " per it's spf record"}},
	},
	{
		reason: "requireptr", source: "Sisimai reason/requireptr.rb",
		phrases: []string{"access denied. ip name lookup failed", "all mail servers must have a ptr record with a valid reverse dns entry",
			"bad dns ptr resource record", "cannot find your hostname", "fix reverse dns for ", "ips with missing ptr records",
			"no ptr record found.", "please get a custom reverse dns name from your isp for your host", "ptr record setup",
			"reverse dns failed", "reverse dns required", "sender ip reverse lookup rejected",
			"the corresponding forward dns entry does not point to the sending ip",
			"this system will not accept messages from servers/devices with no reverse dns", "unresolvable relay host name",
			"we do not accept mail from hosts with dynamic ip or generic dns ptr-records"},
		pairs: [][2]string{{"domain ", " mismatches client ip"}, {"dns lookup failure: ", " try again later"},
			{"reverse dns lookup for host ", " failed permanently"}, {"server access ", " forbidden by invalid rdns record of your mail server"},
			{"service permits ", " unverifyable sending ips"}},
	},
	{
		reason: "notcompliantrfc", source: "Sisimai reason/notcompliantrfc.rb; Gmail: support.google.com/mail/answer/81126",
		phrases: []string{"this message is not rfc 5322 compliant", "support.google.com/mail/?p=rfcmessagenoncompliant"},
	},
	{
		reason: "badreputation", source: "Sisimai reason/badreputation.rb",
		phrases: []string{"a poor email reputation score", "has been temporarily rate limited due to ip reputation",
			"ip/domain reputation problems", "likely suspicious due to the very low reputation", "none/bad reputation",
			"temporarily deferred due to unexpected volume or user complaints", "the sending mta's poor reputation"},
	},
	{
		reason: "speeding", source: "Sisimai reason/speeding.rb",
		phrases: []string{"mail sent from your ip address has been temporarily rate limited", "please try again slower",
			"receiving mail at a rate that prevents additional messages from being delivered"},
	},
	{
		reason: "toomanyconn", source: "Sisimai reason/toomanyconn.rb; Sendmail daemon.c",
		phrases: []string{"all available ips are at maximum connection limit", "connection rate limit exceeded",
			"exceeds per-domain connection limit for", "has exceeded the max emails per hour ",
			"throttling failure: daily message quota exceeded", "throttling failure: maximum sending rate exceeded",
			"too many connections", "too many concurrent smtp connections", "too many errors from your ip",
			"too many smtp sessions for this host", "trop de connexions, ",
			"we have already made numerous attempts to deliver this message"},
	},
	{
		reason: "systemfull", source: "Sisimai reason/systemfull.rb; RFC 3463 §3.4 (X.3.1 mail system full)",
		phrases: []string{"mail system full", "requested mail action aborted: exceeded storage allocation"},
	},
}

// knownReason is the reason of the first knowledge list that a text's
// words match, "" when none does.
func knownReason(lower string) string {
	for _, k := range knowledge {
		if k.matches(lower) {
			return k.reason
		}
	}
	return ""
}

func (k known) matches(lower string) bool {
	for _, p := range k.phrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	for _, p := range k.pairs {
		if i := strings.Index(lower, p[0]); i >= 0 && strings.Contains(lower[i+len(p[0]):], p[1]) {
			return true
		}
	}
	return false
}
