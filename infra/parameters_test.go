package infra_test

import (
	"encoding/json"
	"os"
	"testing"
)

// TestParametersFile checks main.parameters.json (the file azd fills in from its
// environment) against main.bicep: every parameter it sets is declared, and every
// parameter without a default is set.
func TestParametersFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("main.parameters.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Parameters map[string]struct {
			Value any `json:"value"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("main.parameters.json: %v", err)
	}
	params := parseFile(t, "main.bicep").Params()
	if len(params) == 0 {
		t.Fatal("got no parameters in main.bicep")
	}
	declared := map[string]bool{}
	for _, p := range params {
		declared[p.Name] = true
		if _, set := file.Parameters[p.Name]; !set && !p.HasDefault {
			t.Errorf("main.bicep parameter %s has no default and main.parameters.json does not set it", p.Name)
		}
	}
	for name := range file.Parameters {
		if !declared[name] {
			t.Errorf("main.parameters.json sets %s, which main.bicep does not declare", name)
		}
	}
	for _, name := range []string{"entraClientId", "entraAppIdUri", "environmentName"} {
		if !declared[name] {
			t.Errorf("main.bicep: got no parameter %s, want it", name)
		}
	}
}
