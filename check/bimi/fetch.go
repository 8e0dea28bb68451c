package bimi

// The documents a BIMI record points to: the logo (l=), an SVG in the SVG
// Tiny Portable/Secure profile (draft-svg-tiny-ps-abrotman), and the mark
// certificate (a=), a PEM chain whose leaf carries the logotype extension
// (RFC 3709) and the BIMI extended key usage
// (draft-fetch-validation-vmc-wchuang).

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/smtptool/smtptool/check/webget"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Size limits: the BIMI Group's guidance keeps the logo at 32 KiB; a
// certificate chain of a few certificates fits in 64 KiB.
const (
	maxLogo = 32 << 10
	maxMark = 64 << 10
)

var (
	oidLogotype = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 12} // RFC 3709 §4.1
	oidBIMIEKU  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 31} // id-kp-BrandIndicatorforMessageIdentification
)

// checkLogo fetches l= and checks it is an SVG Tiny PS document.
func checkLogo(ctx context.Context, r dns.Resolver, url string, o webget.Options) []report.Finding {
	o.MaxSize = maxLogo
	doc, err := webget.Get(ctx, r, url, o)
	if err != nil {
		return []report.Finding{{ID: "bimi.logo-unavailable", Severity: report.Error,
			Message: fmt.Sprintf("the BIMI logo at %s cannot be fetched: %v; mailbox providers show no logo", url, err),
			Fix:     "serve the SVG over HTTPS with a valid certificate, status 200, no redirect, at most 32 KiB",
			Ref:     "draft-brand-indicators-for-message-identification §4.2"}}
	}
	if problems := SVGTinyPSProblems(doc.MediaType, doc.Body); len(problems) > 0 {
		return []report.Finding{{ID: "bimi.logo-invalid", Severity: report.Error,
			Message: fmt.Sprintf("the BIMI logo at %s is not an SVG Tiny PS document: %s; mailbox providers show no logo", url, strings.Join(problems, "; ")),
			Fix:     `convert it to SVG Tiny Portable/Secure: <svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg"> with a <title>, no scripts and no external references`,
			Ref:     "draft-svg-tiny-ps-abrotman"}}
	}
	return nil
}

// SVGTinyPSProblems lists how a document departs from the SVG Tiny PS
// profile: the root svg element in the SVG namespace with version="1.2"
// and baseProfile="tiny-ps", a title, no script, no external reference.
func SVGTinyPSProblems(mediaType string, body []byte) []string {
	var problems []string
	if mediaType != "image/svg+xml" {
		problems = append(problems, fmt.Sprintf("the media type is %q, not image/svg+xml", mediaType))
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	root, title, depth := false, false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(problems, "it is not well-formed XML ("+err.Error()+")")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if !root {
				root = true
				if t.Name.Local != "svg" || t.Name.Space != "http://www.w3.org/2000/svg" {
					return append(problems, "the root element is not svg in the SVG namespace")
				}
				if v := attr(t, "version"); v != "1.2" {
					problems = append(problems, fmt.Sprintf(`the svg element says version=%q, not "1.2"`, v))
				}
				if v := attr(t, "baseProfile"); v != "tiny-ps" {
					problems = append(problems, fmt.Sprintf(`the svg element says baseProfile=%q, not "tiny-ps"`, v))
				}
				continue
			}
			switch t.Name.Local {
			case "title":
				title = title || depth == 2
			case "script":
				problems = append(problems, "it holds a script")
			}
			for _, a := range t.Attr {
				if a.Name.Local == "href" && !strings.HasPrefix(strings.TrimSpace(a.Value), "#") {
					problems = append(problems, fmt.Sprintf("it refers to %q outside the document", a.Value))
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if !root {
		return append(problems, "there is no svg element")
	}
	if !title {
		problems = append(problems, "the svg element has no title")
	}
	return slices.Compact(problems)
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// checkMark fetches a= and checks its leaf: PEM, the logotype extension
// and the BIMI key usage, valid now.
func checkMark(ctx context.Context, r dns.Resolver, url string, o webget.Options, now time.Time) []report.Finding {
	o.MaxSize = maxMark
	doc, err := webget.Get(ctx, r, url, o)
	if err != nil {
		return []report.Finding{{ID: "bimi.certificate-unavailable", Severity: report.Error,
			Message: fmt.Sprintf("the BIMI mark certificate at %s cannot be fetched: %v; providers that require one show no logo", url, err),
			Fix:     "serve the PEM chain of the mark certificate (VMC or CMC) over HTTPS, status 200, no redirect",
			Ref:     "draft-brand-indicators-for-message-identification §4.2"}}
	}
	invalid := func(why string) []report.Finding {
		return []report.Finding{{ID: "bimi.certificate-invalid", Severity: report.Error,
			Message: fmt.Sprintf("the BIMI mark certificate at %s %s; providers that require one show no logo", url, why),
			Fix:     "publish the PEM chain your mark certificate's issuer gave you (leaf first), and renew it before it expires",
			Ref:     "RFC 3709 §4.1, draft-fetch-validation-vmc-wchuang"}}
	}
	var leaf *x509.Certificate
	for rest := doc.Body; leaf == nil; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			if leaf, err = x509.ParseCertificate(b.Bytes); err != nil {
				return invalid("does not parse: " + err.Error())
			}
		}
	}
	switch {
	case leaf == nil:
		return invalid("holds no PEM certificate")
	case now.After(leaf.NotAfter):
		return invalid(fmt.Sprintf("expired on %s", leaf.NotAfter.UTC().Format(time.DateOnly)))
	case now.Before(leaf.NotBefore):
		return invalid(fmt.Sprintf("is not valid before %s", leaf.NotBefore.UTC().Format(time.DateOnly)))
	case !slices.ContainsFunc(leaf.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidLogotype) }):
		return invalid("has no logotype extension (RFC 3709): it is not a mark certificate")
	case !slices.ContainsFunc(leaf.UnknownExtKeyUsage, func(o asn1.ObjectIdentifier) bool { return o.Equal(oidBIMIEKU) }):
		return invalid("lacks the BIMI extended key usage (1.3.6.1.5.5.7.3.31)")
	}
	return nil
}
