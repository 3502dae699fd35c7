// Command barehttp is the baseline of the cold-start benchmark: a bare net/http
// server answering /api/health, built the same way as the handler.
package main

import "github.com/teamspro/functions/tools/internal/baseline"

func main() { baseline.Serve() }
