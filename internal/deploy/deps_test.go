package deploy_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHandlerLinksNoDevelopmentPackages: the deployed binary links only what
// it serves with. The browser driver, the OpenAPI validator, the Bicep parser
// and the test helpers are used by tests and tools only; linked into the
// handler they would add to its size and to every cold start. They stay out
// by the package structure (test files and tools/ import them), which this
// test keeps honest.
func TestHandlerLinksNoDevelopmentPackages(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../handler").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("got %d dependencies of the handler, want the whole graph", len(deps))
	}
	banned := []string{
		"github.com/chromedp/", "github.com/getkin/kin-openapi", "github.com/tree-sitter", "go.yaml.in/yaml", "gopkg.in/yaml",
		"github.com/teamspro/functions/internal/testenv", "github.com/teamspro/functions/internal/tables/tablestest",
		"github.com/teamspro/functions/internal/faultproxy", "github.com/teamspro/functions/internal/loadtest",
		"github.com/teamspro/functions/internal/deploy", "github.com/teamspro/functions/tools/", "testing",
	}
	for _, d := range deps {
		for _, b := range banned {
			if d == b || strings.HasPrefix(d, b) {
				t.Errorf("the handler links %s (matches %q), a package for tests and tools", d, b)
			}
		}
	}
}
