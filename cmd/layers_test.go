package cmd_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The package graph is a tree of layers: cmd → scan → {check areas, probe,
// explain} → dns, report. A package imports only layers below its own
// (check areas may use each other); lab is test and demo infrastructure
// beside scan.
var layers = map[string]int{
	"dns": 0, "report": 0,
	"check/tags": 1, "dns/dnstest": 1, "dns/validate": 1,
	"check": 2, "explain": 2,
	"probe": 3,
	"scan":  4, "lab": 4, "lab/labtest": 5,
	"cmd": 6, "cmd/smtptool": 7,
}

const module = "github.com/smtptool/smtptool/"

func layerOf(t *testing.T, pkg string) int {
	rel := strings.TrimPrefix(pkg, module)
	if n, ok := layers[rel]; ok {
		return n
	}
	if strings.HasPrefix(rel, "check/") {
		return layers["check"]
	}
	t.Fatalf("package %s has no layer in layers_test.go", pkg)
	return 0
}

func TestPackagesImportOnlyLayersBelow(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		from := layerOf(t, fields[0])
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := layerOf(t, imp)
			sameArea := from == layers["check"] && to == from && strings.Contains(imp, "/check/")
			if to >= from && !sameArea {
				t.Errorf("%s imports %s, a layer not below it", fields[0], imp)
			}
		}
	}
}

// The shipped binary does not link the testing package (the lab's test
// helpers live in lab/labtest).
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./smtptool").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for dep := range strings.Lines(string(out)) {
		if strings.TrimSpace(dep) == "testing" {
			t.Fatal("cmd/smtptool links testing")
		}
	}
}
