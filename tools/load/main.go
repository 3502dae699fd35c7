// Command load is the load part of `make bench`: it starts bin/handler against
// the Table endpoint in TEAMSPRO_TEST_TABLES, sends mixed traffic (see package
// loadtest) and prints throughput, latencies and the handler's resident memory
// afterwards; then it compares listing rooms through the handler with the same
// Table Storage calls made directly, and prints the ratio.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/loadtest"
	"github.com/teamspro/functions/internal/tables"
)

func main() {
	bin := flag.String("bin", "bin/handler", "the handler binary")
	requests := flag.Int("requests", 10000, "mixed requests")
	clients := flag.Int("clients", 8, "concurrent clients")
	flag.Parse()
	if err := run(*bin, *requests, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(bin string, requests, clients int) error {
	cs := os.Getenv("TEAMSPRO_TEST_TABLES")
	if cs == "" {
		return fmt.Errorf("TEAMSPRO_TEST_TABLES is not set")
	}
	dir, err := os.MkdirTemp("", "load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key := filepath.Join(dir, "dev.json")
	port, err := freePort()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "TableStorage="+cs, "TABLE_PREFIX=load", "DEV_SIGNIN=true",
		"DEV_SIGNIN_KEY_FILE="+key, "LOG_LEVEL=warn", fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port))
	tenant := uuid.NewString()
	mint := func(admin bool) (string, error) {
		args := []string{"devtoken", "--tenant", tenant, "--user", uuid.NewString(), "--new-key"} // the handler starts later, with this key
		if admin {
			args = append(args, "--admin")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	admin, err := mint(true)
	if err != nil {
		return fmt.Errorf("devtoken: %w", err)
	}
	var users []string
	for i := 0; i < 20; i++ {
		u, err := mint(false)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		res, err := http.Get(base + "/api/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if i > 300 {
			return fmt.Errorf("handler not ready")
		}
		time.Sleep(100 * time.Millisecond)
	}

	rep, err := loadtest.Run(context.Background(), loadtest.Config{
		BaseURL: base, AdminToken: admin, UserTokens: users, Clients: clients, Requests: requests, Rooms: 5,
		Day: time.Now().UTC().AddDate(0, 0, 3),
	})
	if err != nil {
		return err
	}
	fmt.Println("mixed load:", rep)
	rss := rssMB(cmd.Process.Pid)
	fmt.Printf("memory: RSS after %d mixed requests %.1f MB (target <= 40 MB), ratio to target %.2f\n", rep.Requests, rss, rss/40)

	// Handler overhead: listing rooms and listing a month of events through
	// the handler, beside the same Table Storage queries made directly, same
	// concurrency. The two share the machine with Azurite, whose speed
	// drifts: they alternate over several short rounds and the median of the
	// per-round ratios is printed.
	c, err := tables.New(tables.Options{ConnectionString: cs, Prefix: "load"})
	if err != nil {
		return err
	}
	rooms, events := tables.NewRoomStore(c), tables.NewEventStore(c)
	cal, from, to, err := monthOfEvents(base, admin)
	if err != nil {
		return err
	}
	// As many idle connections as clients: the default client keeps two per
	// host and would measure new TCP connections, not the handler.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: clients}}
	get := func(path string) func() error {
		return func() error {
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			res, err := hc.Do(req)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				return fmt.Errorf("%s: %d", path, res.StatusCode)
			}
			return nil
		}
	}
	overhead(clients, "list rooms", get("/api/rooms"), func() error {
		_, err := rooms.List(context.Background(), tenant)
		return err
	})
	overhead(clients, "list a month of events", get("/api/calendar/v1/"+cal+"/events?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)), func() error {
		_, err := events.ListWindow(context.Background(), tenant, cal, from, to)
		return err
	})
	return nil
}

// monthOfEvents creates a calendar tab with 40 events over a month, through
// the API, and returns the calendar and the month.
func monthOfEvents(base, admin string) (string, time.Time, time.Time, error) {
	call := func(method, path string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		return res.StatusCode, out, err
	}
	st, b, err := call("PUT", "/api/tabs/load-calendar", map[string]any{"kind": "calendar", "teamId": "t", "channelId": "c", "channelName": "Load"})
	if err != nil || st != 201 {
		return "", time.Time{}, time.Time{}, fmt.Errorf("create calendar tab: %d %s %v", st, b, err)
	}
	var tab struct {
		CalendarID string `json:"calendarId"`
	}
	if err := json.Unmarshal(b, &tab); err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		start := from.Add(time.Duration(i)*18*time.Hour + 9*time.Hour)
		ev := map[string]any{"title": fmt.Sprintf("Event %d", i), "startDate": start.Format(time.RFC3339),
			"endDate": start.Add(time.Hour).Format(time.RFC3339), "timeZone": "UTC"}
		if st, b, err := call("POST", "/api/calendar/v1/"+tab.CalendarID+"/events", ev); err != nil || st != 201 {
			return "", time.Time{}, time.Time{}, fmt.Errorf("create event: %d %s %v", st, b, err)
		}
	}
	return tab.CalendarID, from, from.AddDate(0, 1, 0), nil
}

// overhead prints the handler-overhead ratio of one listing: through is the
// request to the handler, direct the same storage calls made here.
func overhead(clients int, name string, through, direct func() error) {
	const rounds, d = 7, 1500 * time.Millisecond
	var ratios, throughs, directs, busyThrough, busyDirect []float64
	for i := 0; i < rounds; i++ {
		b0 := cpuTimes()
		t := rate(clients, d, through)
		b1 := cpuTimes()
		dr := rate(clients, d, direct)
		b2 := cpuTimes()
		throughs, directs, ratios = append(throughs, t), append(directs, dr), append(ratios, t/dr)
		busyThrough, busyDirect = append(busyThrough, b1.busySince(b0)), append(busyDirect, b2.busySince(b1))
	}
	fmt.Printf("handler overhead: %s %.0f req/s through the handler, %.0f/s direct aztables (medians of %d alternating rounds), ratio %.2f (median; rounds %.2f..%.2f) (target >= 0.85)\n",
		name, median(throughs), median(directs), rounds, median(ratios), slices.Min(ratios), slices.Max(ratios))
	fmt.Printf("  machine CPU busy (%d cores shared with Azurite and this load generator): %.0f%% through the handler, %.0f%% direct\n",
		runtime.NumCPU(), 100*median(busyThrough), 100*median(busyDirect))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// cpuSample is the machine's busy and total CPU time from /proc/stat.
type cpuSample struct{ busy, total float64 }

func cpuTimes() cpuSample {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var s cpuSample
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		s.total += v
		if i != 3 && i != 4 { // idle, iowait
			s.busy += v
		}
	}
	return s
}

func (s cpuSample) busySince(o cpuSample) float64 {
	if s.total == o.total {
		return 0
	}
	return (s.busy - o.busy) / (s.total - o.total)
}

// rate runs fn from n goroutines for d and returns the calls per second.
func rate(n int, d time.Duration, fn func() error) float64 {
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if fn() == nil {
					count.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / d.Seconds()
}

func rssMB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb float64
		if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %f kB", &kb); err == nil {
			return kb / 1024
		}
	}
	return 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
