package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/entra/entratest"
	"github.com/teamspro/functions/internal/openapitest"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunEndToEnd boots the whole binary through run() on a free port with dev
// sign-in, mints a token with the devtoken command, signs in, and shuts down
// at a SIGTERM as main does: signals are routed once the first answer is out.
func TestRunEndToEnd(t *testing.T) {
	cs := tablestest.ConnectionString(t)
	port := freePort(t)
	keyFile := filepath.Join(t.TempDir(), "dev.json")
	env := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"TableStorage":                 cs,
		"TABLE_PREFIX":                 tablestest.Prefix() + "e2e",
		"DEV_SIGNIN":                   "true",
		"DEV_SIGNIN_KEY_FILE":          keyFile,
		"LOG_LEVEL":                    "debug",
		"MAIL_OUTBOX_DIR":              t.TempDir(),
	}
	getenv := func(k string) string { return env[k] }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- run(ctx, nil, getenv, &logs, io.Discard, func() {
			handleSignals(cancel)
			close(started)
		})
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/api/health")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case <-started:
			t.Fatal("started was called before the first answer")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler did not answer: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("started was not called after the first answer")
	}

	client := &http.Client{Transport: openapitest.Transport(t, nil)}
	tenant, user := uuid.NewString(), uuid.NewString()
	var out bytes.Buffer
	if err := run(ctx, []string{"devtoken", "--tenant", tenant, "--user", user, "--upn", "dev@x.example", "--admin"}, getenv, &out, io.Discard, nil); err != nil {
		t.Fatalf("devtoken: %v", err)
	}
	token := strings.TrimSpace(out.String())

	// Storage tables are created in the background: readiness may take a moment.
	waitReady(t, base)
	req, _ := http.NewRequest("GET", base+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Azure-Functions-InvocationId", "e2e-1")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	_ = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if res.StatusCode != 200 || me["objectId"] != user || me["admin"] != true {
		t.Fatalf("got %d %v, want 200 with the dev user as admin", res.StatusCode, me)
	}

	// Routed by handleSignals, the signal cancels run's context instead of
	// ending the test binary.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("run did not shut down")
	}
	if !strings.Contains(logs.String(), `"invocation_id":"e2e-1"`) {
		t.Errorf("the request's log lines lack its invocation id")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", map[string]string{}, []string{"TableStorage", "ENTRA_CLIENT_ID", "ENTRA_TENANT_ID"}},
		{"dev sign-in in Azure", map[string]string{"TableStorage": "x", "DEV_SIGNIN": "true", "WEBSITE_INSTANCE_ID": "abc"}, []string{"refused when running in Azure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), nil, func(k string) string { return tt.env[k] }, io.Discard, io.Discard, nil)
			if err == nil {
				t.Fatal("got nil, want a configuration error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to mention %s", err, w)
				}
			}
		})
	}
}

func TestDevtoken(t *testing.T) {
	t.Parallel()
	key := filepath.Join(t.TempDir(), "k.json")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"ok", []string{"--tenant", uuid.NewString(), "--user", uuid.NewString(), "--new-key"}, map[string]string{"DEV_SIGNIN_KEY_FILE": key}, ""},
		{"no key, no new one made", []string{"--tenant", uuid.NewString(), "--user", uuid.NewString()}, map[string]string{"DEV_SIGNIN_KEY_FILE": key + ".absent"}, "no dev sign-in key at " + key + ".absent (DEV_SIGNIN_KEY_FILE)"},
		{"missing user", []string{"--tenant", uuid.NewString()}, map[string]string{"DEV_SIGNIN_KEY_FILE": key}, "GUIDs"},
		{"in Azure", []string{"--tenant", uuid.NewString(), "--user", uuid.NewString()}, map[string]string{"DEV_SIGNIN_KEY_FILE": key, "WEBSITE_INSTANCE_ID": "x"}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"devtoken"}, tt.args...), func(k string) string { return tt.env[k] }, &out, &errOut, nil)
			if tt.wantErr == "" {
				if err != nil || strings.Count(out.String(), ".") != 2 {
					t.Fatalf("got %v %q, want a JWT", err, out.String())
				}
				if want := "signed with the dev sign-in key " + key + " (DEV_SIGNIN_KEY_FILE)"; !strings.Contains(errOut.String(), want) {
					t.Errorf("got stderr %q, want it to say %q", errOut.String(), want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestRunWithEntraID boots the binary configured for Entra ID: the signing
// keys are fetched in the background at start, before any request, and a
// real token then signs in without another fetch.
func TestRunWithEntraID(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	port := freePort(t)
	env := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"TableStorage":                 tablestest.ConnectionString(t),
		"TABLE_PREFIX":                 tablestest.Prefix() + "entra",
		"ENTRA_CLIENT_ID":              idp.ClientID,
		"ENTRA_TENANT_ID":              idp.TenantID,
		"ENTRA_JWKS_URL":               idp.JWKSURL(),
		"LOG_LEVEL":                    "warn",
		"MAIL_OUTBOX_DIR":              t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &logs, io.Discard, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for idp.Fetches.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the signing keys were not fetched at start\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitReady(t, base)
	claims := idp.Claims()
	req, _ := http.NewRequest("GET", base+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+idp.Token(t, claims))
	res, err := (&http.Client{Transport: openapitest.Transport(t, nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	_ = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if res.StatusCode != 200 || me["objectId"] != claims["oid"] {
		t.Fatalf("got %d %v, want 200 for the token's user", res.StatusCode, me)
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d key fetches after the first sign-in, want 1", got)
	}
}
