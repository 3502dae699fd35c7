package main

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkServeStartup measures the composition root warm: configuration,
// adapters, routes and the listener, up to the moment the handler accepts
// connections. Cold start adds the process and package initialisation, which
// `make bench` measures on the real binary.
func BenchmarkServeStartup(b *testing.B) {
	cs := tablestest.ConnectionString(b)
	dir := b.TempDir()
	env := map[string]string{
		"TableStorage":        cs,
		"TABLE_PREFIX":        tablestest.Prefix() + "bench",
		"DEV_SIGNIN":          "true",
		"DEV_SIGNIN_KEY_FILE": filepath.Join(dir, "dev.json"),
		"LOG_LEVEL":           "warn",
		"MAIL_OUTBOX_DIR":     dir,
	}
	getenv := func(k string) string { return env[k] }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		env["FUNCTIONS_CUSTOMHANDLER_PORT"] = strconv.Itoa(freePort(b))
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- serve(ctx, getenv, io.Discard, serveHooks{ready: ready}) }()
		select {
		case <-ready:
		case err := <-done:
			b.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
