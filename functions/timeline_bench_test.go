package functions_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkTimeline50Rooms is the figure of make bench for the Booking Room
// Pro timeline: a week of 50 rooms (500 reservations made through the API),
// read as the tab read it before, one schedule request per room with 6 in
// flight (per-room), and as it reads it now, one request for the view
// (one-request). The two take turns within each round, so both see the same
// machine; each reports the requests and storage round trips of a view and
// its median wall time, the room directory remembered as on a warm instance.
func BenchmarkTimeline50Rooms(b *testing.B) {
	ct := &tables.CountingTransport{}
	opts := tablestest.Options(b)
	opts.Transport = ct
	c, err := tables.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	tablestest.Ensure(b, c)
	h := benchHarness(b, c)
	admin := h.newUser(uuid.NewString(), true)
	var csv strings.Builder
	csv.WriteString("id,name,timeZone,capacity\n")
	var ids []string
	for i := range 50 {
		id := fmt.Sprintf("tl-%02d", i)
		ids = append(ids, id)
		fmt.Fprintf(&csv, "%s,Room %d,Europe/Paris,%d\n", id, i, 4+i%8)
	}
	if res := h.do("POST", "/api/rooms/import", &admin, csv.String(), "Content-Type", "text/csv"); res.status != 200 {
		b.Fatalf("import 50 rooms: got %d %s", res.status, res.body)
	}
	book := h.newTab(admin, "booking", "tl-book", nil)
	paris, _ := time.LoadLocation("Europe/Paris")
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, paris) // the Monday of the harness clock
	r := rand.New(rand.NewPCG(3, 4))
	for booked := 0; booked < 500; {
		start := week.AddDate(0, 0, r.IntN(7)).Add(time.Duration(8+r.IntN(10))*time.Hour + time.Duration(30*r.IntN(2))*time.Minute)
		body := event(ids[r.IntN(len(ids))], start.UTC().Format(time.RFC3339), start.Add(time.Hour).UTC().Format(time.RFC3339))
		if res := h.do("POST", events(book), &admin, body); res.status == 201 {
			booked++
		}
	}
	win := "from=" + week.UTC().Format(time.RFC3339) + "&to=" + week.AddDate(0, 0, 7).UTC().Format(time.RFC3339)

	// Each way answers the same reservations; a view is all its pages.
	perRoom := func() (requests, items int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := make(chan string)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range next {
					n, got := pagesOf(b, h, "/api/rooms/"+id+"/schedule?"+win, &admin)
					mu.Lock()
					requests, items = requests+n, items+got
					mu.Unlock()
				}
			}()
		}
		for _, id := range ids {
			next <- id
		}
		close(next)
		wg.Wait()
		return requests, items
	}
	oneRequest := func() (requests, items int) {
		// As the tab asks it: the largest page, so that a week is one request.
		return pagesOf(b, h, "/api/rooms/schedule?top=1000&rooms="+strings.Join(ids, ",")+"&"+win, &admin)
	}
	ways := []struct {
		name string
		view func() (int, int)
	}{{"per-room", perRoom}, {"one-request", oneRequest}}
	for _, w := range ways {
		w.view() // warm: the rooms remembered by the instance
	}
	b.Run("view", func(b *testing.B) {
		lat := make([][]time.Duration, len(ways))
		requests, trips, items := make([]int, len(ways)), make([]int, len(ways)), make([]int, len(ways))
		for i := range b.N {
			for k := range ways {
				w := (i + k) % len(ways) // alternate which goes first
				ct.Reset()
				t0 := time.Now()
				n, got := ways[w].view()
				lat[w] = append(lat[w], time.Since(t0))
				trips[w] += ct.Reset()
				requests[w] += n
				items[w] = got
			}
		}
		if items[0] != items[1] || items[0] != 500 {
			b.Errorf("reservations in the view: per room %d, in one request %d, want 500 each", items[0], items[1])
		}
		for w, way := range ways {
			l := lat[w]
			sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
			b.ReportMetric(float64(requests[w])/float64(b.N), "requests-"+way.name)
			b.ReportMetric(float64(trips[w])/float64(b.N), "roundtrips-"+way.name)
			b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, "median-ms-"+way.name)
		}
		b.ReportMetric(float64(lat[0][len(lat[0])/2])/float64(lat[1][len(lat[1])/2]), "speedup")
	})
}

// pagesOf reads every page of a list as u and returns the requests it took
// and the items. It may run on other goroutines than the benchmark's, so it
// reports a failure without stopping.
func pagesOf(b *testing.B, h *harness, path string, u *user) (requests, items int) {
	for path != "" {
		res := h.do("GET", path, u, nil)
		requests++
		var p struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"nextLink"`
		}
		if err := json.Unmarshal(res.body, &p); res.status != 200 || err != nil {
			b.Errorf("GET %s: got %d %s, want 200 and a page", path, res.status, res.body)
			return requests, items
		}
		items += len(p.Value)
		path = p.NextLink
	}
	return requests, items
}
