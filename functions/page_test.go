package functions_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/teamspro"
)

// listPage is the one shape of every native list.
type listPage struct {
	Value    []map[string]any `json:"value"`
	NextLink string           `json:"nextLink"`
}

// followAll lists path and follows nextLink to the end; it returns the items
// and the number of pages, and checks every link is relative to the API.
func (h *harness) followAll(t *testing.T, u *user, path string) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	pages := 0
	for link := path; link != ""; pages++ {
		if pages > 100 {
			t.Fatalf("more than 100 pages from %s", path)
		}
		res := h.do("GET", link, u, nil)
		expect(t, res, 200, "")
		var p listPage
		dec := json.NewDecoder(strings.NewReader(string(res.body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("GET %s: got %s, want {value, nextLink}: %v", link, res.body, err)
		}
		if p.Value == nil {
			t.Fatalf("GET %s: got %s, want a value array", link, res.body)
		}
		all = append(all, p.Value...)
		if p.NextLink != "" {
			prefix := strings.SplitN(path, "?", 2)[0] + "?"
			if !strings.HasPrefix(p.NextLink, prefix) || strings.Contains(p.NextLink, "://") {
				t.Fatalf("got nextLink %q, want a path relative to the API starting %q", p.NextLink, prefix)
			}
		}
		link = p.NextLink
	}
	return all, pages
}

func ids(items []map[string]any, name string) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it[name]))
	}
	return out
}

// TestListPaging: every native list pages the same way; following nextLink
// yields each item once, in order, and the last page has no nextLink.
func TestListPaging(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("room-%d", i)
		h.createRoom(s.admin, id, nil)
		want = append(want, id)
	}
	for i := range 3 {
		expect(t, h.do("POST", events(s.cal), &s.member, event(fmt.Sprintf("room-%d", i), at(3+i, 10, 0), at(3+i, 11, 0))), 201, "")
	}
	win := "from=" + url.QueryEscape(at(1, 0, 0)) + "&to=" + url.QueryEscape(at(20, 0, 0))
	tests := []struct {
		name, path, key string
		want            []string
		pages           int
	}{
		{"rooms", "/api/rooms?top=2", "id", want, 3},
		{"rooms, one page", "/api/rooms", "id", want, 1},
		{"free rooms", "/api/rooms/availability?top=2&from=" + url.QueryEscape(at(3, 10, 0)) + "&to=" + url.QueryEscape(at(3, 11, 0)), "id", []string{"room-1", "room-2", "room-3", "room-4"}, 2},
		{"my reservations", "/api/reservations/mine?top=1&" + win, "resourceId", want[:3], 3},
		{"a tab's reservations", "/api/bookingroom/v1/" + s.cal + "/reservations?top=2&" + win, "resourceId", want[:3], 2},
		{"a room's schedule", "/api/rooms/room-1/schedule?top=1&" + win, "resourceId", want[1:2], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, pages := h.followAll(t, &s.member, tt.path)
			if got := ids(items, tt.key); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if pages != tt.pages {
				t.Errorf("got %d pages, want %d", pages, tt.pages)
			}
		})
	}
}

// TestListPagingRefusesBadRequests: top out of range and continuation tokens
// that are damaged or belong to another list are 400 problems naming the
// field.
func TestListPagingRefusesBadRequests(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	for i := range 3 {
		h.createRoom(s.admin, fmt.Sprintf("r%d", i), nil)
	}
	first := h.do("GET", "/api/rooms?top=1", &s.member, nil)
	expect(t, first, 200, "")
	next, _ := first.json(t)["nextLink"].(string)
	u, err := url.Parse(next)
	if err != nil || next == "" {
		t.Fatalf("got nextLink %q, want one", next)
	}
	tok := u.Query().Get("continuation")
	flip := []byte(tok)
	flip[3] ^= 1
	tests := []struct{ name, path, field string }{
		{"top zero", "/api/rooms?top=0", "top"},
		{"top too large", "/api/rooms?top=1001", "top"},
		{"top not a number", "/api/rooms?top=all", "top"},
		{"garbage token", "/api/rooms?continuation=abc", "continuation"},
		{"damaged token", "/api/rooms?top=1&continuation=" + url.QueryEscape(string(flip)), "continuation"},
		{"truncated token", "/api/rooms?top=1&continuation=" + url.QueryEscape(tok[:len(tok)-2]), "continuation"},
		{"another list's token", "/api/reservations/mine?continuation=" + url.QueryEscape(tok), "continuation"},
		{"another query's token", "/api/rooms/availability?from=" + url.QueryEscape(at(3, 10, 0)) + "&to=" + url.QueryEscape(at(3, 11, 0)) + "&continuation=" + url.QueryEscape(tok), "continuation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("GET", tt.path, &s.member, nil)
			expect(t, res, 400, teamspro.EINVALID)
			if errs, _ := res.json(t)["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != tt.field {
				t.Errorf("got errors %v, want one on %s", errs, tt.field)
			}
		})
	}
	// The page size may change between pages: the token says where, not how many.
	expect(t, h.do("GET", strings.Replace(next, "top=1", "top=5", 1), &s.member, nil), 200, "")
}

// TestMonthViewFollowsNextLink: a month of occurrences, read a few at a
// time, is exactly the month read in one unpaged list.
func TestMonthViewFollowsNextLink(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	daily := calEvent("standup", at(2, 9, 0), at(2, 9, 15), "Europe/Paris", map[string]any{"modeRecurrence": "Daily"})
	expect(t, h.do("POST", calEvents(s.cal), &u, daily), 201, "")
	for d := 3; d < 30; d += 4 {
		// Single events at the same start as the series: the order must still be total.
		expect(t, h.do("POST", calEvents(s.cal), &u, calEvent("one-off", at(d, 9, 0), at(d, 9, 30), "Europe/Paris", nil)), 201, "")
	}
	from, to := "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"
	whole := h.listOcc(t, &u, s.cal, from, to, "")
	if len(whole) != 30+7 {
		t.Fatalf("got %d occurrences in the unpaged list, want 37", len(whole))
	}
	got, pages := h.followAll(t, &u, "/api/calendar/v1/"+s.cal+"/occurrences?top=5&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to))
	key := func(o map[string]any) string {
		return fmt.Sprint(o["startDate"], o["id"], o["seriesId"], o["originalStart"])
	}
	var wantKeys, gotKeys []string
	for _, o := range whole {
		wantKeys = append(wantKeys, key(o))
	}
	for _, o := range got {
		gotKeys = append(gotKeys, key(o))
	}
	if !slices.IsSortedFunc(got, func(a, b map[string]any) int {
		return strings.Compare(a["startDate"].(string), b["startDate"].(string))
	}) {
		t.Errorf("got %v, want occurrences by start", gotKeys)
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("got %d occurrences by following nextLink:\n%v\nwant the unpaged list's %d:\n%v", len(gotKeys), gotKeys, len(wantKeys), wantKeys)
	}
	if pages != 8 {
		t.Errorf("got %d pages, want 8 (37 by 5)", pages)
	}
}
