// Package functions is the Azure Functions surface of the product: the route
// table that every HTTP function's function.json mirrors, the HTTP handlers, the
// handlers of non-HTTP triggers (Service Bus, timers) and the code that speaks
// the custom-handler invocation protocol. It meets storage, mail and queues only
// through domain interfaces.
package functions

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/org"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// Authenticator turns a bearer token into a principal: EUNAUTHORIZED for a bad
// token, EFORBIDDEN for a good one that may not use the API.
type Authenticator interface {
	Validate(ctx context.Context, token string) (teamspro.Principal, error)
}

// Deps are what the server needs. Every field is required unless marked.
type Deps struct {
	Logger    *slog.Logger
	Auth      Authenticator
	Directory directory.Store
	// Settings applies the rules of changing a tab.
	Settings *tab.Service
	// Keys makes, lists, revokes and checks API keys.
	Keys *apikey.Service
	// Calendar is Calendar Pro: its events, feeds and copies.
	Calendar *calendar.Service
	// Booking is Booking Room Pro's reservations, Bookings its booking
	// calendars (tabs) and a user's own reservations, RoomAdmin the
	// management of the organization's rooms.
	Booking   *booking.Service
	Bookings  *booking.Calendars
	RoomAdmin *booking.Rooms
	// Org exports and purges an organization's data.
	Org *org.Service
	// FindTime finds times for people and rooms (optional: without it the
	// find-a-time routes answer 503).
	FindTime *findtime.Service
	// Backfill brings the find-a-time index in step with what was stored
	// before it, a bounded step in each run of the repair timer (optional).
	Backfill findtime.Backfill
	// Dispatcher is told of every stored change and decides who is mailed
	// (optional: nil sends no notification and runs no job).
	Dispatcher *dispatch.Dispatcher
	// Processor turns queued notifications into mails, for the notify trigger
	// (optional: without it the trigger answers 503 and the host retries).
	Processor *notify.Processor
	// Marks, when set, has its old processing marks purged by the daily timer.
	Marks interface {
		PurgeBefore(ctx context.Context, cutoff time.Time) (int, error)
	}
	// Ready reports whether storage answers, for /api/health/ready.
	Ready func(ctx context.Context) error
	Now   teamspro.Clock
	// MaxBodyBytes bounds every JSON body.
	MaxBodyBytes int64
	// RequestTimeout bounds each HTTP request, storage retries included.
	RequestTimeout time.Duration
	// PublicOrigin is the origin (https://host[:port]) clients reach the API
	// at: absolute URLs handed out (an ICS feed's link) are built from it,
	// never from a request's Host header, which the caller chooses.
	PublicOrigin string
	// Retention is how long soft-deleted items stay restorable.
	Retention time.Duration
	// CORSOrigins are the browser origins allowed to call the API ("*" any).
	CORSOrigins []string
	// Pages are the tabs' built pages and assets (optional: without them
	// page requests answer 404).
	Pages fs.FS
	// DevSignIn mints a dev token (optional: set only with DEV_SIGNIN=true,
	// which the configuration refuses in Azure; without it the dev sign-in
	// route answers 404).
	DevSignIn func(DevIdentity) (string, error)
}

// Server serves HTTP routes and trigger invocations.
type Server struct {
	Deps
	routes   []Route
	trigList []Trigger
	triggers map[string]Trigger
	handler  http.Handler
	router   *router      // the route groups, each built at its first request
	unrouted http.Handler // the 404/405 problem of requests no route serves
}

// NewServer checks deps and builds the router.
func NewServer(d Deps) (*Server, error) {
	var missing []error
	if d.Logger == nil {
		missing = append(missing, errors.New("logger"))
	}
	if d.Auth == nil {
		missing = append(missing, errors.New("authenticator"))
	}
	if d.Directory == nil {
		missing = append(missing, errors.New("directory store"))
	}
	if d.Keys == nil {
		missing = append(missing, errors.New("API key service"))
	}
	if d.Settings == nil {
		missing = append(missing, errors.New("tab service"))
	}
	if d.Calendar == nil {
		missing = append(missing, errors.New("calendar service"))
	}
	if d.Booking == nil || d.Bookings == nil || d.RoomAdmin == nil {
		missing = append(missing, errors.New("booking service"))
	}
	if d.Org == nil {
		missing = append(missing, errors.New("organization service"))
	}
	if d.Ready == nil {
		missing = append(missing, errors.New("readiness check"))
	}
	if u, err := url.Parse(d.PublicOrigin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		missing = append(missing, fmt.Errorf("public origin (got %q, want https://host[:port])", d.PublicOrigin))
	}
	if len(missing) > 0 {
		return nil, errors.Join(append([]error{errors.New("functions: missing dependencies")}, missing...)...)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 30 * time.Second
	}
	if d.Retention <= 0 {
		d.Retention = 30 * 24 * time.Hour
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	s := &Server{Deps: d, triggers: map[string]Trigger{}}
	s.routes = s.allRoutes()
	s.trigList = s.allTriggers()
	for _, t := range s.trigList {
		s.triggers[t.Function] = t
	}
	h, err := s.buildRouter()
	if err != nil {
		return nil, err
	}
	s.handler = h
	return s, nil
}

// ServeHTTP serves one request: an HTTP route or a trigger invocation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns the route table, for the function.json and OpenAPI checks.
func (s *Server) Routes() []Route { return s.routes }

// Triggers returns the non-HTTP functions.
func (s *Server) Triggers() []Trigger { return s.trigList }
