package cmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smtptool/smtptool/lab/labtest"
)

// The SARIF that check writes validates against the official SARIF 2.1.0
// JSON schema, as GitHub's upload-sarif demands (go-sarif's own Validate
// accepts nulls that the schema refuses). The schema comes from outside
// the repository: SMTPTOOL_SARIF_SCHEMA names it (.ci/run fetches
// Microsoft's copy from the npm registry), and python3's jsonschema
// validates. Without them the test skips, unless
// SMTPTOOL_REQUIRE_SARIF_SCHEMA is set, as in CI.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	schema := os.Getenv("SMTPTOOL_SARIF_SCHEMA")
	missing := func(why string) {
		msg := "SARIF schema validation skipped: " + why + " (set SMTPTOOL_SARIF_SCHEMA to the SARIF 2.1.0 schema file; python3 needs jsonschema)"
		if os.Getenv("SMTPTOOL_REQUIRE_SARIF_SCHEMA") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(schema); schema == "" || err != nil {
		missing("no schema file")
	}
	python := os.Getenv("SMTPTOOL_PYTHON")
	if python == "" {
		python = "python3"
	}
	if exec.Command(python, "-c", "import jsonschema").Run() != nil {
		missing("no python3 jsonschema")
	}
	l, _ := labtest.ForTest(t, 0)
	r := run(t, nil, "", false, "check", "good.test", "spf-plusall.test", "nxdomain.test", "--format", "sarif",
		"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--allow-private", "--blocklist-private", "--mta-sts-port", fmt.Sprint(l.HTTPSPort), "--ca-file", caFile(t, l))
	out := filepath.Join(t.TempDir(), "check.sarif")
	if err := os.WriteFile(out, []byte(r.out), 0o600); err != nil {
		t.Fatal(err)
	}
	const validate = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
errs = list(cls(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:20]:
    print("/".join(map(str, e.absolute_path)), e.message[:200])
sys.exit(1 if errs else 0)`
	if b, err := exec.Command(python, "-c", validate, schema, out).CombinedOutput(); err != nil {
		t.Fatalf("the SARIF log fails the schema:\n%s", b)
	}
	if !strings.Contains(r.out, `"ruleId": "spf.permissive-all"`) {
		t.Errorf("the log lacks the finding")
	}
}
