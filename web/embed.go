// Package web holds the Teams tabs' front end: its sources (src/, built by
// Vite with npm) and the built pages and assets (dist/), embedded into the
// handler so one binary serves the API and the pages Teams opens.
//
// dist/ holds only a placeholder in the repository: `make build`, `make run`
// and `make test` build the front end first (scripts/web.sh). A binary built
// without it serves a page saying so, and still compiles, which is what
// `go vet` on a fresh clone needs.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built front end, rooted at dist/.
func Files() fs.FS {
	f, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded above; Sub fails only on a malformed name
	}
	return f
}

// Built reports whether files holds a built front end rather than the
// placeholder.
func Built(files fs.FS) bool {
	_, err := fs.Stat(files, "index.html")
	return err == nil
}
