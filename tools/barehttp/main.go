// Command barehttp is the baseline of the cold-start benchmark: a bare net/http
// server answering /api/health, built the same way as the handler.
package main

import (
	"net"
	"net/http"
	"os"
)

func main() {
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
