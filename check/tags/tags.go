// Package tags splits the tag lists of mail DNS records: "name=value"
// pairs separated by semicolons, as DKIM defines them (RFC 6376 §3.2) and
// DMARC (RFC 7489 §6.4), TLS-RPT (RFC 8460 §3), MTA-STS (RFC 8461 §3.1)
// and BIMI reuse them. Each record type applies its own rules (which tags,
// which order, what a repeat means) to the list this package returns.
package tags

import (
	"context"
	"fmt"
	"strings"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
)

// Tag is one name=value pair, trimmed of surrounding white space.
type Tag struct {
	Name, Value string
}

// Split returns the tags in order. Empty parts (such as after a trailing
// semicolon) are skipped; parts without "=" or without a name are returned
// in bad, in order.
func Split(txt string) (list []Tag, bad []string) {
	for _, part := range strings.Split(txt, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			bad = append(bad, part)
			continue
		}
		list = append(list, Tag{Name: name, Value: strings.TrimSpace(value)})
	}
	return list, bad
}

// Versioned parses the tag list of a record whose first tag must be
// v=version (TLS-RPT, RFC 8460 §3; BIMI): a part that is not tag=value or
// a repeated tag is an error.
func Versioned(txt, version string) (map[string]string, error) {
	list, bad := Split(txt)
	if len(bad) > 0 {
		return nil, fmt.Errorf("%q is not tag=value", bad[0])
	}
	m := map[string]string{}
	for i, t := range list {
		if _, dup := m[t.Name]; dup {
			return nil, fmt.Errorf("the %s tag appears twice", t.Name)
		}
		if i == 0 && (t.Name != "v" || t.Value != version) {
			return nil, fmt.Errorf("the record must start with v=%s", version)
		}
		m[t.Name] = t.Value
	}
	return m, nil
}

// Records returns the TXT records at name whose first tag is v=version,
// the records of one kind (RFC 8460 §3, the BIMI draft §4.2): a lookup
// failure is an error, none is an empty list.
func Records(ctx context.Context, r dns.Resolver, name, version string) ([]string, error) {
	ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
	if err != nil {
		return nil, err
	}
	return dns.TXTMatching(ans, func(t string) bool { return strings.HasPrefix(strings.TrimSpace(t), "v="+version) }), nil
}
