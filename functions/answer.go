package functions

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"sync"
)

// holdBytes is how much of an answer is held back before its status and
// headers are sent. An answer that fits (most do) goes out whole with its
// Content-Length, and an error met before this point still answers
// problem+json with its own status; a longer answer is written through from
// there on, so that its memory stays bounded whatever its length.
const holdBytes = 32 << 10

// answer is the body of a successful answer, written in pieces: lists item by
// item, exports page by page. Until holdBytes are written nothing is sent, so
// the handler may still fail with a proper problem; past that the status and
// headers go out and a later failure cuts the answer (see writeError), which
// a client then sees as a broken transfer rather than a short list.
type answer struct {
	w      http.ResponseWriter
	status int
	header http.Header // set on w when the answer is committed
	held   *[]byte     // from heldPool until the answer is committed
	sent   bool
}

// heldPool keeps the buffers of answers being held back: most answers are
// small, and a buffer per request would cost more than the encoding.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// newAnswer starts an answer with its status and content type. Headers that
// belong to the success only (Content-Disposition, say) go in Header(), so
// that a problem answered instead does not carry them.
func newAnswer(w http.ResponseWriter, status int, contentType string) *answer {
	a := &answer{w: w, status: status, header: http.Header{}}
	a.header.Set("Content-Type", contentType)
	if w.Header().Get("Cache-Control") == "" {
		a.header.Set("Cache-Control", "no-store")
	}
	return a
}

// Header holds the headers sent with the answer when it is committed.
func (a *answer) Header() http.Header { return a.header }

// Write holds p back while the answer is short, then commits and writes through.
func (a *answer) Write(p []byte) (int, error) {
	if a.sent {
		return a.w.Write(p)
	}
	if a.held == nil {
		a.held = heldPool.Get().(*[]byte)
	}
	if len(*a.held)+len(p) <= holdBytes {
		*a.held = append(*a.held, p...)
		return len(p), nil
	}
	if err := a.commit(-1); err != nil {
		return 0, err
	}
	return a.w.Write(p)
}

// commit sends the status, the headers and what is held; length is the
// Content-Length when the whole answer is held, or -1.
func (a *answer) commit(length int) error {
	h := a.w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	if length >= 0 {
		h.Set("Content-Length", strconv.Itoa(length))
	}
	a.w.WriteHeader(a.status)
	a.sent = true
	if a.held == nil {
		return nil
	}
	held := a.held
	a.held = nil
	var err error
	if len(*held) > 0 {
		_, err = a.w.Write(*held) // copied by the server's buffer or sent
	}
	*held = (*held)[:0]
	heldPool.Put(held)
	return err
}

// Close ends a successful answer: one held whole is sent now, with its length.
func (a *answer) Close() error {
	if a.sent {
		return nil
	}
	n := 0
	if a.held != nil {
		n = len(*a.held)
	}
	return a.commit(n)
}

// release returns what is held to the pool when the answer is abandoned for
// a problem.
func (a *answer) release() {
	if a.held != nil {
		*a.held = (*a.held)[:0]
		heldPool.Put(a.held)
		a.held = nil
	}
}

// writeJSON answers v as JSON with the given status. Lists (a slice, or a page
// of the native list shape) are encoded item by item into the answer, never
// whole: memory stays within the largest item and holdBytes.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	a := newAnswer(w, status, "application/json; charset=utf-8")
	if err := encodeJSON(a, v); err != nil {
		a.release()
		return err
	}
	return a.Close()
}

// jsonStreamer is a value that encodes itself in pieces (pageOf does).
type jsonStreamer interface {
	streamJSON(e *itemEncoder) error
}

// converted is a list answered as the JSON of each item converted on the way
// (a domain value to its wire shape, say): the converted list is never held
// whole, and one value of J is reused for every item. It encodes as the
// converted slice would when not nil, so a nil list answers [].
type converted[T, J any] struct {
	items []T
	conv  func(*T) J
}

// convertList returns items, answered as conv of each.
func convertList[T, J any](items []T, conv func(*T) J) jsonStreamer {
	return converted[T, J]{items: items, conv: conv}
}

func (c converted[T, J]) streamJSON(e *itemEncoder) error {
	j := new(J)
	for i := range c.items {
		sep := ","
		if i == 0 {
			sep = "["
		}
		if err := e.raw(sep); err != nil {
			return err
		}
		*j = c.conv(&c.items[i])
		if err := e.item(j); err != nil {
			return err
		}
	}
	if len(c.items) == 0 {
		return e.raw("[]")
	}
	return e.raw("]")
}

// encodeJSON writes v as encoding/json would, followed by a newline as
// json.Encoder ends its values, streaming slices and jsonStreamers.
func encodeJSON(w io.Writer, v any) error {
	e := newItemEncoder(w)
	defer e.release()
	if s, ok := v.(jsonStreamer); ok {
		if err := s.streamJSON(e); err != nil {
			return err
		}
		return e.raw("\n")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() == reflect.Uint8 {
		return json.NewEncoder(w).Encode(v)
	}
	if rv.IsNil() {
		return e.raw("null\n")
	}
	if err := e.raw("["); err != nil {
		return err
	}
	for i := range rv.Len() {
		if i > 0 {
			if err := e.raw(","); err != nil {
				return err
			}
		}
		// The element's address: no copy, and the same methods
		// (MarshalJSON on a pointer) as when the slice is encoded whole.
		if err := e.item(rv.Index(i).Addr().Interface()); err != nil {
			return err
		}
	}
	return e.raw("]\n")
}

// itemEncoder encodes one item at a time through a buffer it reuses, so that
// a list costs the memory of its largest item, not of the whole list.
type itemEncoder struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// itemEncoders are reused across requests (see heldPool).
var itemEncoders = sync.Pool{New: func() any {
	e := &itemEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// newItemEncoder returns an encoder writing to w; release it when done.
func newItemEncoder(w io.Writer) *itemEncoder {
	e := itemEncoders.Get().(*itemEncoder)
	e.w = w
	return e
}

// release returns e to the pool, unless an unusually large item grew its
// buffer (a pool would keep that memory for every later request).
func (e *itemEncoder) release() {
	e.w = nil
	if e.buf.Cap() <= holdBytes {
		e.buf.Reset()
		itemEncoders.Put(e)
	}
}

// item writes v as JSON, without the newline json.Encoder adds.
func (e *itemEncoder) item(v any) error {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	b := e.buf.Bytes()
	_, err := e.w.Write(b[:len(b)-1])
	return err
}

// raw writes JSON punctuation, through the buffer (a string converted for
// Write would cost an allocation per item).
func (e *itemEncoder) raw(s string) error {
	e.buf.Reset()
	e.buf.WriteString(s)
	_, err := e.w.Write(e.buf.Bytes())
	return err
}
