// Command handler is the Azure Functions custom handler of TeamsPro Functions.
// The Functions host starts it and passes a port in FUNCTIONS_CUSTOMHANDLER_PORT;
// locally, `make run` starts it directly. `handler devtoken` mints a dev token.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests: args without the program name,
// the environment through getenv, output to stdout and stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "devtoken":
			return devtoken(args[1:], getenv, stdout, stderr)
		case "serve":
			args = args[1:]
		case "-h", "--help", "help":
			fmt.Fprintln(stdout, "usage: handler [serve] | handler devtoken --tenant <guid> --user <guid> [--name ...] [--upn ...] [--admin] [--new-key]")
			return nil
		default:
			return fmt.Errorf("unknown command %q (want serve or devtoken)", args[0])
		}
	}
	return serve(ctx, getenv, stdout, nil, nil)
}
