package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/config"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/org"
	"github.com/teamspro/functions/internal/safehttp"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/web"
)

// serveHooks are what callers of serve add around it; the zero value adds
// nothing.
type serveHooks struct {
	// ready receives the listening address (tests use port 0).
	ready chan<- string
	// wrap is put around the server's handler (tests hold every answer to the
	// OpenAPI document with it).
	wrap func(http.Handler) http.Handler
	// started is called once, after the first answer (or startWait without a
	// request), before the deferred start-up work: main registers for
	// signals there.
	started func()
}

// serve is the composition root: load and validate the configuration, build
// the adapters, serve until ctx ends, then shut down gracefully.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer, hooks serveHooks) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)

	var cred azcore.TokenCredential
	if cfg.TableServiceURI != "" || cfg.ServiceBusNamespace != "" {
		// In Azure: the user-assigned identity named by its client id. Elsewhere
		// (a developer against a real account): the default chain, az login included.
		// Built at the first token request (see lazyCredential).
		cred = &lazyCredential{build: func() (azcore.TokenCredential, error) {
			if cfg.ManagedIdentityClientID != "" {
				return azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(cfg.ManagedIdentityClientID)})
			}
			return azidentity.NewDefaultAzureCredential(nil)
		}}
	}
	// Start-up work that can wait (creating missing tables, fetching the
	// sign-in keys) starts once the first answer is out: the host waits for
	// that answer, and on a small instance this work would compete with it
	// for the CPU. Readiness does not depend on it: a request that meets a
	// missing table creates the tables (tables.tableWatch) and the readiness
	// probe ensures them (Client.Ping); a token met before the keys are
	// fetched fetches them.
	//
	// That work runs on one goroutine, one piece after another (warmups):
	// run side by side, the pieces of a deployment (a managed identity
	// credential and its token, the key set's cache and fetch) took both
	// cores while the first answer was still on its way to the host.
	answered := make(chan struct{})
	var firstAnswer sync.Once
	started := func() <-chan struct{} { return answered }
	var warmups []func(context.Context)

	// Listening starts before the services and the server are built, so
	// that accepting the host's first connection and reading its request
	// overlap with building them on another core; every request waits until
	// the server is built (built), so none is answered before it could be.
	// The Functions host reaches the handler on loopback; nothing else should.
	// Multipath TCP, which Go's listeners use by default where the kernel
	// offers it, brings nothing on loopback, and probing for it and opening
	// a multipath socket took 0.3 ms of every start (a twentieth of a cold
	// start, measured with tools/coldstart).
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	var srv *functions.Server
	built := make(chan struct{})
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-built
		if srv == nil {
			panic(http.ErrAbortHandler) // the start failed and the process ends
		}
		srv.ServeHTTP(w, r)
		firstAnswer.Do(func() { close(answered) })
	})
	if hooks.wrap != nil {
		h = hooks.wrap(h)
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      230 * time.Second, // the Functions host's HTTP limit
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	defer func() {
		select {
		case <-built:
		default: // returning with an error before serving
			srv = nil
			close(built)
			_ = hs.Close()
		}
	}()

	store, err := tables.New(tables.Options{
		ConnectionString: cfg.TableConnectionString, ServiceURI: cfg.TableServiceURI,
		Credential: cred, Prefix: cfg.TablePrefix,
	})
	if err != nil {
		return err
	}

	auth, dev, err := newAuthenticator(ctx, cfg, log, func(w func(context.Context)) { warmups = append(warmups, w) })
	if err != nil {
		return err
	}

	// Adapters first, then the dispatcher and the services over them, then
	// the server; each is built from what precedes it. The in-process queue
	// is the one consumer that needs the server (it delivers to the notify
	// function, which publishes to the queue in turn): it holds its
	// messages until the server exists and then starts consuming.
	pub, err := newPublisher(cfg, cred, log)
	if err != nil {
		return err
	}
	defer pub.close()
	events := tables.NewEventStore(store)
	busy := tables.NewBusyStore(store)
	directory := tables.NewDirectoryStore(store)
	tabs := tab.NewCache(tables.NewTabStore(store), cfg.CacheTTL, 0, time.Now)
	rooms := booking.NewRoomCache(tables.NewRoomStore(store), cfg.CacheTTL, 0, time.Now)
	reservations := tables.NewReservationStore(store)
	marks := tables.NewMarkStore(store)
	dispatcher, err := dispatch.New(dispatch.Config{
		Publisher: pub, Profiles: directory, Tabs: tabs, Events: events, Rooms: rooms, Outgoing: events, Reservations: reservations,
		Outbox: tables.NewOutboxStore(store), Reminders: tables.NewReminderStore(store), Now: time.Now, Logger: log,
		Projections: []dispatch.EventProjection{busy},
	})
	if err != nil {
		return err
	}
	settings, err := tab.NewService(tabs, time.Now)
	if err != nil {
		return err
	}
	keys, err := apikey.NewService(tables.NewAPIKeyStore(store), tabs, time.Now)
	if err != nil {
		return err
	}
	externals := calendar.NewExternalCache(tables.NewExternalStore(store), cfg.CacheTTL, 0, time.Now)
	cal, err := calendar.NewService(calendar.Config{
		Events: events, Tabs: tabs, Feeds: events, Jobs: calendar.Jobs{Store: tables.NewJobStore(store), Queue: dispatcher},
		Externals: externals,
		Source:    ical.Source{Fetcher: safehttp.New(safehttp.Config{AllowNetworks: cfg.ExternalTestNetworks()})},
		Notifier:  dispatcher, Projections: []calendar.Projection{busy}, Now: time.Now, Logger: log,
	})
	if err != nil {
		return err
	}
	bookingSvc, err := booking.NewService(rooms, reservations, time.Now, dispatcher, log)
	if err != nil {
		return err
	}
	bookings, err := booking.NewCalendars(bookingSvc, tabs)
	if err != nil {
		return err
	}
	roomAdmin, err := booking.NewRooms(bookingSvc, rooms.Fresh())
	if err != nil {
		return err
	}
	caches := []org.Cache{rooms}
	for _, x := range []any{tabs, externals} { // caches, unless CACHE_TTL is 0
		if c, ok := x.(org.Cache); ok {
			caches = append(caches, c)
		}
	}
	orgs, err := org.NewService(store, dispatcher, caches...)
	if err != nil {
		return err
	}
	finder, err := findtime.NewService(busy, directory, bookingSvc, bookings, tabs, time.Now)
	if err != nil {
		return err
	}
	processor, err := newProcessor(cfg, marks, dispatch.Steps{Copies: cal}, log)
	if err != nil {
		return err
	}

	srv, err = functions.NewServer(functions.Deps{
		Logger:       log,
		Auth:         auth,
		Directory:    directory,
		Settings:     settings,
		Keys:         keys,
		Calendar:     cal,
		Booking:      bookingSvc,
		Bookings:     bookings,
		RoomAdmin:    roomAdmin,
		Org:          orgs,
		FindTime:     finder,
		Backfill:     tables.NewBusyBackfill(store),
		Dispatcher:   dispatcher,
		Processor:    processor,
		Marks:        marks,
		Ready:        store.Ping,
		Now:          time.Now,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Retention:    cfg.SoftDeleteRetention,
		PublicOrigin: cfg.PublicOrigin,
		CORSOrigins:  cfg.CORSAllowedOrigins,
		Pages:        web.Files(),
		DevSignIn:    devSignIn(dev, cfg.AdminAppRole, cfg.EntraScope),
	})
	if err != nil {
		return err
	}
	if pub.local != nil {
		if err := notify.Consume(pub.local, func(ctx context.Context, d notify.Delivery) error {
			return srv.DeliverLocally(ctx, "notify", d.Invocation("message"))
		}); err != nil {
			return err
		}
	}

	// Tables are created in the background, after the first answer (see
	// answered): the host considers the handler started at its first HTTP
	// answer, and liveness needs no storage. They come after the sign-in
	// keys, which every signed-in request needs.
	warmups = append(warmups, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := store.EnsureTables(ctx); err != nil && ctx.Err() != context.Canceled {
			log.Warn("tables not ensured; requests will answer 503 until storage is reachable", "err", err)
		}
	})
	go func() {
		if !afterStart(ctx, started()) {
			return
		}
		if hooks.started != nil {
			hooks.started()
		}
		for _, w := range warmups {
			w(ctx)
		}
	}()

	if cfg.LocalTimers {
		if err := srv.RunLocalTimers(ctx); err != nil {
			return err
		}
		timers, _ := srv.LocalTimers()
		for _, t := range timers {
			log.Info("local timer", "function", t.Function, "schedule", t.Schedule, "next", t.Next(time.Now()))
		}
	}

	close(built)
	log.Info("serving", "addr", ln.Addr().String(), "dev_signin", cfg.DevSignIn)
	if hooks.ready != nil {
		hooks.ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Changes stored by the last requests are announced before the queue
	// closes; any left over wait in the outbox for the timer of another
	// instance.
	dispatcher.Wait()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// afterStart waits for started, or startWait if no request comes; false when
// ctx ends first.
func afterStart(ctx context.Context, started <-chan struct{}) bool {
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-started:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// startWait bounds how long deferred start-up work waits for a first request.
const startWait = 2 * time.Second

// newAuthenticator accepts Entra ID tokens when the app registration is
// configured, and dev tokens when dev sign-in is on. Entra ID's keys are
// fetched by a warmup handed to warmup, which serve runs once the first
// answer is out.
func newAuthenticator(ctx context.Context, cfg *config.Config, log *slog.Logger, warmup func(func(context.Context))) (*entra.Validator, *entra.DevIssuer, error) {
	ec := entra.Config{
		ClientID: cfg.EntraClientID, AppIDURI: cfg.EntraAppIDURI, TenantID: cfg.EntraTenantID,
		AllowedTenants: cfg.EntraAllowedTenants, Scope: cfg.EntraScope, AdminRole: cfg.AdminAppRole,
		AdminObjectIDs: cfg.AdminObjectIDs, ClockSkew: cfg.ClockSkew,
	}
	var keys entra.KeySource
	if cfg.EntraClientID != "" {
		rk, err := entra.NewRemoteKeys(ctx, cfg.EntraJWKSURL)
		if err != nil {
			return nil, nil, err
		}
		keys = rk
		warmup(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := rk.Warm(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sign-in keys not fetched at start; the first sign-in will try again", "err", err)
			}
		})
	}
	var dev *entra.DevIssuer
	if cfg.DevSignIn {
		var err error
		if dev, err = entra.LoadDevIssuer(cfg.DevSignInKeyFile); err != nil {
			return nil, nil, err
		}
	}
	v, err := entra.NewValidator(ec, keys, dev)
	return v, dev, err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// devSignIn mints dev tokens for the tabs' dev sign-in screen; nil (no route)
// without dev sign-in.
func devSignIn(dev *entra.DevIssuer, adminRole, scope string) func(functions.DevIdentity) (string, error) {
	if dev == nil {
		return nil
	}
	return func(id functions.DevIdentity) (string, error) {
		return dev.Mint(entra.DevClaims{TenantID: id.TenantID, ObjectID: id.ObjectID, Name: id.Name, UPN: id.UPN,
			Admin: id.Admin, Role: adminRole, Scope: scope}, time.Now())
	}
}
