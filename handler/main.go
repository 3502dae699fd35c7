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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, func() { handleSignals(cancel) }); err != nil {
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests: args without the program name,
// the environment through getenv, output to stdout and stderr. started, when
// not nil, is called once the server has answered its first request (see
// serveHooks).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, started func()) error {
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
	return serve(ctx, getenv, stdout, serveHooks{started: started})
}

// handleSignals makes the first SIGINT or SIGTERM cancel, for a graceful
// shutdown; a second one ends the process at once, as it would without a
// handler. It returns once the signals are routed.
//
// main calls it only after the first answer (serveHooks.started): routing
// signals waits for the runtime to start a thread of its own that owns them,
// 0.2 to 0.6 ms that came before the first answer, the moment the Functions
// host considers the handler started. A signal before that ends the process
// at once, with nothing served yet to finish.
func handleSignals(cancel context.CancelFunc) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		signal.Stop(sig)
		cancel()
	}()
}
