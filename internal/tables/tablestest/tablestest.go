// Package tablestest connects tests to a real Table Storage endpoint (Azurite,
// started by `make test`) given in TEAMSPRO_TEST_TABLES. Each test process uses
// its own table prefix and each test its own tenant, so tests never see each
// other's rows and can run in parallel.
package tablestest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/testenv"
)

// EnvVar names the connection string of the test endpoint.
const EnvVar = "TEAMSPRO_TEST_TABLES"

var (
	prefixOnce sync.Once
	prefix     string
	ensured    sync.Map // prefix+tables -> error
)

// ConnectionString returns the test endpoint, skipping the test when there is
// none (a plain `go test`), or failing it in CI where `make test` provides one.
func ConnectionString(t testing.TB) string {
	t.Helper()
	cs := os.Getenv(EnvVar)
	if cs == "" {
		testenv.Missing(t, "%s is not set: run `make test` to test against Azurite", EnvVar)
	}
	return cs
}

// Prefix returns this process's table prefix.
func Prefix() string {
	prefixOnce.Do(func() {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		prefix = fmt.Sprintf("t%x", b)
	})
	return prefix
}

// Options returns client options for the test endpoint with this process's prefix.
func Options(t testing.TB, extra ...string) tables.Options {
	t.Helper()
	return tables.Options{ConnectionString: ConnectionString(t), Prefix: Prefix(), Tables: extra}
}

// New returns a client whose tables exist. extra names tables beyond the core ones.
func New(t testing.TB, extra ...string) *tables.Client {
	t.Helper()
	c, err := tables.New(Options(t, extra...))
	if err != nil {
		t.Fatalf("tables.New: %v", err)
	}
	Ensure(t, c, extra...)
	return c
}

// Ensure creates c's tables once per process and set of names.
func Ensure(t testing.TB, c *tables.Client, extra ...string) {
	t.Helper()
	key := fmt.Sprint(Prefix(), extra)
	v, _ := ensured.LoadOrStore(key, new(sync.Once))
	var err error
	v.(*sync.Once).Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = c.EnsureTables(ctx)
		if err != nil {
			ensured.Delete(key)
		}
	})
	if err != nil {
		t.Fatalf("EnsureTables: %v", err)
	}
}

// Tenant returns a fresh tenant id, so a test's rows are its own.
func Tenant() string { return uuid.NewString() }

// NewIsolated returns a client on tables of its own, created for this test: for
// tests that run the cross-tenant timers (purge, release), which would
// otherwise act on the rows of tests running beside them.
func NewIsolated(t testing.TB, extra ...string) *tables.Client {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	opts := Options(t, extra...)
	opts.Prefix = fmt.Sprintf("%s%x", Prefix(), b)
	c, err := tables.New(opts)
	if err != nil {
		t.Fatalf("tables.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatalf("EnsureTables: %v", err)
	}
	return c
}
