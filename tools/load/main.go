// Command load is the load part of `make bench`: it starts bin/handler against
// the Table endpoint in TEAMSPRO_TEST_TABLES, sends mixed traffic (see package
// loadtest) and prints throughput, latencies and the handler's resident memory
// afterwards; then it compares listing rooms through the handler with the same
// Table Storage calls made directly, and prints the ratio, beside a bare
// net/http server making the same calls (itself, run with -bare).
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
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/loadtest"
	"github.com/teamspro/functions/internal/tables"
)

func main() {
	bin := flag.String("bin", "bin/handler", "the handler binary")
	requests := flag.Int("requests", 10000, "mixed requests")
	clients := flag.Int("clients", 8, "concurrent clients")
	bare := flag.Bool("bare", false, "serve the bare baseline (run by the load itself)")
	flag.Parse()
	if *bare {
		if err := serveBare(); err != nil {
			fmt.Fprintln(os.Stderr, "load -bare:", err)
			os.Exit(1)
		}
		return
	}
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
	bareURL, barePID, stopBare, err := startBare(cs)
	if err != nil {
		return err
	}
	defer stopBare()
	// As many idle connections as clients: the default client keeps two per
	// host and would measure new TCP connections, not the handler.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: clients}}
	get := func(base, path string) func() error {
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
	window := "from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
	// The route reads the directory version (one point read) and lists only
	// when it changed; the direct side lists every time, as a client of
	// storage without that version would.
	overhead(clients, cmd.Process.Pid, barePID, "list rooms (through the handler and bare: one point read of the directory version, the rooms remembered under it; direct: the list query)", get(base, "/api/rooms"), get(bareURL, "/rooms?tenant="+tenant), func() error {
		_, err := rooms.List(context.Background(), tenant)
		return err
	})
	overhead(clients, cmd.Process.Pid, barePID, "list a month of events", get(base, "/api/calendar/v1/"+cal+"/events?"+window), get(bareURL, "/events?tenant="+tenant+"&calendar="+cal+"&"+window), func() error {
		_, err := events.ListWindow(context.Background(), tenant, cal, from, to)
		return err
	})
	return nil
}

// startBare runs this program again as the bare baseline (serveBare) and
// returns its URL and process id.
func startBare(cs string) (string, int, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", 0, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(self, "-bare")
	cmd.Env = append(os.Environ(), "TableStorage="+cs, "TABLE_PREFIX=load", fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if res, err := http.Get(url + "/ready"); err == nil {
			res.Body.Close()
			break
		}
		if i > 300 {
			stop()
			return "", 0, nil, fmt.Errorf("bare baseline not ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return url, cmd.Process.Pid, stop, nil
}

// serveBare is the floor of the handler-overhead figures: a bare net/http
// server on loopback making the same store calls as the handler's routes
// (the month's occurrences expanded too) and encoding the result with
// encoding/json, without sign-in, routing table, paging or answer
// mechanism. What the handler costs beyond it is its own code; what this
// costs beyond the direct calls is serving HTTP in a process of its own.
// It trusts its caller (the tenant is a query parameter): it listens on
// loopback for this program only, while it runs.
func serveBare() error {
	c, err := tables.New(tables.Options{ConnectionString: os.Getenv("TableStorage"), Prefix: os.Getenv("TABLE_PREFIX")})
	if err != nil {
		return err
	}
	// The handler's room list: the directory version read, the rooms
	// remembered under it (CACHE_TTL's default as the backstop).
	rooms, events := booking.NewRoomCache(tables.NewRoomStore(c), 15*time.Second, 0, time.Now), tables.NewEventStore(c)
	answer := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /rooms", func(w http.ResponseWriter, r *http.Request) {
		list, err := rooms.Current(r.Context(), r.URL.Query().Get("tenant"))
		answer(w, map[string]any{"value": list}, err)
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from, _ := time.Parse(time.RFC3339, q.Get("from"))
		to, _ := time.Parse(time.RFC3339, q.Get("to"))
		win, err := events.ListWindow(r.Context(), q.Get("tenant"), q.Get("calendar"), from, to)
		if err != nil {
			answer(w, nil, err)
			return
		}
		occ, err := calendar.Expand(win.Events, win.Exceptions, from, to)
		out := make([]calendar.EventJSON, 0, len(occ))
		for i := range occ {
			out = append(out, occ[i].JSON())
		}
		answer(w, out, err)
	})
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"))
	if err != nil {
		return err
	}
	return http.Serve(l, mux)
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
// request to the handler, direct the same storage calls made here. The
// machine is shared (Azurite, this generator, other work), so the two modes
// are measured so that both see the same machine:
//
//   - in rounds, in turns and in alternating order (through-direct, then
//     direct-through), the median of the rounds' ratios;
//   - call by call: each client alternates a direct call and a call through
//     the handler, and the ratio of their median latencies;
//   - the CPU each mode costs per call: the handler process's per request
//     through it, this process's per direct call, which the machine's load
//     slows but does not inflate as it does wall time;
//   - the same for bare, a bare net/http server making the same store calls
//     (serveBare), so that the handler's own code shows apart from what
//     serving HTTP in a process of its own costs.
func overhead(clients int, handlerPID, barePID int, name string, through, bare, direct func() error) {
	const rounds, d = 9, time.Second
	var ratios, throughs, directs, busyThrough, busyDirect, cpuThrough, cpuDirect []float64
	var bares, cpuBare []float64
	measure := func(fn func() error, cpu func() float64) (perSec, busy, cpuPerCall float64) {
		b0, c0 := cpuTimes(), cpu()
		n := calls(clients, d, fn)
		b1, c1 := cpuTimes(), cpu()
		return float64(n) / d.Seconds(), b1.busySince(b0), (c1 - c0) / float64(max(n, 1))
	}
	for i := 0; i < rounds; i++ {
		var t, dr, bt, bd, ct, cd float64
		if i%2 == 0 {
			t, bt, ct = measure(through, func() float64 { return processCPU(handlerPID) })
			dr, bd, cd = measure(direct, selfCPU)
		} else {
			dr, bd, cd = measure(direct, selfCPU)
			t, bt, ct = measure(through, func() float64 { return processCPU(handlerPID) })
		}
		throughs, directs, ratios = append(throughs, t), append(directs, dr), append(ratios, t/dr)
		busyThrough, busyDirect = append(busyThrough, bt), append(busyDirect, bd)
		cpuThrough, cpuDirect = append(cpuThrough, ct), append(cpuDirect, cd)
		b, _, cb := measure(bare, func() float64 { return processCPU(barePID) })
		bares, cpuBare = append(bares, b), append(cpuBare, cb)
	}
	lt, ld := alternating(clients, 2*time.Second, through, direct)
	fmt.Printf("handler overhead: %s %.0f req/s through the handler, %.0f/s direct aztables (medians of %d rounds in alternating order), ratio %.2f (median; rounds %.2f..%.2f) (target >= 0.85)\n",
		name, median(throughs), median(directs), rounds, median(ratios), slices.Min(ratios), slices.Max(ratios))
	fmt.Printf("  call by call (each client alternating the two): median latency %.2f ms through the handler, %.2f ms direct (%d and %d calls): ratio %.2f\n",
		median(lt), median(ld), len(lt), len(ld), median(ld)/median(lt))
	fmt.Printf("  CPU per call (medians): the handler process %.2f ms per request; this process %.2f ms per direct call\n",
		median(cpuThrough), median(cpuDirect))
	fmt.Printf("  machine CPU busy (%d cores shared with Azurite and this load generator): %.0f%% through the handler, %.0f%% direct\n",
		runtime.NumCPU(), 100*median(busyThrough), 100*median(busyDirect))
	fmt.Printf("  a bare net/http server making the same store calls (no sign-in, routing table, paging or answer mechanism), after each round: %.0f req/s, CPU %.2f ms per request; the handler's own code %+.2f ms per request beyond it\n",
		median(bares), median(cpuBare), median(cpuThrough)-median(cpuBare))
}

// alternating runs n clients for d, each alternating a call of a and a call
// of b, and returns the latencies (ms) of the successful calls of each.
func alternating(n int, d time.Duration, a, b func() error) (la, lb []float64) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var xa, xb []float64
			for j := i; time.Now().Before(stop); j++ {
				fn, into := a, &xa
				if j%2 == 1 {
					fn, into = b, &xb
				}
				t0 := time.Now()
				if fn() == nil {
					*into = append(*into, float64(time.Since(t0).Microseconds())/1000)
				}
			}
			mu.Lock()
			la, lb = append(la, xa...), append(lb, xb...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return la, lb
}

// processCPU is the CPU time (ms) a process has used, from /proc/<pid>/stat.
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (in parentheses, which may hold spaces):
	// utime and stime are the 14th and 15th of the line, in clock ticks.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) * 1000 / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

// selfCPU is the CPU time (ms) this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
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

// calls runs fn from n goroutines for d and returns the successful calls.
func calls(n int, d time.Duration, fn func() error) int64 {
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
	return count.Load()
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
