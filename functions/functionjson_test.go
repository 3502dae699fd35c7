package functions_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite functions/*/function.json from the route and trigger tables")

var functionName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,127}$`)

// TestFunctionJSON fails when a function.json and the handler's tables disagree
// in either direction: a route served without a function (the host would never
// forward it), or a function the handler does not serve.
func TestFunctionJSON(t *testing.T) {
	want := newOfflineServer(t).FunctionJSON()
	if *update {
		for name, b := range want {
			if err := os.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(name, "function.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob("*/function.json")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, f := range files {
		name := filepath.Dir(f)
		have = append(have, name)
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: the handler serves no function %q", f, name)
			continue
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s differs from the handler's tables:\ngot  %s\nwant %s\n(run go test ./functions -run TestFunctionJSON -update)", f, got, w)
		}
	}
	for name := range want {
		if !functionName.MatchString(name) {
			t.Errorf("function name %q is not a valid folder name", name)
		}
		if !slices.Contains(have, name) {
			t.Errorf("the handler serves %s but functions/%s/function.json is missing", name, name)
		}
	}
}

// TestFunctionRoutesMatchRouter reads each committed function.json as the host
// would and checks that the router serves exactly its methods on its route.
func TestFunctionRoutesMatchRouter(t *testing.T) {
	served := map[string][]string{} // route -> methods
	for _, rt := range newOfflineServer(t).Routes() {
		served[rt.FunctionRoute()] = append(served[rt.FunctionRoute()], strings.ToLower(rt.Method))
	}
	files, _ := filepath.Glob("*/function.json")
	declared := map[string][]string{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var fj struct {
			Bindings []struct {
				Type    string   `json:"type"`
				Route   string   `json:"route"`
				Methods []string `json:"methods"`
			} `json:"bindings"`
		}
		if err := json.Unmarshal(b, &fj); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, b := range fj.Bindings {
			if b.Type == "httpTrigger" {
				declared[b.Route] = append(declared[b.Route], b.Methods...)
			}
		}
	}
	for route, methods := range served {
		slices.Sort(methods)
		d := declared[route]
		slices.Sort(d)
		if !slices.Equal(methods, d) {
			t.Errorf("route %s: router serves %v, function.json declares %v", route, methods, d)
		}
	}
	for route := range declared {
		if _, ok := served[route]; !ok {
			t.Errorf("route %s is declared in a function.json but not served", route)
		}
	}
}
