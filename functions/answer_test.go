package functions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// marshalsAsPointer has a MarshalJSON on its pointer, which encoding/json
// calls for the addressable elements of a slice: streamed items must too.
type marshalsAsPointer struct{ N int }

func (m *marshalsAsPointer) MarshalJSON() ([]byte, error) {
	return []byte(`"n` + strconv.Itoa(m.N) + `"`), nil
}

type listItem struct {
	ID    string    `json:"id"`
	Title string    `json:"title,omitempty"`
	At    time.Time `json:"at"`
	Tags  []string  `json:"tags"`
}

// TestWriteJSONStreamsWhatEncodingJSONWrites: lists are written item by item,
// and the bytes are those encoding/json writes for the whole value, HTML
// escaping and the final newline included; short answers carry their length,
// long ones are sent as they are encoded.
func TestWriteJSONStreamsWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	long := make([]listItem, 2000)
	for i := range long {
		long[i] = listItem{ID: strconv.Itoa(i), Title: "Standup <daily> & more", At: at.Add(time.Duration(i) * time.Hour)}
	}
	tests := []struct {
		name       string
		v          any
		wantLength bool
	}{
		{"object", map[string]string{"status": "ok"}, true},
		{"nil slice", []listItem(nil), true},
		{"empty slice", []listItem{}, true},
		{"slice of structs", long[:3], true},
		{"slice of pointers with a nil", []*listItem{&long[0], nil}, true},
		{"pointer-receiver MarshalJSON", []marshalsAsPointer{{1}, {2}}, true},
		{"bytes stay base64", []byte("abc"), true},
		{"page without nextLink", pageOf[listItem]{Value: long[:2]}, true},
		{"empty page", pageOf[listItem]{Value: []listItem{}}, true},
		{"nil page", pageOf[listItem]{}, true},
		{"page with nextLink", pageOf[listItem]{Value: long[:1], NextLink: "/api/x?a=1&continuation=b<c>"}, true},
		{"long list", long, false},
		{"long page", pageOf[listItem]{Value: long, NextLink: "/api/x?top=2000&continuation=z"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(tt.v); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if err := writeJSON(rec, http.StatusCreated, tt.v); err != nil {
				t.Fatalf("writeJSON: %v", err)
			}
			if rec.Code != http.StatusCreated {
				t.Errorf("got status %d, want 201", rec.Code)
			}
			if got := rec.Body.String(); got != want.String() {
				t.Errorf("got body\n%.300s\nwant\n%.300s", got, want.String())
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("got Content-Type %q", got)
			}
			gotLength := rec.Header().Get("Content-Length")
			if tt.wantLength && gotLength != strconv.Itoa(want.Len()) {
				t.Errorf("got Content-Length %q, want %d", gotLength, want.Len())
			}
			if !tt.wantLength && gotLength != "" {
				t.Errorf("got Content-Length %q on a streamed answer, want none", gotLength)
			}
		})
	}
}

// TestConvertedListWritesTheConvertedSlice: a list converted on the way
// answers the bytes encoding/json writes for the slice of converted items,
// and [] for no item, as that slice (made, never nil) did.
func TestConvertedListWritesTheConvertedSlice(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	long := make([]int, 2000)
	for i := range long {
		long[i] = i
	}
	conv := func(n *int) listItem {
		return listItem{ID: strconv.Itoa(*n), Title: "Item <" + strconv.Itoa(*n) + "> & more", At: at.Add(time.Duration(*n) * time.Hour)}
	}
	tests := []struct {
		name  string
		items []int
	}{
		{"nil", nil},
		{"empty", []int{}},
		{"one", long[:1]},
		{"a few", long[:3]},
		{"long, streamed", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			converted := make([]listItem, 0, len(tt.items))
			for i := range tt.items {
				converted = append(converted, conv(&tt.items[i]))
			}
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(converted); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if err := writeJSON(rec, http.StatusOK, convertList(tt.items, conv)); err != nil {
				t.Fatalf("writeJSON: %v", err)
			}
			if got := rec.Body.String(); got != want.String() {
				t.Errorf("got body\n%.300s\nwant\n%.300s", got, want.String())
			}
		})
	}
}

// TestAnswerFailureBeforeCommitIsAProblem: until holdBytes are written
// nothing is sent, so a failure still answers problem+json with its status,
// without the headers of the success (an attachment's name).
func TestAnswerFailureBeforeCommitIsAProblem(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	sw := &statusWriter{ResponseWriter: rec}
	a := newAnswer(sw, http.StatusOK, "text/csv; charset=utf-8")
	a.Header().Set("Content-Disposition", `attachment; filename="rooms.csv"`)
	if _, err := a.Write([]byte(strings.Repeat("x", holdBytes-1))); err != nil {
		t.Fatal(err)
	}
	writeError(sw, httptest.NewRequest("GET", "/api/rooms/export", nil), teamspro.Errorf(teamspro.EUNAVAILABLE, "Storage is down."))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("got status %d, want 503", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("got Content-Type %q, want application/problem+json", got)
	}
	if got := rec.Header().Get("Content-Disposition"); got != "" {
		t.Errorf("got Content-Disposition %q on a problem, want none", got)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != "unavailable" {
		t.Errorf("got body %.200q (%v), want a problem with code unavailable", rec.Body.String(), err)
	}
}
