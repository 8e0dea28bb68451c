package explain_test

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/smtptool/smtptool/explain"
)

// corpus is the shared bounce corpus: real bounces with the reasons that
// Sisimai, the reference classifier, gives them.
const corpus = "../../shared/corpora/bounces"

// minAgreement guards against regressions; the figure itself is logged.
// It is not a target: a rule with no source beyond one sample is removed
// even when the figure drops (a held-out half is what counts).
const minAgreement = 0.94

func TestBounceCorpusAgreement(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus, "expected.tsv"))
	if err != nil {
		t.Skipf("the bounce corpus is not here (%v): it lives in ../shared/corpora/bounces beside the repository", err)
	}
	defer f.Close()
	type row struct {
		path   string
		index  int
		reason string
		engine string
	}
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		i, _ := strconv.Atoi(c[2])
		engine := ""
		if len(c) > 8 {
			engine = c[8]
		}
		rows = append(rows, row{c[0], i, c[5], cmp.Or(engine, "(none)")})
	}
	parsed := map[string]*explain.Bounce{}
	confusion := map[string]int{}
	// Agreement per reason and per MTA engine: [agreeing, all].
	byReason, byEngine := map[string]*[2]int{}, map[string]*[2]int{}
	tally := func(m map[string]*[2]int, k string, ok bool) {
		if m[k] == nil {
			m[k] = &[2]int{}
		}
		m[k][1]++
		if ok {
			m[k][0]++
		}
	}
	agree := 0
	var misses []string
	for _, r := range rows {
		b, ok := parsed[r.path]
		if !ok {
			raw, err := os.ReadFile(filepath.Join(corpus, r.path))
			if err != nil {
				t.Fatal(err)
			}
			b, _ = explain.ParseBounce(raw)
			parsed[r.path] = b
		}
		got := "(not parsed)"
		if b != nil && r.index-1 < len(b.Recipients) {
			got = b.Recipients[r.index-1].Reason
		} else if b != nil {
			got = "(missing recipient)"
		}
		tally(byReason, r.reason, got == r.reason)
		tally(byEngine, r.engine, got == r.reason)
		if got == r.reason {
			agree++
			continue
		}
		confusion[r.reason+" → "+got]++
		misses = append(misses, fmt.Sprintf("%s #%d: want %s, got %s", filepath.Base(r.path), r.index, r.reason, got))
	}
	rate := float64(agree) / float64(len(rows))
	t.Logf("bounce corpus: %d/%d agree with Sisimai (%.1f%%)", agree, len(rows), 100*rate)
	var keys []string
	for k := range confusion {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return confusion[keys[i]] > confusion[keys[j]] || confusion[keys[i]] == confusion[keys[j]] && keys[i] < keys[j]
	})
	for _, k := range keys {
		t.Logf("  %3d  %s", confusion[k], k)
	}
	if testing.Verbose() {
		for _, by := range []struct {
			name string
			m    map[string]*[2]int
		}{{"reason", byReason}, {"engine", byEngine}} {
			var ks []string
			for k := range by.m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			var line []string
			for _, k := range ks {
				line = append(line, fmt.Sprintf("%s %d/%d", k, by.m[k][0], by.m[k][1]))
			}
			t.Logf("per %s: %s", by.name, strings.Join(line, ", "))
		}
		for _, m := range misses {
			t.Log(m)
		}
	}
	if rate < minAgreement {
		t.Errorf("agreement %.1f%% fell below %.1f%%", 100*rate, 100*minAgreement)
	}
}

// Every sample reads the same with CRLF, LF or classic Mac CR line endings,
// through Analyze as `explain -` calls it.
func TestCorpusLineEndingsReadTheSame(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpus, "maildir", "*", "*.eml"))
	if len(files) == 0 {
		t.Skipf("the bounce corpus is not here: it lives in %s beside the repository", corpus)
	}
	summary := func(in string) string {
		r, err := explain.Analyze(in)
		if err != nil {
			return err.Error()
		}
		s := r.Reason
		for _, rc := range r.Recipients {
			s += " " + rc.Address + "=" + rc.Reason
		}
		return s
	}
	changed := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lf := strings.ReplaceAll(string(raw), "\r\n", "\n")
		want := summary(lf)
		for name, in := range map[string]string{"CRLF": strings.ReplaceAll(lf, "\n", "\r\n"), "CR": strings.ReplaceAll(lf, "\n", "\r")} {
			if got := summary(in); got != want {
				changed++
				t.Errorf("%s with %s line endings: %q, with LF: %q", filepath.Base(f), name, got, want)
			}
		}
	}
	t.Logf("%d samples, %d changed with their line endings", len(files), changed)
}
