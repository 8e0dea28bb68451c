package cmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/lab/labtest"
	"gopkg.in/yaml.v3"
)

// The GitHub Action installs the archives the release build makes: its
// archive name must follow .goreleaser.yaml's name template.
func TestActionMatchesTheReleaseArchives(t *testing.T) {
	var action struct {
		Inputs map[string]struct {
			Required bool
			Default  string
		}
		Runs struct {
			Using string
			Steps []struct {
				Name string
				Run  string
				Uses string
			}
		}
	}
	raw, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" || !action.Inputs["domains"].Required || action.Inputs["fail-on"].Default != "error" {
		t.Fatalf("%+v", action)
	}
	var release struct {
		Archives []struct {
			NameTemplate string `yaml:"name_template"`
		}
	}
	raw, err = os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &release); err != nil {
		t.Fatal(err)
	}
	if got := release.Archives[0].NameTemplate; got != "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}" {
		t.Fatalf("the release archive name changed (%q): update action.yml's install step", got)
	}
	install := action.Runs.Steps[0].Run
	if !strings.Contains(install, `archive="smtptool_${tag#v}_${os}_${arch}.tar.gz"`) || !strings.Contains(install, `sum="sha256sum"`) || !strings.Contains(install, `sum="shasum -a 256"`) {
		t.Errorf("install step:\n%s", install)
	}
	if !strings.Contains(action.Runs.Steps[1].Run, `--sarif "$SARIF"`) || action.Runs.Steps[2].Uses != "github/codeql-action/upload-sarif@v4" {
		t.Errorf("steps: %+v", action.Runs.Steps)
	}
}

// The Action's shell steps run on Linux against a local release archive:
// install (the action's own tag, the checksum checked with sha256sum, or
// with shasum where sha256sum is missing, as on macOS), then one check run
// that writes both the log and the SARIF file.
func TestActionStepsRunAgainstALocalRelease(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Action's steps are run on Linux")
	}
	for _, tool := range []string{"bash", "curl", "tar", "sha256sum", "shasum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	var action struct {
		Runs struct {
			Steps []struct{ Run string }
		}
	}
	raw, _ := os.ReadFile("../action.yml")
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	install, check := action.Runs.Steps[0].Run, action.Runs.Steps[1].Run

	// A release as goreleaser lays it out: <tag>/<archive> and checksums.txt.
	releases := t.TempDir()
	tag := "v9.9.9"
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if arch == "" {
		t.Skipf("no Action runner for %s", runtime.GOARCH)
	}
	build := t.TempDir()
	if b, err := exec.Command("go", "build", "-o", filepath.Join(build, "smtptool"), "-ldflags", "-X github.com/smtptool/smtptool/cmd.version=9.9.9", "./smtptool").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	archive := "smtptool_9.9.9_linux_" + runtime.GOARCH + ".tar.gz"
	os.MkdirAll(filepath.Join(releases, tag), 0o755)
	if b, err := exec.Command("tar", "-czf", filepath.Join(releases, tag, archive), "-C", build, "smtptool").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	sum, err := exec.Command("sha256sum", filepath.Join(releases, tag, archive)).Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(releases, tag, "checksums.txt"), []byte(strings.Fields(string(sum))[0]+"  "+archive+"\n"), 0o644)

	// A PATH without sha256sum, as on macOS runners.
	noSHA256 := t.TempDir()
	for _, tool := range []string{"bash", "curl", "grep", "tar", "gzip", "shasum", "mkdir", "cat", "perl", "env"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(noSHA256, tool))
		}
	}
	l, _ := labtest.ForTest(t, time.Second)
	for _, path := range []string{os.Getenv("PATH"), noSHA256} {
		runnerTemp := t.TempDir()
		env := []string{"PATH=" + path, "RUNNER_OS=Linux", "RUNNER_ARCH=" + arch, "RUNNER_TEMP=" + runnerTemp,
			"GITHUB_PATH=" + filepath.Join(runnerTemp, "path"), "GITHUB_OUTPUT=" + filepath.Join(runnerTemp, "output"),
			"VERSION=", "ACTION_REF=" + tag, "GH_TOKEN=unused", "SMTPTOOL_RELEASES=file://" + releases}
		cmd := exec.Command("bash", "-c", install)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "9.9.9") || !strings.Contains(string(out), "OK") {
			t.Fatalf("install (PATH %s): %v\n%s", path, err, out)
		}
		installed, _ := os.ReadFile(filepath.Join(runnerTemp, "path"))
		sarif := filepath.Join(runnerTemp, "smtptool.sarif")
		cmd = exec.Command("bash", "-c", check)
		cmd.Env = append(env[1:], "PATH="+strings.TrimSpace(string(installed))+":"+os.Getenv("PATH"), "DOMAINS=good.test spf-plusall.test", "EXPECT=",
			"FAIL_ON=error", "SARIF="+sarif, "ARGS=--resolver "+l.DNS.Addr+" --trust-anchor "+anchorFile(t, l)+" --allow-private --blocklist-private --mta-sts-port "+fmt.Sprint(l.HTTPSPort)+" --ca-file "+caFile(t, l))
		out, err = cmd.CombinedOutput()
		output, _ := os.ReadFile(filepath.Join(runnerTemp, "output"))
		doc, _ := os.ReadFile(sarif)
		if err != nil || strings.TrimSpace(string(output)) != "exit-code=1" || !strings.Contains(string(out), "check spf-plusall.test") ||
			!strings.Contains(string(doc), `"ruleId": "spf.permissive-all"`) {
			t.Fatalf("check step: %v\noutput %q\nlog:\n%s\nsarif:\n%.400s", err, output, out, doc)
		}
	}
}
