package deploy_test

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/teamspro/functions/internal/deploy"
)

var (
	elfOnce sync.Once
	elfBin  []byte
	elfErr  error
)

// linuxBinary builds a tiny linux/amd64 program once for the zip layout tests.
func linuxBinary(t *testing.T) []byte {
	t.Helper()
	elfOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-elf")
		if err != nil {
			elfErr = err
			return
		}
		defer os.RemoveAll(dir)
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/elf\n\ngo 1.22\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
		cmd := exec.Command("go", "build", "-o", "bin", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			elfErr = err
			_ = out
			return
		}
		elfBin, elfErr = os.ReadFile(filepath.Join(dir, "bin"))
	})
	if elfErr != nil {
		t.Fatal(elfErr)
	}
	return elfBin
}

type entry struct {
	body string
	mode os.FileMode
}

func writeZip(t *testing.T, entries map[string]entry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, e := range entries {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestVerifyAppZip(t *testing.T) {
	t.Parallel()
	bin := string(linuxBinary(t))
	good := func() map[string]entry {
		return map[string]entry{
			"host.json":           {body: `{"customHandler":{"description":{"defaultExecutablePath":"handler"}}}`},
			"handler":             {body: bin, mode: 0o755},
			"hello/function.json": {body: httpFunction},
			"tick/":               {mode: os.ModeDir | 0o755},
			"tick/function.json":  {body: timerFunction},
		}
	}
	tests := []struct {
		name   string
		change func(map[string]entry)
		want   string // "" means valid
	}{
		{"valid", func(map[string]entry) {}, ""},
		{"no host.json", func(m map[string]entry) { delete(m, "host.json") }, "host.json: missing"},
		{"no binary", func(m map[string]entry) { delete(m, "handler") }, "handler: missing at the root"},
		{"binary not executable", func(m map[string]entry) { m["handler"] = entry{body: bin, mode: 0o644} }, "not executable"},
		{"binary is a script", func(m map[string]entry) { m["handler"] = entry{body: "#!/bin/sh\n", mode: 0o755} }, "not an ELF binary"},
		{"stray file at root", func(m map[string]entry) { m["README.md"] = entry{body: "x"} }, "README.md: unexpected"},
		{"stray file in function", func(m map[string]entry) { m["hello/main.go"] = entry{body: "x"} }, "hello/main.go: unexpected"},
		{"bad folder name", func(m map[string]entry) { m["Hello/function.json"] = entry{body: httpFunction} }, "Hello/: function folder name"},
		{"folder without function.json", func(m map[string]entry) { m["empty/"] = entry{mode: os.ModeDir | 0o755} }, "empty/: no function.json"},
		{"binding without type", func(m map[string]entry) {
			m["tick/function.json"] = entry{body: `{"bindings":[{"direction":"in","name":"t"}]}`}
		}, "binding 0 has no type"},
		{"nested binary path", func(m map[string]entry) {
			m["host.json"] = entry{body: `{"customHandler":{"description":{"defaultExecutablePath":"bin/handler"}}}`}
		}, "must be a file name at the app root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := good()
			tt.change(m)
			_, err := deploy.VerifyAppZip(writeZip(t, m))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want a valid package", err)
			case tt.want != "" && err == nil:
				t.Errorf("got a valid package, want an error mentioning %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("got %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestZipDirKeepsModesAndIsReproducible: the handler must stay executable, and the
// same folder must give the same bytes.
func TestZipDirKeepsModesAndIsReproducible(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "f"), 0o755)
	os.WriteFile(filepath.Join(dir, "run"), []byte("bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "f", "function.json"), []byte("{}"), 0o644)
	a, b := filepath.Join(t.TempDir(), "a.zip"), filepath.Join(t.TempDir(), "b.zip")
	if err := deploy.ZipDir(dir, a); err != nil {
		t.Fatal(err)
	}
	if err := deploy.ZipDir(dir, b); err != nil {
		t.Fatal(err)
	}
	ra, _ := os.ReadFile(a)
	rb, _ := os.ReadFile(b)
	if !bytes.Equal(ra, rb) {
		t.Error("got different zips from the same folder, want identical bytes")
	}
	zr, err := zip.OpenReader(a)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string]os.FileMode{}
	for _, f := range zr.File {
		got[f.Name] = f.Mode()
	}
	want := map[string]os.FileMode{"f/": os.ModeDir | 0o755, "f/function.json": 0o644, "run": 0o755}
	for name, mode := range want {
		if got[name] != mode {
			t.Errorf("%s: got mode %v, want %v", name, got[name], mode)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got entries %v, want %v", got, want)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	tmpl := []byte(`{"id":"${{APP_ID}}","name":"${{NAME}}","again":"${{APP_ID}}"}`)
	values := map[string]string{"APP_ID": "0b5f6f7a-5c1e-4d5b-9f3e-2a1b3c4d5e6f", "NAME": `Quote " and \ slash`}
	got, err := deploy.Render(tmpl, func(k string) string { return values[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"0b5f6f7a-5c1e-4d5b-9f3e-2a1b3c4d5e6f","name":"Quote \" and \\ slash","again":"0b5f6f7a-5c1e-4d5b-9f3e-2a1b3c4d5e6f"}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	_, err = deploy.Render(tmpl, func(k string) string { return map[string]string{"NAME": "x"}[k] })
	if err == nil || !strings.Contains(err.Error(), "no value for APP_ID") {
		t.Errorf("got %v, want an error naming APP_ID", err)
	}
}
