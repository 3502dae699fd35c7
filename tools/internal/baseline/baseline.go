// Package baseline is the server of the cold-start baselines: a bare net/http
// server answering /api/health on FUNCTIONS_CUSTOMHANDLER_PORT, as the handler
// does. tools/barehttp runs it alone, tools/sdkbaseline linked with the
// required packages.
package baseline

import (
	"net"
	"net/http"
	"os"
)

// Serve serves until the process ends; it exits 1 if it cannot listen.
func Serve() {
	http.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"))
	if err != nil {
		os.Exit(1)
	}
	_ = http.Serve(ln, nil)
}
