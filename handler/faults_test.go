package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/loadtest"
	"github.com/teamspro/functions/internal/openapitest"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/testenv"
)

// bootHandler serves the binary as run() does without a command, with env,
// every answer held to the OpenAPI document, and waits for liveness.
func bootHandler(t *testing.T, env map[string]string) (base string, stop func() error) {
	t.Helper()
	port := freePort(t)
	env["FUNCTIONS_CUSTOMHANDLER_PORT"] = strconv.Itoa(port)
	if env["MAIL_OUTBOX_DIR"] == "" {
		env["MAIL_OUTBOX_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	wrap := openapitest.Middleware(t)
	go func() {
		done <- serve(ctx, func(k string) string { return env[k] }, io.Discard, serveHooks{wrap: wrap})
	}()
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(base + "/api/health"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("handler did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(25 * time.Second):
			t.Fatal("run did not return")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func devToken(t *testing.T, keyFile string, admin bool) (token, tenant, user string) {
	t.Helper()
	tenant, user = uuid.NewString(), uuid.NewString()
	args := []string{"devtoken", "--tenant", tenant, "--user", user}
	if admin {
		args = append(args, "--admin")
	}
	var out bytes.Buffer
	if err := run(context.Background(), args, func(k string) string {
		if k == "DEV_SIGNIN_KEY_FILE" {
			return keyFile
		}
		return ""
	}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String()), tenant, user
}

func call(t *testing.T, method, url, token, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestStorageOutage stops Azurite under a running handler: requests answer 503
// with Retry-After, nothing half-written appears, and the handler recovers when
// storage is back, without a restart.
func TestStorageOutage(t *testing.T) {
	tablestest.ConnectionString(t) // skip without make test's environment
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(t, "node is needed to run a private Azurite")
	}
	root, _ := filepath.Abs("..")
	data := t.TempDir()
	port := freePort(t)
	start := func() *os.Process {
		cmd := exec.Command(filepath.Join(root, "scripts", "azurite.sh"), "start", data, strconv.Itoa(port))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("start Azurite: %v: %s", err, stderr.String())
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		p, _ := os.FindProcess(pid)
		return p
	}
	az := start()
	t.Cleanup(func() { _ = az.Kill() })
	keyFile := filepath.Join(t.TempDir(), "dev.json")
	base, _ := bootHandler(t, map[string]string{
		"TableStorage":        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:" + strconv.Itoa(port) + "/devstoreaccount1;",
		"DEV_SIGNIN":          "true",
		"DEV_SIGNIN_KEY_FILE": keyFile,
	})
	token, _, _ := devToken(t, keyFile, false)
	waitReady(t, base)
	if res := call(t, "GET", base+"/api/me", token, ""); res.StatusCode != 200 {
		t.Fatalf("before the outage: got %d, want 200", res.StatusCode)
	}

	_ = az.Kill()
	_, _ = az.Wait()
	tab := `{"kind":"calendar","teamId":"t","channelId":"c","channelName":"Outage"}`
	res := call(t, "PUT", base+"/api/tabs/during-outage", token, tab)
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("during the outage: got %d Retry-After %q, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := call(t, "GET", base+"/api/health/ready", "", ""); res.StatusCode != 503 {
		t.Errorf("readiness during the outage: got %d, want 503", res.StatusCode)
	}
	if res := call(t, "GET", base+"/api/health", "", ""); res.StatusCode != 200 {
		t.Errorf("liveness during the outage: got %d, want 200", res.StatusCode)
	}

	az = start()
	waitReady(t, base)
	if res := call(t, "GET", base+"/api/tabs/during-outage", token, ""); res.StatusCode != 404 {
		t.Errorf("after the outage: the refused write left a tab (%d)", res.StatusCode)
	}
	if res := call(t, "PUT", base+"/api/tabs/after-outage", token, tab); res.StatusCode != 201 {
		t.Errorf("after the outage: got %d, want 201 without a restart", res.StatusCode)
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/api/health/ready"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("never ready")
}

// slowBody hands out its first part, then waits for release before the rest.
type slowBody struct {
	first, rest []byte
	sent        bool
	release     chan struct{}
	started     chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		close(b.started)
		return copy(p, b.first), nil
	}
	<-b.release
	if len(b.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	return n, nil
}

// TestGracefulShutdown: a request in flight when shutdown starts still
// completes, and no new connection is accepted afterwards.
func TestGracefulShutdown(t *testing.T) {
	cs := tablestest.ConnectionString(t)
	keyFile := filepath.Join(t.TempDir(), "dev.json")
	base, stop := bootHandler(t, map[string]string{
		"TableStorage": cs, "TABLE_PREFIX": tablestest.Prefix() + "gs",
		"DEV_SIGNIN": "true", "DEV_SIGNIN_KEY_FILE": keyFile,
	})
	token, _, _ := devToken(t, keyFile, false)
	waitReady(t, base)

	body := `{"kind":"calendar","teamId":"t","channelId":"c","channelName":"In flight"}`
	sb := &slowBody{first: []byte(body[:10]), rest: []byte(body[10:]), release: make(chan struct{}), started: make(chan struct{})}
	req, _ := http.NewRequest("PUT", base+"/api/tabs/in-flight", sb)
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	got := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	<-sb.started
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	stopErr := make(chan error, 1)
	go func() { stopErr <- stop() }()
	time.Sleep(200 * time.Millisecond) // shutdown has begun
	if _, err := (&http.Client{Timeout: time.Second}).Get(base + "/api/health"); err == nil {
		t.Errorf("a new request was accepted during shutdown")
	}
	close(sb.release)
	if code := <-got; code != 201 {
		t.Errorf("in-flight request: got %d, want 201", code)
	}
	if err := <-stopErr; err != nil {
		t.Errorf("run returned %v", err)
	}
}

// TestLoad drives mixed traffic from several clients against one handler and
// Azurite: no 5xx, no overlapping reservations. The figures are logged; the
// longer run is `make bench`.
func TestLoad(t *testing.T) {
	cs := tablestest.ConnectionString(t)
	keyFile := filepath.Join(t.TempDir(), "dev.json")
	outbox := t.TempDir()
	base, _ := bootHandler(t, map[string]string{
		"TableStorage": cs, "TABLE_PREFIX": tablestest.Prefix() + "load",
		"DEV_SIGNIN": "true", "DEV_SIGNIN_KEY_FILE": keyFile, "LOG_LEVEL": "warn", "MAIL_OUTBOX_DIR": outbox,
	})
	waitReady(t, base)
	admin, tenant, _ := devToken(t, keyFile, true)
	var users []string
	for i := 0; i < 5; i++ {
		users = append(users, devTokenFor(t, keyFile, tenant))
	}
	rep, err := loadtest.Run(context.Background(), loadtest.Config{
		BaseURL: base, AdminToken: admin, UserTokens: users, Clients: 6, Requests: 600, Rooms: 3,
		Day: time.Now().UTC().AddDate(0, 0, 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.ServerErr != 0 {
		t.Errorf("got %d 5xx answers (%v), want none", rep.ServerErr, rep.ByStatus)
	}
	if len(rep.Overlaps) != 0 {
		t.Errorf("overlapping reservations: %v", rep.Overlaps)
	}
	if rep.ByStatus[201] == 0 || rep.ByStatus[409] == 0 {
		t.Errorf("got statuses %v, want both bookings (201) and contention (409)", rep.ByStatus)
	}
	// Every notification accounted for: one mail per confirmed booking and
	// per cancellation, in the outbox once the in-process queue drains.
	want := rep.Outcomes["book 201"] + rep.Outcomes["cancel 204"]
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
		if len(files) == want {
			break
		}
		if len(files) > want || time.Now().After(deadline) {
			t.Fatalf("got %d mails in the outbox, want %d (%v)", len(files), want, rep.Outcomes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func devTokenFor(t *testing.T, keyFile, tenant string) string {
	t.Helper()
	var out bytes.Buffer
	user := uuid.NewString()
	if err := run(context.Background(), []string{"devtoken", "--tenant", tenant, "--user", user, "--upn", user[:8] + "@contoso.example"}, func(k string) string {
		if k == "DEV_SIGNIN_KEY_FILE" {
			return keyFile
		}
		return ""
	}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}
