package functions

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Every native list answers one shape, a page:
//
//	{"value": [...], "nextLink": "/api/...?...&continuation=..."}
//
// The server decides the page size (top, DefaultPageSize unless the query
// asks for at most MaxPageSize); nextLink is the path and query of the next
// page, relative to the API's origin (never built from the Host header, which
// a proxy may have rewritten), and is absent on the last page. A client
// follows nextLink until it is absent. The connector routes keep the shapes
// their definitions prescribe and do not page.
const (
	DefaultPageSize = 200
	MaxPageSize     = 1000
)

// pageOf is the body of a list answer.
type pageOf[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// streamJSON writes the page as encoding/json would, item by item.
func (p pageOf[T]) streamJSON(e *itemEncoder) error {
	if err := e.raw(`{"value":`); err != nil {
		return err
	}
	if p.Value == nil {
		if err := e.raw("null"); err != nil {
			return err
		}
	} else {
		for i := range p.Value {
			sep := ","
			if i == 0 {
				sep = "["
			}
			if err := e.raw(sep); err != nil {
				return err
			}
			if err := e.item(&p.Value[i]); err != nil {
				return err
			}
		}
		if len(p.Value) == 0 {
			if err := e.raw("["); err != nil {
				return err
			}
		}
		if err := e.raw("]"); err != nil {
			return err
		}
	}
	if p.NextLink != "" {
		if err := e.raw(`,"nextLink":`); err != nil {
			return err
		}
		if err := e.item(p.NextLink); err != nil {
			return err
		}
	}
	return e.raw("}")
}

// pageRequest is the paging part of a list request: the page size and where
// the previous page stopped.
type pageRequest struct {
	Top   int
	After string // the key of the last item of the previous page ("" for the first)
	Store string // a storage continuation, for lists the store pages itself
	bind  string // the digest of the request the paging belongs to
}

// cursor is a continuation token's content. Tokens are opaque to clients:
// base64url of this JSON followed by a checksum. The checksum is not a
// secret: a token only says where to resume inside a list the caller may
// read anyway (every list is scoped by the caller's tenant and rights), so
// a forged one can show nothing more; the checksum and the digest of the
// query turn a damaged, truncated or transplanted token into a 400 rather
// than a wrong page.
type cursor struct {
	After string `json:"a,omitempty"`
	Store string `json:"s,omitempty"`
	Query string `json:"q"`
}

// queryDigest binds a token to its route and every query parameter but the
// paging ones: the next page of a list is a page of the same list.
func queryDigest(r *http.Request) string {
	q := r.URL.Query()
	q.Del("top")
	q.Del("continuation")
	sum := sha256.Sum256([]byte(r.URL.Path + "?" + q.Encode()))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func tokenSum(payload []byte) string {
	sum := sha256.Sum256(append([]byte("teamspro-page-v1:"), payload...))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b) + "." + tokenSum(b)
}

func badContinuation() error {
	e := teamspro.Errorf(teamspro.EINVALID, "The continuation token is not valid for this list: follow nextLink as given, or start again without it.")
	e.Fields = []teamspro.FieldError{{Field: "continuation", Reason: "not a token this list returned"}}
	return e
}

// readPage reads top and continuation. EINVALID when top is out of range or
// the token is damaged or belongs to another query.
func readPage(r *http.Request) (pageRequest, error) {
	q := r.URL.Query()
	p := pageRequest{Top: DefaultPageSize, bind: queryDigest(r)}
	if s := q.Get("top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			e := teamspro.Errorf(teamspro.EINVALID, "top must be a whole number from 1 to %d.", MaxPageSize)
			e.Fields = []teamspro.FieldError{{Field: "top", Reason: "1 to " + strconv.Itoa(MaxPageSize)}}
			return p, e
		}
		p.Top = n
	}
	tok := q.Get("continuation")
	if tok == "" {
		return p, nil
	}
	body, sum, ok := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(body)
	if !ok || err != nil || sum != tokenSum(b) {
		return p, badContinuation()
	}
	var c cursor
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil || c.Query != p.bind || (c.After == "" && c.Store == "") {
		return p, badContinuation()
	}
	p.After, p.Store = c.After, c.Store
	return p, nil
}

// nextLink is the link to the page after the one that ended with key (or
// with the store's continuation).
func (p pageRequest) nextLink(r *http.Request, after, store string) string {
	q := r.URL.Query()
	q.Set("continuation", encodeCursor(cursor{After: after, Store: store, Query: p.bind}))
	return (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()
}

// writePage answers one page of items, a whole list the handler holds in
// memory: sorted by key (which must be unique), the items after the
// request's position, at most Top of them.
func writePage[T any](w http.ResponseWriter, r *http.Request, p pageRequest, items []T, key func(T) string) error {
	keys := make([]string, len(items))
	idx := make([]int, len(items))
	for i, it := range items {
		keys[i], idx[i] = key(it), i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	start := 0
	if p.After != "" {
		start = sort.Search(len(idx), func(i int) bool { return keys[idx[i]] > p.After })
	}
	end := min(start+p.Top, len(idx))
	out := pageOf[T]{Value: make([]T, 0, end-start)}
	for _, i := range idx[start:end] {
		out.Value = append(out.Value, items[i])
	}
	if end < len(idx) {
		out.NextLink = p.nextLink(r, keys[idx[end-1]], "")
	}
	return writeJSON(w, http.StatusOK, out)
}

// writeStorePage answers a page the store cut itself, with the store's
// continuation ("" on its last page) wrapped in a token of ours.
func writeStorePage[T any](w http.ResponseWriter, r *http.Request, p pageRequest, items []T, storeNext string) error {
	out := pageOf[T]{Value: slices.Clip(items)}
	if out.Value == nil {
		out.Value = []T{}
	}
	if storeNext != "" {
		out.NextLink = p.nextLink(r, "", storeNext)
	}
	return writeJSON(w, http.StatusOK, out)
}

// timeKey is a sortable key part of a time: UTC, fixed width, so that keys
// compare as the times do.
func timeKey(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}
