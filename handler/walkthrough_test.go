package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/testenv"
)

// readmeWalkthrough returns the shell block of the README's copy-paste
// walkthrough.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "### A first hour, copy-paste")
	if !ok {
		t.Fatal("README has no section \"A first hour, copy-paste\"")
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("the walkthrough has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestReadmeWalkthrough runs the README's walkthrough, as pasted in a shell
// at the repository root, against a booted handler: sign-in, a tab and its
// calendar id, an event and the month's occurrences, a room, a booking tab
// and a booking, the feed.
func TestReadmeWalkthrough(t *testing.T) {
	cs := tablestest.ConnectionString(t)
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s is needed to run the README's walkthrough", tool)
		}
	}
	block := readmeWalkthrough(t)
	root := t.TempDir() // stands for the repository root: bin/handler and .data/
	build := exec.Command("go", "build", "-o", filepath.Join(root, "bin", "handler"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base, _ := bootHandler(t, map[string]string{
		"TableStorage": cs, "TABLE_PREFIX": tablestest.Prefix() + "readme",
		"DEV_SIGNIN": "true", "DEV_SIGNIN_KEY_FILE": filepath.Join(root, ".data", "dev-signin-key.json"),
	})
	waitReady(t, base)

	sh := exec.Command("bash", "-euo", "pipefail", "-c", block)
	sh.Dir = root
	sh.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "API=" + base}
	var out, errOut bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &errOut
	if err := sh.Run(); err != nil {
		t.Fatalf("the walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{`"tenantId":"11111111-1111-4111-8111-111111111111"`, `"title":"Planning"`, `"value":[`,
		`"resourceId":"board"`, `"status":"confirmed"`, "BEGIN:VCALENDAR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walkthrough's output lacks %s:\n%s", want, out.String())
		}
	}
	if want := "signed with the dev sign-in key " + filepath.Join(root, ".data", "dev-signin-key.json"); !strings.Contains(errOut.String(), want) {
		t.Errorf("got stderr %q, want devtoken to say %q", errOut.String(), want)
	}
}
