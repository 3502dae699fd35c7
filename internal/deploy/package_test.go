package deploy_test

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/deploy"
)

const httpFunction = `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","methods":["get"],"route":"hello","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}`
const timerFunction = `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * * *"}]}`

// fakeRepo writes a tiny repository with the layout scripts/package.sh expects:
// host.json naming the binary app-handler (not the usual name, so the script must
// read it), a main package, two functions, and what must stay out of the package.
func fakeRepo(t *testing.T, extra map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                        "module example.com/fake\n\ngo 1.22\n",
		"handler/main.go":               "package main\n\nfunc main() {}\n",
		"host.json":                     `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"app-handler","arguments":["serve"]},"enableProxyingHttpRequest":true}}`,
		"functions/hello/function.json": httpFunction,
		"functions/tick/function.json":  timerFunction,
		"functions/routes.go":           "package functions\n",
		"functions/testdata/notes.txt":  "not a function",
		"README.md":                     "stays out",
	}
	for k, v := range extra {
		files[k] = v
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func runPackage(t *testing.T, root string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "../../scripts/package.sh", root)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func zipEntries(t *testing.T, p string) map[string]*zip.File {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zr.Close() })
	out := map[string]*zip.File{}
	for _, f := range zr.File {
		out[f.Name] = f
	}
	return out
}

// TestPackageScript runs scripts/package.sh on a fake repository, with the zip
// command and with the Go fallback, and reads the zip it made.
func TestPackageScript(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"zip command", nil},
		{"go fallback", []string{"PACKAGE_ZIP=go"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == nil {
				if _, err := exec.LookPath("zip"); err != nil {
					t.Skip("no zip command here; the Go fallback case covers packaging")
				}
			}
			root := fakeRepo(t, nil)
			out, err := runPackage(t, root, tt.env...)
			if err != nil {
				t.Fatalf("package.sh failed: %v\n%s", err, out)
			}
			zipPath := filepath.Join(root, "dist", "teamspro-functions.zip")
			entries := zipEntries(t, zipPath)
			var files []string
			for name, f := range entries {
				if !f.FileInfo().IsDir() {
					files = append(files, name)
				}
			}
			sort.Strings(files)
			want := []string{"app-handler", "hello/function.json", "host.json", "tick/function.json"}
			if !slices.Equal(files, want) {
				t.Errorf("got files %v, want %v", files, want)
			}
			if bin := entries["app-handler"]; bin != nil && bin.Mode().Perm()&0o111 == 0 {
				t.Errorf("got mode %v for app-handler, want executable", bin.Mode())
			}
			z, err := deploy.VerifyAppZip(zipPath)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(z.Functions, ","); got != "hello,tick" {
				t.Errorf("got functions %s, want hello,tick", got)
			}
			if _, err := os.Stat(filepath.Join(root, "dist", "app", "app-handler")); err != nil {
				t.Errorf("staged folder: %v", err)
			}
		})
	}
}

// TestPackageScriptRefuses shows the script stops on a layout the host would
// reject, naming the problem.
func TestPackageScriptRefuses(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		want  string
	}{
		{"bad function name", map[string]string{"functions/Hello_World/function.json": httpFunction}, "functions/Hello_World: a function folder name must match"},
		{"no executable path", map[string]string{"host.json": `{"version":"2.0","customHandler":{"description":{}}}`}, "defaultExecutablePath is not set"},
		{"invalid function.json", map[string]string{"functions/broken/function.json": `{"bindings":[]}`}, "broken/function.json: no bindings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := fakeRepo(t, tt.extra)
			out, err := runPackage(t, root)
			if err == nil {
				t.Fatalf("got success, want a failure mentioning %q\n%s", tt.want, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("got output %q, want it to mention %q", out, tt.want)
			}
			if _, err := os.Stat(filepath.Join(root, "dist", "teamspro-functions.zip")); err == nil {
				t.Error("got a zip in dist/, want none after a failure")
			}
		})
	}
}
