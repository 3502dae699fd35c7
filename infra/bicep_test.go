package infra_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/deploy/bicep"
)

// bicepFiles lists every template under infra/: main.bicep and its modules.
func bicepFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".bicep") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, "main.bicep") {
		t.Fatalf("got templates %v, want main.bicep among them", files)
	}
	return files
}

func parseFile(t *testing.T, path string) *bicep.File {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := bicep.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// TestBicepParses parses every template with the tree-sitter Bicep grammar; an
// ERROR or MISSING node fails with its file and line. `az bicep build` checks more
// (types, names) where the Bicep CLI is installed: see docs/deploy.md.
func TestBicepParses(t *testing.T) {
	t.Parallel()
	for _, path := range bicepFiles(t) {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			for _, e := range parseFile(t, path).SyntaxErrors() {
				t.Errorf("%s:%s", path, e)
			}
		})
	}
}

// TestBicepParserRejectsBrokenSnippets shows the parse check can fail: each snippet
// has one syntax error, which must be found on the expected line.
func TestBicepParserRejectsBrokenSnippets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      string
		wantLine int
	}{
		{"unclosed array", "param x string\nresource a 'x@1' = {\n  name: 'a'\n  properties: { b: [ 1, }\n}\n", 4},
		{"missing value", "param x string\nvar y = \n", 2},
		// The parser notices an unclosed string where the file ends.
		{"unterminated string", "var a = 'ok'\nvar b = 'oops\n", 3},
		{"stray brace", "var a = 1\n}\n", 2},
		{"keyword typo", "resourse a 'x@1' = {\n  name: 'a'\n}\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := bicep.Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			errs := f.SyntaxErrors()
			if len(errs) == 0 {
				t.Fatalf("got no syntax error, want one on line %d", tt.wantLine)
			}
			var lines []int
			for _, e := range errs {
				lines = append(lines, e.Line)
			}
			if !slices.Contains(lines, tt.wantLine) {
				t.Errorf("got errors %v, want one on line %d", errs, tt.wantLine)
			}
		})
	}
}

// TestBicepWritesNoKeys fails if a template reads account keys or connection
// strings: every service is reached with the managed identity.
func TestBicepWritesNoKeys(t *testing.T) {
	t.Parallel()
	forbidden := []string{"listKeys", "listConnectionStrings", "listAccountSas", "listServiceSas", "listkeys"}
	for _, path := range bicepFiles(t) {
		for _, call := range parseFile(t, path).Calls() {
			if slices.Contains(forbidden, call) {
				t.Errorf("%s calls %s(); use the managed identity instead of keys", path, call)
			}
		}
	}
}

// TestFlexFunctionApp checks the facts of the Flex Consumption app that the Bicep
// compiler would not: custom runtime, deployment with the identity, no worker
// runtime setting, Key Vault reference resolved with the identity.
func TestFlexFunctionApp(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("modules/functionapp.bicep")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for _, want := range []string{
		"name: 'FC1'",
		"tier: 'FlexConsumption'",
		"kind: 'functionapp,linux'",
		"name: 'custom'",
		"version: '1.0'",
		"type: 'blobContainer'",
		"type: 'UserAssignedIdentity'",
		"keyVaultReferenceIdentity: identityId",
		"allowedOrigins: corsAllowedOrigins",
		"@Microsoft.KeyVault(SecretUri=",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("modules/functionapp.bicep: got no %q, want it", want)
		}
	}
	settings, err := parseFile(t, "modules/functionapp.bicep").AppSettings()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if s.Name == "FUNCTIONS_WORKER_RUNTIME" || s.Name == "FUNCTIONS_EXTENSION_VERSION" {
			t.Errorf("line %d: %s is set; Flex Consumption takes the runtime from functionAppConfig and rejects it", s.Line, s.Name)
		}
		if strings.Contains(s.Value, "AccountKey=") || strings.Contains(s.Value, "SharedAccessKey") {
			t.Errorf("line %d: %s carries a key; use the managed identity", s.Line, s.Name)
		}
	}
}
