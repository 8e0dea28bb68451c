package explain

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// fluflBounces are the real bounces that Mailman's bounce detector
// (Debian's python3-flufl.bounce) ships as its test data: a sample nobody
// here wrote a rule from.
const fluflBounces = "/usr/lib/python3/dist-packages/flufl/bounce/tests/data"

// sisimai4Lacks are the reasons Sisimai 5 split out of older ones
// (Sisimai 5.0.0 Changes: AuthFailure, BadReputation, NotCompliantRFC,
// RequirePTR, Speeding; FailedSTARTTLS later): Debian's Sisimai 4.25 calls
// them blocked, rejected, policyviolation or securityerror, so a
// recipient given one of them here is not compared.
var sisimai4Lacks = map[string]bool{"authfailure": true, "badreputation": true, "notcompliantrfc": true,
	"requireptr": true, "speeding": true, "failedstarttls": true}

// TestAgreesWithSisimai runs the reference classifier, Sisimai (Debian's
// libsisimai-perl), over the same bounce files as ParseBounce: flufl's
// bounces, and the shared corpus when present. It asserts that both find
// the same recipients and agree on the reason of nearly all of them, and
// lists every disagreement.
func TestAgreesWithSisimai(t *testing.T) {
	if err := exec.Command("perl", "-MSisimai", "-e", "1").Run(); err != nil {
		if os.Getenv("SMTPTOOL_REQUIRE_SISIMAI") != "" {
			t.Fatalf("Sisimai is required (apt-get install libsisimai-perl): %v", err)
		}
		t.Skip("Sisimai (libsisimai-perl) is not installed")
	}
	for _, set := range []struct {
		name, dir, glob string
		// the floors below which agreement fails the test, measured
		// 2026-12-01: flufl 108/119 (3 of Sisimai's 122 not found),
		// the shared corpus 259/280 (6 not found)
		minAgree float64
		maxMiss  int
	}{
		{"flufl.bounce", fluflBounces, "*.txt", 0.86, 4},
		{"shared corpus", "../../shared/corpora/bounces/maildir/bsd", "*.eml", 0.89, 8},
	} {
		files, _ := filepath.Glob(filepath.Join(set.dir, set.glob))
		if len(files) == 0 {
			if set.name == "flufl.bounce" && os.Getenv("SMTPTOOL_REQUIRE_SISIMAI") != "" {
				t.Fatalf("%s: no bounces in %s (apt-get install python3-flufl.bounce)", set.name, set.dir)
			}
			t.Logf("%s: no bounces in %s, skipped", set.name, set.dir)
			continue
		}
		t.Run(set.name, func(t *testing.T) {
			ref := sisimaiReasons(t, files)
			agree, compared, missed := 0, 0, 0
			var differ []string
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				ours := map[string]string{}
				if b, err := ParseBounce(raw); err == nil {
					for _, r := range b.Recipients {
						ours[strings.ToLower(r.Address)] = r.Reason
					}
				}
				for _, want := range ref[f] {
					got, ok := ours[want.address]
					switch {
					case !ok:
						missed++
						differ = append(differ, filepath.Base(f)+" "+want.address+": not found (Sisimai: "+want.reason+")")
					case sisimai4Lacks[got]:
					case got == want.reason:
						compared++
						agree++
					default:
						compared++
						differ = append(differ, filepath.Base(f)+" "+want.address+": "+got+", Sisimai "+want.reason+" (its command "+want.command+")")
					}
				}
			}
			sort.Strings(differ)
			for _, d := range differ {
				t.Log(d)
			}
			t.Logf("%s: %d of %d recipients agree with Sisimai, %d not found", set.name, agree, compared, missed)
			if compared == 0 || float64(agree) < set.minAgree*float64(compared) || missed > set.maxMiss {
				t.Errorf("%s: %d/%d agree (floor %.0f%%), %d not found (at most %d)", set.name, agree, compared, 100*set.minAgree, missed, set.maxMiss)
			}
		})
	}
}

type sisimaiRecipient struct{ address, reason, command string }

// sisimaiReasons runs testdata/sisimai-reasons.pl over the files.
func sisimaiReasons(t *testing.T, files []string) map[string][]sisimaiRecipient {
	t.Helper()
	out, err := exec.Command("perl", append([]string{"testdata/sisimai-reasons.pl"}, files...)...).Output()
	if err != nil {
		t.Fatalf("sisimai: %v", err)
	}
	ref := map[string][]sisimaiRecipient{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || !slices.Contains(files, f[0]) {
			t.Fatalf("sisimai: unexpected line %q", sc.Text())
		}
		ref[f[0]] = append(ref[f[0]], sisimaiRecipient{f[1], f[2], f[3]})
	}
	return ref
}
