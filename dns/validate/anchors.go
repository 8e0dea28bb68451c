package validate

import (
	"fmt"
	"io"
	"strings"

	mdns "github.com/miekg/dns"
)

// The root zone's trust anchors as IANA publishes them
// (https://data.iana.org/root-anchors/root-anchors.xml): KSK-2017 (key
// tag 20326) and KSK-2024 (key tag 38696), both RSA/SHA-256 with SHA-256
// digests.
const rootAnchors = `
. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`

// RootAnchors returns IANA's root trust anchors.
func RootAnchors() []mdns.RR {
	rrs, err := ReadAnchors(strings.NewReader(rootAnchors), "built-in root anchors")
	if err != nil {
		panic(err) // the text above is the program's own
	}
	return rrs
}

// ReadAnchors reads trust anchors in zone-file form, as Unbound's
// trust-anchor-file and `dig +sigchase` take them: DS and DNSKEY records
// (other records are refused, so that a wrong file is not half-used).
func ReadAnchors(r io.Reader, file string) ([]mdns.RR, error) {
	zp := mdns.NewZoneParser(r, ".", file)
	var out []mdns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr.(type) {
		case *mdns.DS, *mdns.DNSKEY:
			out = append(out, rr)
		default:
			return nil, fmt.Errorf("%s: %s is not a trust anchor (want DS or DNSKEY records)", file, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no DS or DNSKEY record", file)
	}
	return out, nil
}
