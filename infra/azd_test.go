package infra_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestAzureYAML checks azure.yaml against the files it points at: the Bicep module,
// the service tag on the function app, and the folder scripts/package.sh stages.
func TestAzureYAML(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../azure.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Name  string
		Infra struct {
			Provider, Path, Module string
		}
		Services map[string]struct {
			Project     string
			Language    string
			Host        string
			Dist        string
			RemoteBuild *bool `yaml:"remoteBuild"`
			Hooks       map[string]struct {
				Shell, Run string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("azure.yaml: %v", err)
	}
	if cfg.Infra.Provider != "bicep" {
		t.Errorf("infra.provider: got %q, want bicep", cfg.Infra.Provider)
	}
	if _, err := os.Stat("../" + cfg.Infra.Path + "/" + cfg.Infra.Module + ".bicep"); err != nil {
		t.Errorf("infra path and module: %v", err)
	}
	if len(cfg.Services) != 1 {
		t.Fatalf("got %d services, want 1", len(cfg.Services))
	}
	bicepApp, err := os.ReadFile("modules/functionapp.bicep")
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile(`'azd-service-name': '([^']+)'`).FindSubmatch(bicepApp)
	script, err := os.ReadFile("../scripts/package.sh")
	if err != nil {
		t.Fatal(err)
	}
	for name, svc := range cfg.Services {
		if tag == nil || string(tag[1]) != name {
			t.Errorf("service %s: the function app's azd-service-name tag is %q, want %q", name, tag, name)
		}
		if svc.Host != "function" {
			t.Errorf("service %s: host got %q, want function", name, svc.Host)
		}
		if svc.RemoteBuild == nil || *svc.RemoteBuild {
			t.Errorf("service %s: remoteBuild got %v, want false (the package is prebuilt)", name, svc.RemoteBuild)
		}
		if svc.Dist != "dist/app" || !strings.Contains(string(script), `stage="$root/dist/app"`) {
			t.Errorf("service %s: dist got %q, want dist/app, the folder scripts/package.sh stages", name, svc.Dist)
		}
		if h := svc.Hooks["prepackage"]; !strings.Contains(h.Run, "scripts/package.sh") {
			t.Errorf("service %s: prepackage hook got %q, want it to run scripts/package.sh", name, h.Run)
		}
	}
}
