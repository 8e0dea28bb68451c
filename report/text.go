package report

import (
	"regexp"

	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/fatih/color"
)

// Style names how a piece of text is shown on a colour terminal.
type Style int

// Styles; Plain is the zero value.
const (
	Plain Style = iota
	Dim
	Bold
	Good
	Warn
	Bad
)

// TextDetails is implemented by check data that has something to show a
// person beyond the findings (the MX table, the SMTP steps...).
type TextDetails interface {
	WriteText(p *Printer)
}

// Cell is one cell of a table row.
type Cell struct {
	Text  string
	Style Style
}

// C is shorthand for a cell.
func C(text string, s Style) Cell { return Cell{text, s} }

// Printer writes human output with optional colour. It never decides on
// colour itself: the caller says whether the output is a terminal.
type Printer struct {
	// Verbose asks details to show everything (the SMTP transcript...).
	Verbose bool

	// Width is the terminal's width: lines are wrapped to it with a
	// hanging indent, and table rows cut with "…". Zero means 80.
	Width int

	w        io.Writer
	styles   map[Style]*color.Color
	useColor bool
	err      error
}

// DefaultWidth is the width when the terminal's is unknown (a pipe).
const DefaultWidth = 80

func (p *Printer) width() int {
	if p.Width <= 0 {
		return DefaultWidth
	}
	return p.Width
}

// NewPrinter returns a Printer on w, colouring only when useColor is set.
func NewPrinter(w io.Writer, useColor bool) *Printer {
	p := &Printer{w: w, useColor: useColor, styles: map[Style]*color.Color{
		Plain: color.New(color.Reset),
		Dim:   color.New(color.Faint),
		Bold:  color.New(color.Bold),
		Good:  color.New(color.FgGreen),
		Warn:  color.New(color.FgYellow),
		Bad:   color.New(color.FgRed, color.Bold),
	}}
	for _, c := range p.styles {
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return p
}

// S renders text in a style.
func (p *Printer) S(s Style, text string) string {
	if s == Plain {
		return text
	}
	return p.styles[s].Sprint(text)
}

// Line writes one line indented by indent spaces. Control characters are
// escaped (see Escape): banners, replies, DNS records and bounces come from
// outside, and must not move the cursor, retitle the terminal or hide text.
//
// A line wider than the terminal is wrapped at spaces, its continuation
// indented four more columns (a word longer than the width is left whole).
func (p *Printer) Line(indent int, text string) {
	if p.err != nil {
		return
	}
	text = p.escape(text)
	for i, line := range wrap(text, indent, p.width()) {
		pad := indent
		if i > 0 {
			pad += 4
		}
		if _, p.err = fmt.Fprintf(p.w, "%s%s\n", strings.Repeat(" ", pad), line); p.err != nil {
			return
		}
	}
}

// wrap breaks text at spaces so that each line, indented, fits width;
// continuation lines are indented 4 more.
func wrap(text string, indent, width int) []string {
	if indent+visibleWidth(text) <= width {
		return []string{text}
	}
	var lines []string
	var cur strings.Builder
	curW, room := 0, width-indent
	for _, word := range strings.Split(text, " ") {
		w := visibleWidth(word)
		if curW > 0 && curW+1+w > room {
			lines = append(lines, cur.String())
			cur.Reset()
			curW, room = 0, width-indent-4
		}
		if curW > 0 {
			cur.WriteByte(' ')
			curW++
		}
		cur.WriteString(word)
		curW += w
	}
	return append(lines, cur.String())
}

// visibleWidth is the columns a string takes on a terminal: SGR colour
// sequences take none, wide (CJK) characters two (rivo/uniseg).
func visibleWidth(s string) int {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = sgrSequence.ReplaceAllString(s, "")
	}
	return uniseg.StringWidth(s)
}

var sgrSequence = regexp.MustCompile("\x1b\\[[0-9;]*m")

// fitWidth cuts a cell's text to n columns, with "…" where it was cut.
func fitWidth(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if uniseg.StringWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if w+cw > n-1 {
			break
		}
		b.WriteString(g.Str())
		w += cw
	}
	return b.String() + "…"
}

func (p *Printer) escape(s string) string {
	if !p.useColor {
		return Escape(s)
	}
	var b strings.Builder
	for s != "" {
		i := strings.IndexByte(s, 0x1b)
		if i < 0 {
			b.WriteString(Escape(s))
			break
		}
		b.WriteString(Escape(s[:i]))
		s = s[i:]
		// Only colour (SGR: ESC [ digits and semicolons m), as the Printer
		// writes it, is let through, and only when colouring.
		n := 2
		for n < len(s) && (s[n] >= '0' && s[n] <= '9' || s[n] == ';') {
			n++
		}
		if strings.HasPrefix(s, "\x1b[") && n < len(s) && s[n] == 'm' {
			b.WriteString(s[:n+1])
			s = s[n+1:]
			continue
		}
		b.WriteString(Escape(s[:1]))
		s = s[1:]
	}
	return b.String()
}

// Escape makes text from outside safe for a terminal: C0 controls but tab,
// DEL, C1 controls and bytes that are not UTF-8 are written as \xNN or
// \u00NN; everything else is kept.
func Escape(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x80 && isControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == utf8.RuneError
}

// Table writes rows with columns aligned on their visible width (wide
// characters count two). A row wider than the terminal has its last cell
// cut with "…": -v's transcript shows replies whole.
func (p *Printer) Table(indent int, rows [][]Cell) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], uniseg.StringWidth(Escape(c.Text)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		used := indent
		for i, c := range row {
			text := Escape(c.Text)
			if i > 0 {
				b.WriteString("  ")
				used += 2
			}
			if i == len(row)-1 {
				text = fitWidth(text, p.width()-used)
			}
			b.WriteString(p.S(c.Style, text))
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-uniseg.StringWidth(text)))
				used += widths[i]
			}
		}
		p.write(indent, strings.TrimRight(b.String(), " "))
	}
}

// Fields writes name/value rows: the names aligned, each value wrapped
// under its own column when it is wider than the terminal (values are
// shown whole, unlike a table's last cell).
func (p *Printer) Fields(indent int, rows [][]Cell) {
	nameWidth := 0
	for _, row := range rows {
		nameWidth = max(nameWidth, uniseg.StringWidth(Escape(row[0].Text)))
	}
	valueCol := indent + nameWidth + 2
	for _, row := range rows {
		name := Escape(row[0].Text)
		value := p.escape(Escape(row[1].Text))
		lines := wrap(value, valueCol, p.width())
		for i, line := range lines {
			if i == 0 {
				p.write(indent, p.S(row[0].Style, name)+strings.Repeat(" ", nameWidth-uniseg.StringWidth(name)+2)+p.S(row[1].Style, line))
				continue
			}
			p.write(valueCol, p.S(row[1].Style, line))
		}
	}
}

// write writes one line as it is, escaped but not wrapped (table rows are
// already fitted to the width).
func (p *Printer) write(indent int, text string) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, "%s%s\n", strings.Repeat(" ", indent), p.escape(text))
}

// Mark returns the ✓ ! ✗ mark of a status, styled.
func (p *Printer) Mark(st Status) string {
	switch st {
	case StatusOK:
		return p.S(Good, "✓")
	case Status(Info.String()):
		return p.S(Dim, "i")
	case Status(Warning.String()):
		return p.S(Warn, "!")
	default:
		return p.S(Bad, "✗")
	}
}

func severityStyle(s Severity) Style {
	switch s {
	case Error:
		return Bad
	case Warning:
		return Warn
	}
	return Dim
}

// TextOptions say how to render for a person.
type TextOptions struct {
	Color   bool // ANSI colour: only on a terminal, never with NO_COLOR
	Verbose bool // show transcripts and other details
	Width   int  // the terminal's width; 0 means DefaultWidth
}

// WriteText renders reports for a person.
func WriteText(w io.Writer, o TextOptions, reports ...*Report) error {
	p := NewPrinter(w, o.Color)
	p.Verbose, p.Width = o.Verbose, o.Width
	for i, r := range reports {
		if i > 0 {
			p.Line(0, "")
		}
		target := r.Target
		if r.Unicode != "" {
			target += " (" + r.Unicode + ")"
		}
		p.Line(0, fmt.Sprintf("%s %s  %s", p.Mark(r.Status()), p.S(Bold, r.Command+" "+target), p.S(Dim, string(r.Status()))))
		for _, c := range r.Checks {
			writeCheck(p, c)
		}
	}
	return p.err
}

func writeCheck(p *Printer, c *Check) {
	p.Line(0, "")
	p.Line(2, fmt.Sprintf("%s %s", p.Mark(c.Status()), p.S(Bold, c.Name)))
	if d, ok := c.Data.(TextDetails); ok {
		d.WriteText(p)
	}
	if _, skipped := c.Data.(Skipped); skipped && len(c.Findings) == 0 {
		return
	}
	if len(c.Findings) == 0 {
		p.Line(4, p.S(Good, "no problems found"))
		return
	}
	for _, f := range c.Findings {
		p.Line(4, fmt.Sprintf("%s %s  %s", p.Mark(Status(f.Severity.String())), p.S(severityStyle(f.Severity), f.ID), f.Message))
		if f.Fix != "" {
			p.Line(8, p.S(Dim, "fix: ")+f.Fix)
		}
		if f.Ref != "" {
			p.Line(8, p.S(Dim, "ref: "+f.Ref))
		}
	}
}
