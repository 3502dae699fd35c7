// Command deploytool does the parts of scripts/package.sh and
// scripts/teams-package.sh that a shell does badly, with nothing but Go:
//
//	deploytool exe HOST_JSON              print defaultExecutablePath
//	deploytool zip DIR OUT.zip            zip DIR's content, keeping file modes
//	deploytool verify-app OUT.zip         check a deployment zip's layout
//	deploytool render TEMPLATE OUT        fill ${{NAME}} from the environment
//	deploytool check-manifest MANIFEST SCHEMA
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/teamspro/functions/internal/deploy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "deploytool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: deploytool exe|zip|verify-app|render|check-manifest ARGS")
	}
	want := map[string]int{"exe": 1, "zip": 2, "verify-app": 1, "render": 2, "check-manifest": 2}
	n, ok := want[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	if len(args)-1 != n {
		return fmt.Errorf("%s takes %d arguments, got %d", args[0], n, len(args)-1)
	}
	a := args[1:]
	switch args[0] {
	case "exe":
		raw, err := os.ReadFile(a[0])
		if err != nil {
			return err
		}
		name, err := deploy.ExecutableName(raw)
		if err != nil {
			return err
		}
		fmt.Println(name)
	case "zip":
		return deploy.ZipDir(a[0], a[1])
	case "verify-app":
		z, err := deploy.VerifyAppZip(a[0])
		if err != nil {
			return err
		}
		fmt.Printf("%s: %s and %d functions: %s\n", a[0], z.Executable, len(z.Functions), strings.Join(z.Functions, " "))
	case "render":
		raw, err := os.ReadFile(a[0])
		if err != nil {
			return err
		}
		out, err := deploy.Render(raw, os.Getenv)
		if err != nil {
			return fmt.Errorf("%s: %w (set them in the environment or with azd env set)", a[0], err)
		}
		return os.WriteFile(a[1], out, 0o644)
	case "check-manifest":
		raw, err := os.ReadFile(a[0])
		if err != nil {
			return err
		}
		schema, err := deploy.LoadManifestSchema(a[1])
		if err != nil {
			return err
		}
		return deploy.ValidateManifest(raw, schema)
	}
	return nil
}
