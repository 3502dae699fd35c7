package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/entra/entratest"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/openapitest"
	"github.com/teamspro/functions/internal/org"
	"github.com/teamspro/functions/internal/safehttp"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/web"
)

// harness is the real server over a real Azurite, with the real validator
// accepting tokens of a test identity provider and of a dev issuer.
type harness struct {
	t      testing.TB
	srv    *functions.Server
	http   *httptest.Server
	idp    *entratest.IDP
	dev    *entra.DevIssuer
	client *tables.Client
	now    time.Time
	// async leaves the announcements of a request's changes running after
	// its answer, as the product does; by default do waits for them, so
	// that a test sees what a change scheduled and mailed.
	async bool
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return buildHarness(t, tablestest.New(t))
}

// newIsolatedHarness is a harness on tables of its own, for tests that run the
// cross-tenant timers.
func newIsolatedHarness(t *testing.T) *harness {
	t.Helper()
	return buildHarness(t, tablestest.NewIsolated(t))
}

func buildHarness(t *testing.T, c *tables.Client) *harness {
	t.Helper()
	idp := entratest.New(t)
	dev, err := entra.LoadDevIssuer(filepath.Join(t.TempDir(), "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := entra.NewRemoteKeys(t.Context(), idp.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	v, err := entra.NewValidator(entra.Config{
		ClientID: idp.ClientID, TenantID: idp.TenantID, AllowedTenants: []string{"*"},
		Scope: "access_as_user", AdminRole: "TeamsPro.Admin", ClockSkew: time.Minute,
	}, keys, dev)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, idp: idp, dev: dev, client: c, now: time.Now()}
	d := storeDeps(c, v)
	d.Now = func() time.Time { return h.now }
	d.MaxBodyBytes = 64 << 10
	d.CORSOrigins = []string{"https://tab.contoso.example"}
	d.Retention = 24 * time.Hour
	d.Pages = web.Files()
	d.DevSignIn = func(id functions.DevIdentity) (string, error) {
		return dev.Mint(entra.DevClaims{TenantID: id.TenantID, ObjectID: id.ObjectID, Name: id.Name, UPN: id.UPN,
			Admin: id.Admin, Role: "TeamsPro.Admin", Scope: "access_as_user"}, time.Now())
	}
	h.srv = newServer(t, c, d)
	h.http = newTestServer(t, h.srv)
	return h
}

// user is a signed-in test user.
type user struct {
	tenant, oid string
	token       string
}

// newUser mints a dev token for a new user of tenant ("" for a new tenant).
func (h *harness) newUser(tenant string, admin bool) user {
	h.t.Helper()
	if tenant == "" {
		tenant = uuid.NewString()
	}
	u := user{tenant: tenant, oid: uuid.NewString()}
	tok, err := h.dev.Mint(entra.DevClaims{TenantID: tenant, ObjectID: u.oid, Name: "Test", UPN: "t@x.example", Admin: admin, Role: "TeamsPro.Admin", Scope: "access_as_user"}, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	u.token = tok
	return u
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request; body may be a string (sent as is) or a value (as JSON).
func (h *harness) do(method, path string, u *user, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.http.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Host" {
			req.Host = headers[i+1] // the client sends req.Host, not a Host header
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !h.async && h.srv != nil && h.srv.Dispatcher != nil {
		h.srv.Dispatcher.Wait()
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// expect fails the test unless r has the status and, for errors, a problem
// document with the code.
func expect(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got status %d (%s), want %d", r.status, r.body, status)
	}
	if code == "" {
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("got content type %q, want application/problem+json", ct)
	}
	if got := r.json(t)["code"]; got != code {
		t.Errorf("got code %v, want %s", got, code)
	}
}

func tabBody(kind string) map[string]any {
	return map[string]any{
		"kind": kind, "teamId": "19:team@thread.tacv2", "channelId": "19:chan@thread.tacv2", "channelName": "General",
		"settings": map[string]any{"defaultView": "month", "timeZone": "Europe/Paris", "firstDayOfWeek": 1,
			"notifications": map[string]any{"addedOrUpdated": true, "deleted": false}},
	}
}

// newOfflineServer builds the server without touching storage, for tests of its
// tables (routes, triggers, function.json) that need no I/O.
func newOfflineServer(t *testing.T) *functions.Server {
	t.Helper()
	dev, err := entra.LoadDevIssuer(filepath.Join(t.TempDir(), "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := entra.NewValidator(entra.Config{Scope: "access_as_user"}, nil, dev)
	if err != nil {
		t.Fatal(err)
	}
	c := offlineClient(t)
	return newServer(t, c, storeDeps(c, v))
}

// offlineClient is a storage client whose endpoint nothing listens on.
func offlineClient(t testing.TB) *tables.Client {
	t.Helper()
	c, err := tables.New(tables.Options{ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;", Prefix: "offline"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testOrigin is the public origin of the test servers: not their listen
// address, so that a URL built from the Host header shows.
const testOrigin = "https://teamspro.test.example"

// storeDeps are the server's dependencies on the stores of c, with a silent
// logger; tests adjust what they need, and newServer adds the services.
func storeDeps(c *tables.Client, auth functions.Authenticator) functions.Deps {
	return functions.Deps{
		Logger:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Auth:         auth,
		Directory:    tables.NewDirectoryStore(c),
		Ready:        c.Ping,
		PublicOrigin: testOrigin,
	}
}

// stores are the stores of one client as the product builds them, caches
// included: the services and the dispatcher of a test share them, as they
// do in one instance of the product.
type stores struct {
	tabs         tab.Store
	rooms        *booking.RoomCache
	reservations booking.ReservationStore
}

var storesByClient sync.Map // *tables.Client -> *stores

func storesOf(c *tables.Client) *stores {
	st, _ := storesByClient.LoadOrStore(c, &stores{
		tabs:         tab.NewCache(tables.NewTabStore(c), 15*time.Second, 0, nil),
		rooms:        booking.NewRoomCache(tables.NewRoomStore(c), 15*time.Second, 0, nil),
		reservations: tables.NewReservationStore(c),
	})
	return st.(*stores)
}

// withServices returns d with the services built over the stores of c,
// announcing to d.Dispatcher (none when nil) on d's clock, as the
// composition root builds them for the product.
func withServices(t testing.TB, c *tables.Client, d functions.Deps) functions.Deps {
	t.Helper()
	st := storesOf(c)
	events := tables.NewEventStore(c)
	cfg := calendar.Config{Events: events, Tabs: st.tabs, Feeds: events, Now: d.Now, Logger: d.Logger,
		Projections: []calendar.Projection{tables.NewBusyStore(c)},
		// External calendars come from local servers in tests: loopback only.
		Externals: tables.NewExternalStore(c),
		Source: ical.Source{Fetcher: safehttp.New(safehttp.Config{
			AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 5 * time.Second})}}
	var bn booking.Notifier
	var reminders org.Reminders
	if d.Dispatcher != nil {
		cfg.Notifier, bn, reminders = d.Dispatcher, d.Dispatcher, d.Dispatcher
		cfg.Jobs = calendar.Jobs{Store: tables.NewJobStore(c), Queue: d.Dispatcher}
	}
	var err error
	if d.Settings, err = tab.NewService(st.tabs, d.Now); err != nil {
		t.Fatal(err)
	}
	if d.Keys, err = apikey.NewService(tables.NewAPIKeyStore(c), st.tabs, d.Now); err != nil {
		t.Fatal(err)
	}
	if d.Calendar, err = calendar.NewService(cfg); err != nil {
		t.Fatal(err)
	}
	if d.Booking, err = booking.NewService(st.rooms, st.reservations, d.Now, bn, d.Logger); err != nil {
		t.Fatal(err)
	}
	if d.Bookings, err = booking.NewCalendars(d.Booking, st.tabs); err != nil {
		t.Fatal(err)
	}
	if d.RoomAdmin, err = booking.NewRooms(d.Booking, st.rooms.Fresh()); err != nil {
		t.Fatal(err)
	}
	var caches []org.Cache
	for _, s := range []any{st.tabs, st.rooms} {
		if c, ok := s.(org.Cache); ok {
			caches = append(caches, c)
		}
	}
	if d.Org, err = org.NewService(c, reminders, caches...); err != nil {
		t.Fatal(err)
	}
	if d.FindTime, err = findtime.NewService(tables.NewBusyStore(c), d.Directory, d.Booking, d.Bookings, st.tabs, d.Now); err != nil {
		t.Fatal(err)
	}
	return d
}

// newServer is the server of d with its services over c (withServices).
func newServer(t testing.TB, c *tables.Client, d functions.Deps) *functions.Server {
	t.Helper()
	srv, err := functions.NewServer(withServices(t, c, d))
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// newTestServer serves h for a test, every answer held to the OpenAPI
// document (openapitest.Handler). Benchmarks get h as it is: validation is
// not what they measure.
func newTestServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	if _, bench := t.(*testing.B); !bench {
		h = openapitest.Handler(t, h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

var (
	fuzzOnce  sync.Once
	fuzzSrv   *functions.Server
	fuzzToken string
)

// fuzzServer is one offline server shared by the fuzz iterations.
func fuzzServer(t *testing.T) *functions.Server {
	t.Helper()
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		dev, err := entra.LoadDevIssuer(filepath.Join(dir, "dev.json"))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := entra.NewValidator(entra.Config{Scope: "access_as_user"}, nil, dev)
		c := offlineClient(t)
		fuzzSrv = newServer(t, c, storeDeps(c, v))
		fuzzToken, _ = dev.Mint(entra.DevClaims{TenantID: uuid.NewString(), ObjectID: uuid.NewString(), Scope: "access_as_user"}, time.Now())
	})
	return fuzzSrv
}

func fuzzUser(t *testing.T) string { fuzzServer(t); return fuzzToken }

// newTab creates a tab of kind owned by u, with settings over tabBody's, and
// returns its calendar id.
func (h *harness) newTab(u user, kind, id string, settings map[string]any) string {
	h.t.Helper()
	body := tabBody(kind)
	for k, v := range settings {
		body["settings"].(map[string]any)[k] = v
	}
	res := h.do("PUT", "/api/tabs/"+id, &u, body)
	expect(h.t, res, 201, "")
	return res.json(h.t)["calendarId"].(string)
}
