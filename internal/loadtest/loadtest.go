// Package loadtest drives mixed traffic against a running handler, the way a
// busy organization would: sign-ins, calendar and room views, bookings with
// contention on a few rooms, cancellations. It counts answers by status,
// measures latencies, and afterwards checks through the API that no two
// holding reservations of a room overlap. `make test` runs it briefly;
// `make bench` runs it longer and reports the figures.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config says what to send.
type Config struct {
	BaseURL    string
	AdminToken string   // a tenant admin: creates the rooms and the booking tab
	UserTokens []string // the users of the same tenant who make the traffic
	Clients    int      // concurrent clients
	Requests   int      // total requests after setup
	Rooms      int      // few rooms make contention
	Day        time.Time
}

// Report is what happened.
type Report struct {
	Requests  int
	ByStatus  map[int]int
	ByKind    map[string]int
	Outcomes  map[string]int // "book 201", "cancel 204", ...
	Elapsed   time.Duration
	P50, P99  time.Duration
	Overlaps  []string // pairs of overlapping reservations found afterwards
	Holding   int      // holding reservations at the end
	ServerErr int      // 5xx answers
}

// RPS is requests per second.
func (r Report) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Report) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s) by %v, p50 %s p99 %s, 5xx %d, holding reservations %d, overlaps %d",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS(), r.ByKind, r.P50, r.P99, r.ServerErr, r.Holding, len(r.Overlaps))
}

type client struct {
	http *http.Client
	base string
}

func (c *client) do(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// Run sets up rooms and a booking tab, sends the traffic and checks the result.
func Run(ctx context.Context, cfg Config) (Report, error) {
	c := &client{http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients}}, base: cfg.BaseURL}
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	rooms := make([]string, cfg.Rooms)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("load-%s-%d", suffix, i)
		st, b, err := c.do(ctx, "POST", "/api/rooms", cfg.AdminToken, map[string]any{"id": rooms[i], "name": rooms[i], "capacity": 6, "timeZone": "UTC"})
		if err != nil || st != 201 {
			return Report{}, fmt.Errorf("create room: %d %s %v", st, b, err)
		}
	}
	st, b, err := c.do(ctx, "PUT", "/api/tabs/load-"+suffix, cfg.AdminToken, map[string]any{"kind": "booking", "teamId": "t", "channelId": "c", "channelName": "Load"})
	if err != nil || st != 201 {
		return Report{}, fmt.Errorf("create tab: %d %s %v", st, b, err)
	}
	var tab struct {
		CalendarID string `json:"calendarId"`
	}
	_ = json.Unmarshal(b, &tab)
	events := "/api/bookingroom/v1/" + tab.CalendarID + "/events"
	// Every user signs in first, as a Teams tab does: their profile holds the
	// address their mails go to.
	for _, tok := range cfg.UserTokens {
		if st, b, err := c.do(ctx, "GET", "/api/me", tok, nil); err != nil || st != 200 {
			return Report{}, fmt.Errorf("sign in: %d %s %v", st, b, err)
		}
	}
	dayStart := time.Date(cfg.Day.Year(), cfg.Day.Month(), cfg.Day.Day(), 8, 0, 0, 0, time.UTC)

	var (
		mu        sync.Mutex
		lat       []time.Duration
		rep       = Report{ByStatus: map[int]int{}, ByKind: map[string]int{}, Outcomes: map[string]int{}}
		next      atomic.Int64
		bookedMu  sync.Mutex
		booked    = map[string][]string{} // token -> reservation ids
		firstErr  error
		errOnce   sync.Once
		start     = time.Now()
		workgroup sync.WaitGroup
	)
	for w := 0; w < cfg.Clients; w++ {
		workgroup.Add(1)
		go func(w int) {
			defer workgroup.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for next.Add(1) <= int64(cfg.Requests) {
				token := cfg.UserTokens[rng.IntN(len(cfg.UserTokens))]
				var kind, method, path string
				var body any
				switch p := rng.IntN(100); {
				case p < 10:
					kind, method, path = "sign-in", "GET", "/api/me"
				case p < 30:
					kind, method, path = "calendar-view", "GET", events+"?from="+dayStart.Format(time.RFC3339)+"&to="+dayStart.Add(24*time.Hour).Format(time.RFC3339)
				case p < 45:
					kind, method, path = "room-view", "GET", "/api/rooms/"+rooms[rng.IntN(len(rooms))]+"/schedule?from="+dayStart.Format(time.RFC3339)+"&to="+dayStart.Add(24*time.Hour).Format(time.RFC3339)
				case p < 55:
					kind, method, path = "free-rooms", "GET", "/api/rooms/availability?from="+dayStart.Add(time.Duration(rng.IntN(8))*time.Hour).Format(time.RFC3339)+"&to="+dayStart.Add(time.Duration(9+rng.IntN(3))*time.Hour).Format(time.RFC3339)
				case p < 85:
					s := dayStart.Add(time.Duration(rng.IntN(20)) * 30 * time.Minute)
					kind, method, path = "book", "POST", events
					body = map[string]any{"title": "Load", "startDate": s.Format(time.RFC3339), "endDate": s.Add(time.Duration(1+rng.IntN(3)) * 30 * time.Minute).Format(time.RFC3339), "timeZone": "UTC", "resourceId": rooms[rng.IntN(len(rooms))]}
				default:
					bookedMu.Lock()
					ids := booked[token]
					var id string
					if len(ids) > 0 {
						i := rng.IntN(len(ids))
						id = ids[i]
						booked[token] = slices.Delete(ids, i, i+1)
					}
					bookedMu.Unlock()
					if id == "" {
						kind, method, path = "sign-in", "GET", "/api/me"
					} else {
						kind, method, path = "cancel", "DELETE", events+"/"+id
					}
				}
				t0 := time.Now()
				st, b, err := c.do(ctx, method, path, token, body)
				d := time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("%s %s: %w", method, path, err) })
					return
				}
				if kind == "book" && st == 201 {
					var r struct {
						ID string `json:"id"`
					}
					_ = json.Unmarshal(b, &r)
					bookedMu.Lock()
					booked[token] = append(booked[token], r.ID)
					bookedMu.Unlock()
				}
				mu.Lock()
				lat = append(lat, d)
				rep.ByStatus[st]++
				rep.ByKind[kind]++
				rep.Outcomes[fmt.Sprintf("%s %d", kind, st)]++
				if st >= 500 {
					rep.ServerErr++
				}
				mu.Unlock()
			}
		}(w)
	}
	workgroup.Wait()
	rep.Elapsed = time.Since(start)
	if firstErr != nil {
		return rep, firstErr
	}
	rep.Requests = len(lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		rep.P50, rep.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}

	// Afterwards: no two holding reservations of a room overlap.
	for _, room := range rooms {
		type slot struct {
			ID    string    `json:"id"`
			Start time.Time `json:"startDate"`
			End   time.Time `json:"endDate"`
		}
		var rs []slot
		link := "/api/rooms/" + room + "/schedule?top=1000&from=" + dayStart.Add(-time.Hour).Format(time.RFC3339) + "&to=" + dayStart.Add(24*time.Hour).Format(time.RFC3339)
		for link != "" {
			st, b, err := c.do(ctx, "GET", link, cfg.AdminToken, nil)
			if err != nil || st != 200 {
				return rep, fmt.Errorf("schedule: %d %s %v", st, b, err)
			}
			var page struct {
				Value    []slot `json:"value"`
				NextLink string `json:"nextLink"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				return rep, err
			}
			rs, link = append(rs, page.Value...), page.NextLink
		}
		rep.Holding += len(rs)
		slices.SortFunc(rs, func(a, b slot) int {
			return a.Start.Compare(b.Start)
		})
		for i := 1; i < len(rs); i++ {
			if rs[i].Start.Before(rs[i-1].End) {
				rep.Overlaps = append(rep.Overlaps, rs[i-1].ID+" & "+rs[i].ID)
			}
		}
	}
	return rep, nil
}
