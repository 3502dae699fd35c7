package functions

import (
	"encoding/json"
	"slices"
	"strings"
)

// FunctionJSON returns the function.json of every Azure Function the handler
// serves, by function name, generated from the route and trigger tables. The
// committed functions/<name>/function.json files must equal these (a test
// checks, and `go test ./functions -run TestFunctionJSON -update` rewrites them),
// so the host can never route a request the handler does not serve, or miss one
// it does.
func (s *Server) FunctionJSON() map[string][]byte {
	type fn struct {
		route   string
		methods []string
	}
	https := map[string]*fn{}
	for _, rt := range s.routes {
		f := https[rt.Function]
		if f == nil {
			f = &fn{route: rt.FunctionRoute()}
			https[rt.Function] = f
		}
		f.methods = append(f.methods, strings.ToLower(rt.Method))
	}
	out := map[string][]byte{}
	for name, f := range https {
		slices.Sort(f.methods)
		out[name] = marshalFunction([]map[string]any{
			{"type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "anonymous", "methods": f.methods, "route": f.route},
			{"type": "http", "direction": "out", "name": "res"},
		})
	}
	for _, t := range s.trigList {
		out[t.Function] = marshalFunction(t.Bindings)
	}
	return out
}

func marshalFunction(bindings []map[string]any) []byte {
	b, _ := json.MarshalIndent(map[string]any{"bindings": bindings}, "", "  ")
	return append(b, '\n')
}
