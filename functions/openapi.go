package functions

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"sync"
)

// The OpenAPI document is written as fragments, one per area of the API
// (spec/*.json), merged into one document at first use: base.json holds the
// info, security schemes and shared schemas; the others add paths and schemas.
//
//go:embed spec/*.json
var openapiFS embed.FS

var (
	openapiOnce sync.Once
	openapiDoc  []byte
	openapiErr  error
)

// OpenAPI returns the merged OpenAPI 3 document.
func OpenAPI() ([]byte, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = mergeOpenAPI(openapiFS) })
	return openapiDoc, openapiErr
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "spec/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	b, err := fs.ReadFile(fsys, "spec/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := map[string]any{}
	if p, ok := doc["paths"].(map[string]any); ok {
		paths = p
	}
	doc["paths"] = paths
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	for _, n := range names {
		if n == "spec/base.json" {
			continue
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		fp, _ := frag["paths"].(map[string]any)
		for path, ops := range fp {
			cur, _ := paths[path].(map[string]any)
			if cur == nil {
				cur = map[string]any{}
				paths[path] = cur
			}
			for op, v := range ops.(map[string]any) {
				if _, dup := cur[op]; dup {
					return nil, fmt.Errorf("%s: %s %s is defined twice", n, op, path)
				}
				cur[op] = v
			}
		}
		fc, _ := frag["components"].(map[string]any)
		for kind, items := range fc {
			dst, _ := comps[kind].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
				comps[kind] = dst
			}
			for name, v := range items.(map[string]any) {
				if _, dup := dst[name]; dup {
					return nil, fmt.Errorf("%s: components.%s.%s is defined twice", n, kind, name)
				}
				dst[name] = v
			}
		}
		if tags, ok := frag["tags"].([]any); ok {
			base, _ := doc["tags"].([]any)
			doc["tags"] = append(base, tags...)
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := OpenAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(b)
	return err
}
