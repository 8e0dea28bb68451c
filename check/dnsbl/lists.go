package dnsbl

// Kind says what a list holds.
type Kind string

// List kinds.
const (
	IPList     Kind = "ip"     // DNSBL: addresses, queried reversed (RFC 5782 §2.1, §2.4)
	DomainList Kind = "domain" // RHSBL / URIBL: domain names (RFC 5782 §2.2)
)

// List is one DNS blocklist and how to read its answers.
type List struct {
	Name string
	Zone string
	Kind Kind
	IPv6 bool // the list answers for IPv6 addresses in nibble form (RFC 5782 §2.4)
	// NoIPv4: the list holds IPv6 addresses only, so an IPv4 address is
	// never asked of it.
	NoIPv4 bool
	Delist string // where to see the listing and ask for removal
	// Codes maps an answer address to its meaning.
	Codes map[string]string
	// Bits decodes lists whose last octet is a bitmask of sub-lists.
	Bits map[int]string
	// Refusals are answers that report an error, not a listing.
	Refusals map[string]string
}

// Spamhaus's answers that are errors, not listings.
var spamhausRefusals = map[string]string{
	"127.255.255.252": "typing error in the DNSBL name",
	"127.255.255.254": "the query came through a public or open resolver, which Spamhaus does not answer",
	"127.255.255.255": "excessive number of queries from this resolver",
}

// bitmaskRefusal is the 127.0.0.1 answer of URIBL and SURBL: bit 0 is not
// a list, it means the query was refused (a public resolver, or too many).
var bitmaskRefusal = map[string]string{"127.0.0.1": "query refused: the list does not answer this resolver (public resolver or excessive queries)"}

func listed(meaning string) map[string]string { return map[string]string{"127.0.0.2": meaning} }

// DefaultLists are the lists queried when none are given: widely used
// public lists, operating as of this writing. Review them from time to time:
// a list that shuts down may start to list everything, which the RFC 5782
// §5 test-address check catches.
var DefaultLists = []List{
	{Name: "Spamhaus ZEN", Zone: "zen.spamhaus.org", Kind: IPList, IPv6: true, Delist: "https://check.spamhaus.org/",
		Codes: map[string]string{
			"127.0.0.2":  "SBL: a verified spam source or spam operation",
			"127.0.0.3":  "SBL CSS: a snowshoe spam source",
			"127.0.0.4":  "XBL: a compromised host (exploited, infected or hijacked)",
			"127.0.0.5":  "XBL: a compromised host",
			"127.0.0.6":  "XBL: a compromised host",
			"127.0.0.7":  "XBL: a compromised host",
			"127.0.0.9":  "SBL DROP: a hijacked or criminal network",
			"127.0.0.10": "PBL: an end-user address that the ISP says should not send mail directly",
			"127.0.0.11": "PBL: an end-user (dynamic) address that should not send mail directly",
		}, Refusals: spamhausRefusals},
	{Name: "SpamCop", Zone: "bl.spamcop.net", Kind: IPList, Delist: "https://www.spamcop.net/bl.shtml",
		Codes: listed("reported by SpamCop users as a spam source (listings expire by themselves)")},
	{Name: "Barracuda", Zone: "b.barracudacentral.org", Kind: IPList, Delist: "https://www.barracudacentral.org/rbl/removal-request",
		Codes: listed("poor reputation in Barracuda's reputation system")},
	{Name: "UCEPROTECT level 1", Zone: "dnsbl-1.uceprotect.net", Kind: IPList, Delist: "https://www.uceprotect.net/en/rblcheck.php",
		Codes: listed("this address sent to UCEPROTECT's spam traps")},
	{Name: "UCEPROTECT level 2", Zone: "dnsbl-2.uceprotect.net", Kind: IPList, Delist: "https://www.uceprotect.net/en/rblcheck.php",
		Codes: listed("the address's network allocation has too many listed addresses")},
	{Name: "UCEPROTECT level 3", Zone: "dnsbl-3.uceprotect.net", Kind: IPList, Delist: "https://www.uceprotect.net/en/rblcheck.php",
		Codes: listed("the address's whole autonomous system (ASN) is listed")},
	{Name: "PSBL", Zone: "psbl.surriel.com", Kind: IPList, Delist: "https://psbl.org/",
		Codes: listed("sent mail to PSBL's spam traps and not to real users")},
	{Name: "Mailspike", Zone: "bl.mailspike.net", Kind: IPList, Delist: "https://mailspike.io/",
		Codes: listed("listed by Mailspike for sending spam")},
	{Name: "s5h", Zone: "all.s5h.net", Kind: IPList, Delist: "https://www.s5h.net/rbl",
		Codes: listed("sent spam to s5h's traps")},
	{Name: "Spam Eating Monkey", Zone: "bl.spameatingmonkey.net", Kind: IPList, Delist: "https://spameatingmonkey.com/",
		Codes: listed("sent spam seen by Spam Eating Monkey")},
	// An IPv6-only list (spameatingmonkey.com/services: "SEM-IPv6BL").
	{Name: "Spam Eating Monkey IPv6", Zone: "bl.ipv6.spameatingmonkey.net", Kind: IPList, IPv6: true, NoIPv4: true, Delist: "https://spameatingmonkey.com/",
		Codes: listed("sent spam over IPv6 seen by Spam Eating Monkey")},
	{Name: "DroneBL", Zone: "dnsbl.dronebl.org", Kind: IPList, Delist: "https://dronebl.org/lookup",
		Codes: map[string]string{
			"127.0.0.3": "IRC drone", "127.0.0.5": "bottler", "127.0.0.6": "unknown spambot or drone",
			"127.0.0.7": "DDoS drone", "127.0.0.8": "SOCKS proxy", "127.0.0.9": "HTTP proxy",
			"127.0.0.10": "proxy chain", "127.0.0.11": "web page proxy", "127.0.0.12": "open DNS resolver",
			"127.0.0.13": "brute-force attacker", "127.0.0.14": "open WinGate proxy", "127.0.0.15": "compromised router or gateway",
			"127.0.0.16": "autorooting worm", "127.0.0.17": "automatically detected botnet address",
			"127.0.0.18": "DNS or MX on IRC", "127.0.0.19": "abused VPN service", "127.0.0.255": "uncategorised",
		}},
	{Name: "JustSpam", Zone: "dnsbl.justspam.org", Kind: IPList, Delist: "http://www.justspam.org/",
		Codes: listed("sent spam to JustSpam's traps")},
	{Name: "blocklist.de", Zone: "bl.blocklist.de", Kind: IPList, Delist: "https://www.blocklist.de/en/delist.html",
		Codes: listed("reported for attacks (brute force, spam) by blocklist.de's servers")},
	{Name: "Backscatterer", Zone: "ips.backscatterer.org", Kind: IPList, Delist: "https://www.backscatterer.org/",
		Codes: listed("sends backscatter: bounces or auto-replies to forged senders")},
	{Name: "Truncate (GBUdb)", Zone: "truncate.gbudb.net", Kind: IPList, Delist: "https://www.gbudb.com/truncate/",
		Codes: listed("a consistent source of spam in GBUdb's statistics")},
	{Name: "NiX Spam", Zone: "ix.dnsbl.manitu.net", Kind: IPList, Delist: "https://www.dnsbl.manitu.net/",
		Codes: listed("sent spam to NiX Spam's traps")},
	{Name: "SpamRATS", Zone: "all.spamrats.com", Kind: IPList, Delist: "https://www.spamrats.com/",
		Codes: map[string]string{
			"127.0.0.36": "RATS-Dyna: a dynamic or residential address sending mail",
			"127.0.0.37": "RATS-NoPtr: no reverse DNS",
			"127.0.0.38": "RATS-Spam: sent spam to SpamRATS's traps",
			"127.0.0.43": "RATS-Auth: brute-force authentication attempts",
		}},
	{Name: "WPBL", Zone: "db.wpbl.info", Kind: IPList, Delist: "http://www.wpbl.info/",
		Codes: listed("reported by WPBL users as a spam source")},
	{Name: "InterServer", Zone: "rbl.interserver.net", Kind: IPList, Delist: "https://rbl.interserver.net/",
		Codes: listed("attacked or spammed InterServer's network")},
	{Name: "LashBack UBL", Zone: "ubl.unsubscore.com", Kind: IPList, Delist: "https://blacklist.lashback.com/",
		Codes: listed("abuses unsubscribe requests")},
	{Name: "0spam", Zone: "bl.0spam.org", Kind: IPList, Delist: "https://0spam.org/",
		Codes: listed("sent spam to 0spam's traps")},
	{Name: "Nordspam", Zone: "bl.nordspam.com", Kind: IPList, Delist: "https://www.nordspam.com/",
		Codes: listed("sent spam seen by Nordspam")},
	{Name: "Anonmails", Zone: "spam.dnsbl.anonmails.de", Kind: IPList, Delist: "https://anonmails.de/dnsbl.php",
		Codes: listed("sent spam to Anonmails's traps")},
	{Name: "SPFBL", Zone: "dnsbl.spfbl.net", Kind: IPList, IPv6: true, Delist: "https://spfbl.net/en/dnsbl/",
		Codes: map[string]string{
			"127.0.0.2": "bad reputation", "127.0.0.3": "suspicious: no reverse DNS or a generic one",
			"127.0.0.4": "a dynamic address", "127.0.0.5": "an address that does not send mail",
		}},

	{Name: "Spamhaus DBL", Zone: "dbl.spamhaus.org", Kind: DomainList, Delist: "https://check.spamhaus.org/",
		Codes: map[string]string{
			"127.0.1.2":   "a spam domain",
			"127.0.1.4":   "a phishing domain",
			"127.0.1.5":   "a malware domain",
			"127.0.1.6":   "a botnet command-and-control domain",
			"127.0.1.102": "an abused legitimate domain used for spam",
			"127.0.1.103": "an abused legitimate spammed redirector",
			"127.0.1.104": "an abused legitimate domain used for phishing",
			"127.0.1.105": "an abused legitimate domain used for malware",
			"127.0.1.106": "an abused legitimate domain used for botnet command and control",
		}, Refusals: mergeRefusals(spamhausRefusals, map[string]string{"127.0.1.255": "an IP address was queried; the DBL holds domains only"})},
	{Name: "SURBL multi", Zone: "multi.surbl.org", Kind: DomainList, Delist: "https://www.surbl.org/surbl-analysis",
		Bits: map[int]string{4: "DM: a disposable e-mail domain", 8: "PH: phishing", 16: "MW: malware", 32: "CT: click tracking",
			64: "ABUSE: spam and abuse", 128: "CR: a cracked (compromised) site"},
		Refusals: bitmaskRefusal},
	{Name: "URIBL multi", Zone: "multi.uribl.com", Kind: DomainList, Delist: "https://admin.uribl.com/",
		Bits:     map[int]string{2: "black: domains used by spammers", 4: "grey: bulk senders that may honour opt-out", 8: "red: new domains active in mail flow"},
		Refusals: bitmaskRefusal},
	{Name: "Spam Eating Monkey URI", Zone: "uribl.spameatingmonkey.net", Kind: DomainList, Delist: "https://spameatingmonkey.com/",
		Codes: listed("a domain seen in spam")},
	{Name: "Spam Eating Monkey fresh", Zone: "fresh.spameatingmonkey.net", Kind: DomainList, Delist: "https://spameatingmonkey.com/",
		Codes: listed("a newly registered domain (spammers burn through fresh domains)")},
	{Name: "Nordspam DBL", Zone: "dbl.nordspam.com", Kind: DomainList, Delist: "https://www.nordspam.com/",
		Codes: listed("a domain seen in spam by Nordspam")},
}

func mergeRefusals(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
