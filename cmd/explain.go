package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/smtptool/smtptool/explain"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type explainOptions struct {
	Input string
}

// newExplainCmd builds the command; runF, when set, replaces runExplain so that a
// test can check what the flags parse to.
func newExplainCmd(g *Global, runF func(context.Context, *explainOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *explainOptions) error { return runExplain(ctx, g, o) }
	}
	o := &explainOptions{}
	return &cobra.Command{
		Use:   "explain CODE|TEXT|-",
		Short: "explain a reply code, an enhanced status code, a reply line, or a whole bounce on stdin",
		Long: `Explains an SMTP reply: a basic code (550), an enhanced status code (5.7.26)
or a whole reply line as a server or a log wrote it (the words may be given
unquoted: they are joined). With -, it reads stdin, which may also be a whole
bounce message (a DSN, a feedback report, an auto-reply or a text bounce from
any MTA): then it says, for every recipient, what failed and why.
It says what the code means, whether it is permanent, who must act, what to
do, and the failure's reason (Sisimai's taxonomy).`,
		Example: `  smtptool explain 550
  smtptool explain 5.7.26
  smtptool explain 550 5.1.1 user unknown
  smtptool explain "550-5.1.1 The email account that you tried to reach does not exist"
  smtptool explain - < bounce.eml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Input = strings.Join(args, " ")
			return runF(c.Context(), o)
		},
	}
}

func runExplain(ctx context.Context, g *Global, o *explainOptions) error {
	if o.Input == "-" {
		text, err := interruptible(ctx, func() (string, error) { return readText(g.io.In, maxMessage) }, nil)
		if err != nil {
			return usageError("reading stdin: %v", err)
		}
		o.Input = text
	}
	res, err := explain.Analyze(o.Input)
	if errors.Is(err, explain.ErrNotAReply) && explain.LooksLikeMessage(o.Input) {
		// A message that is no bounce: why was it delivered as it was?
		fmt.Fprintln(g.io.ErrOut, "smtptool: this message is not a bounce; analysing it as a received message (smtptool message)")
		return runMessage(ctx, g, &messageOptions{File: "-", TrustReceived: 1}, []byte(o.Input))
	}
	if errors.Is(err, explain.ErrNotAReply) {
		return usageError("%q is not a reply or a bounce: give a reply code (550), an enhanced status code (5.7.26), a reply line, or a whole bounce message on stdin", shorten(o.Input, 80))
	}
	if err != nil {
		return failure(err)
	}
	if g.Format == "text" {
		// An explanation is not a check: no status marks, just the answer.
		p := g.printer()
		explainText{res}.WriteText(p)
		return nil
	}
	rep := &report.Report{Command: "explain", Target: shorten(strings.TrimSpace(o.Input), 200),
		Checks: []*report.Check{{Name: "explain", Data: res}}}
	return g.render(rep)
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// explainText renders an explanation for a person.
type explainText struct{ *explain.Result }

func (e explainText) WriteText(p *report.Printer) {
	if b := e.Bounce; b != nil {
		kind := b.Kind + " bounce"
		if b.Agent != "" {
			kind += " (" + b.Agent + ")"
		}
		p.Line(0, p.S(report.Bold, kind)+p.S(report.Dim, fmt.Sprintf("  from %s: %s", b.From, b.Subject)))
		var rows [][]report.Cell
		for _, r := range b.Recipients {
			code := strings.TrimSpace(fmt.Sprintf("%s %s", strings.TrimPrefix(fmt.Sprint(r.Code), "0"), r.Enhanced))
			style := report.Bad
			if !r.Permanent {
				style = report.Warn
			}
			rows = append(rows, []report.Cell{report.C(r.Address, report.Bold), report.C(r.Reason, style), report.C(code, report.Plain), report.C(r.Command, report.Plain), report.C(shorten(r.Diagnostic, 90), report.Dim)})
		}
		p.Table(2, rows)
		p.Line(0, "")
	}
	code := ""
	if e.Code != 0 {
		code = fmt.Sprint(e.Code)
	}
	if e.Enhanced != "" {
		code = strings.TrimSpace(code + " " + e.Enhanced)
	}
	style := map[int]report.Style{5: report.Bad, 4: report.Warn, 2: report.Good}[e.Class()]
	var rows [][]report.Cell
	if code != "" {
		rows = append(rows, []report.Cell{report.C("code", report.Dim), report.C(code, report.Bold)})
	}
	rows = append(rows,
		[]report.Cell{report.C("means", report.Dim), report.C(e.Meaning, report.Plain)},
		[]report.Cell{report.C("kind", report.Dim), report.C(e.Kind(), style)})
	if e.Text != "" {
		rows = append(rows, []report.Cell{report.C("server said", report.Dim), report.C(e.Text, report.Plain)})
	}
	if e.Action != "" {
		rows = append(rows, []report.Cell{report.C("what to do", report.Dim), report.C(e.Action, report.Plain)})
	}
	if e.Actor != "" {
		rows = append(rows, []report.Cell{report.C("who acts", report.Dim), report.C(string(e.Actor), report.Plain)})
	}
	if e.Reason != "" {
		rows = append(rows, []report.Cell{report.C("reason", report.Dim), report.C(e.Reason, report.Bold)})
	}
	if rc := e.Receiver; rc != nil {
		rows = append(rows,
			[]report.Cell{report.C(rc.Name+" says", report.Dim), report.C(rc.Meaning, report.Plain)},
			[]report.Cell{report.C("fix", report.Dim), report.C(rc.Fix, report.Good)})
	}
	if e.Ref != "" {
		rows = append(rows, []report.Cell{report.C("ref", report.Dim), report.C(e.Ref, report.Dim)})
	}
	p.Fields(0, rows)
}
