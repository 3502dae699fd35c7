package functions_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/openapitest"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// TestMain adds one check after the package's tests: when all of them ran,
// every operation of the OpenAPI document must have had at least one
// answer held to it (openapitest), so that no route goes untested and
// therefore unvalidated without it showing.
func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || testing.Short() || selected() || os.Getenv(tablestest.EnvVar) == "" {
		// (Without storage the tests that call most routes skip, or,
		// under CI=true, have already failed.)
		os.Exit(code)
	}
	v, err := openapitest.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "OpenAPI document:", err)
		os.Exit(1)
	}
	if missing := v.Unanswered(); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: no test of this package received an answer from these operations of the OpenAPI document, so none was validated:\n  %s\n", strings.Join(missing, "\n  "))
		os.Exit(1)
	}
	os.Exit(code)
}

// selected reports whether only some tests ran (-run, -skip, -fuzz).
func selected() bool {
	for _, name := range []string{"test.run", "test.skip", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}
