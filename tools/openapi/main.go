// Command openapi prints the merged OpenAPI document the handler serves at
// /api/openapi.json, for the linter of make lint.
package main

import (
	"fmt"
	"os"

	"github.com/teamspro/functions/functions"
)

func main() {
	b, err := functions.OpenAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}
