package cmd_test

import (
	"os"
	"strings"
	"testing"

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
	if !strings.Contains(install, `archive="smtptool_${tag#v}_${os}_${arch}.tar.gz"`) || !strings.Contains(install, "sha256sum -c") {
		t.Errorf("install step:\n%s", install)
	}
	if !strings.Contains(action.Runs.Steps[1].Run, "--format sarif") || !strings.HasPrefix(action.Runs.Steps[2].Uses, "github/codeql-action/upload-sarif") {
		t.Errorf("steps: %+v", action.Runs.Steps)
	}
}
