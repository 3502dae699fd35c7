// Package tables is the Azure Table Storage adapter (aztables). It implements the
// domain stores and is the only package that knows about partition keys, row keys,
// ETags on the wire and the Table service's error codes.
//
// Layout rule for every table: the partition key starts with the tenant id, so a
// query can never reach another tenant's rows and a tenant's data can be exported
// or purged partition by partition. Each entity stores its domain record as JSON
// in the Doc property, with a few plain columns beside it where a filter needs them.
package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// Table names, without the deployment's prefix.
const (
	TableDirectory = "directory"  // tenants and user profiles
	TableTabs      = "tabs"       // tab configuration and the calendar-id index
	TableRooms     = "rooms"      // booking rooms, one partition per tenant
	TableBookings  = "bookings"   // reservations, room-day ledgers and their indexes
	TableDue       = "bookingdue" // check-in deadlines by hour, across tenants
)

// Options configures a Client. Exactly one of ConnectionString and ServiceURI is set.
type Options struct {
	ConnectionString string
	ServiceURI       string
	Credential       azcore.TokenCredential // with ServiceURI
	Prefix           string
	// Transport replaces the HTTP transport; tests and benchmarks use it to count
	// storage round trips.
	Transport policy.Transporter
	// Retry replaces the storage retry policy; fault-injection tests use it
	// to fail fast.
	Retry *policy.RetryOptions
	// Tables lists the tables EnsureTables creates (without prefix); domain
	// adapters register theirs with Register before EnsureTables runs.
	Tables []string
}

// Client wraps one aztables service client and a client per table.
type Client struct {
	svc    *aztables.ServiceClient
	prefix string

	mu     sync.Mutex
	tables map[string]*aztables.Client
	names  []string

	// Creating missing tables when a request meets one: see tableWatch.
	ensuring sync.Mutex
	// ensured is true once every table is known to exist, false again when
	// storage answers TableNotFound; readiness waits for it.
	ensured atomic.Bool
}

// New builds a Client. It does no I/O, so it adds nothing to cold start.
func New(opts Options) (*Client, error) {
	co := &aztables.ClientOptions{}
	co.Retry = policy.RetryOptions{MaxRetries: 3, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: 2 * time.Second, TryTimeout: 15 * time.Second}
	if opts.Transport != nil {
		co.Transport = opts.Transport
	}
	if opts.Retry != nil {
		co.Retry = *opts.Retry
	}
	c := &Client{prefix: opts.Prefix, tables: map[string]*aztables.Client{}}
	co.PerCallPolicies = append(co.PerCallPolicies, tableWatch{c}, rawPages{})
	co.PerRetryPolicies = append(co.PerRetryPolicies, countTries{})
	var (
		svc *aztables.ServiceClient
		err error
	)
	switch {
	case opts.ConnectionString != "" && opts.ServiceURI != "":
		return nil, errors.New("tables: set a connection string or a service URI, not both")
	case opts.ConnectionString != "":
		svc, err = aztables.NewServiceClientFromConnectionString(opts.ConnectionString, co)
	case opts.ServiceURI != "":
		if opts.Credential == nil {
			return nil, errors.New("tables: a service URI needs a credential")
		}
		svc, err = aztables.NewServiceClient(opts.ServiceURI, opts.Credential, co)
	default:
		return nil, errors.New("tables: a connection string or a service URI is required")
	}
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	c.svc = svc
	c.names = []string{TableDirectory, TableTabs, TableAPIKeys, TableRooms, TableBookings, TableDue, TableIntents, TableBusy, TableMarks, TableEvents, TableReminders, TableOutbox, TableJobs, TableExternals}
	c.Register(opts.Tables...)
	return c, nil
}

// Register adds tables that EnsureTables must create.
func (c *Client) Register(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		if !slices.Contains(c.names, n) {
			c.names = append(c.names, n)
		}
	}
}

// table returns the client for a table, by its unprefixed name.
func (c *Client) table(name string) *aztables.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tables[name]
	if !ok {
		t = c.svc.NewClient(c.prefix + name)
		c.tables[name] = t
	}
	return t
}

// EnsureTables creates every registered table that does not exist yet. It is
// idempotent and run at start, in the background, so that a cold start does not
// wait on it. One query lists the deployment's tables; only the missing ones
// are created, so a warm deployment's start costs one storage call, not one
// per table.
func (c *Client) EnsureTables(ctx context.Context) error {
	c.mu.Lock()
	names := append([]string(nil), c.names...)
	c.mu.Unlock()
	missing, err := c.missingTables(ctx, names)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(missing))
	for i, n := range missing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.svc.CreateTable(ctx, c.prefix+n, nil)
			if err != nil && !hasCode(err, "TableAlreadyExists") {
				errs[i] = translate(err, "create table "+n)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.ensured.Store(true)
	return nil
}

// missingTables returns the names (without prefix) of the tables that the
// service does not list.
func (c *Client) missingTables(ctx context.Context, names []string) ([]string, error) {
	// Table names are letters and digits, so every name with the prefix sorts
	// between the prefix and the prefix followed by '{' (after 'z').
	filter := fmt.Sprintf("TableName ge %s and TableName lt %s", quote(c.prefix), quote(c.prefix+"{"))
	have := map[string]bool{}
	pager := c.svc.NewListTablesPager(&aztables.ListTablesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "list tables")
		}
		for _, t := range page.Tables {
			if t.Name != nil {
				have[strings.ToLower(*t.Name)] = true
			}
		}
	}
	var missing []string
	for _, n := range names {
		if !have[strings.ToLower(c.prefix+n)] {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// tableWatch notices a TableNotFound answer (a fresh storage account whose
// tables the start has not created yet, tables lost by an emulator restart
// or deleted by hand), creates the tables at once and sends the request
// again, so that a request waits for the tables rather than answer 503:
// a fresh deployment's first requests work, and the service recovers without
// a restart. Concurrent requests share one creation (ensureNow).
type tableWatch struct{ c *Client }

func (w tableWatch) Do(req *policy.Request) (*http.Response, error) {
	res, err := req.Next()
	if err != nil || res.StatusCode != http.StatusNotFound || res.Header.Get("x-ms-error-code") != "TableNotFound" {
		return res, err
	}
	w.c.ensured.Store(false)
	ctx := req.Raw().Context()
	if w.c.ensureNow(ctx) != nil || req.RewindBody() != nil {
		return res, err // storage is failing: the 404 becomes the request's 503
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return req.Clone(ctx).Next()
}

// ensureNow creates the missing tables unless they are known to exist,
// once for all the requests that wait on it.
func (c *Client) ensureNow(ctx context.Context) error {
	c.ensuring.Lock()
	defer c.ensuring.Unlock()
	if c.ensured.Load() {
		return nil
	}
	return c.EnsureTables(ctx)
}

// Ping checks that storage answers and every table exists, for the
// readiness probe: one cheap query once the tables are known to exist. Until
// then it creates them, so that "ready" means every route can work.
func (c *Client) Ping(ctx context.Context) error {
	if !c.ensured.Load() {
		if err := c.EnsureTables(ctx); err != nil {
			return err
		}
	}
	top := int32(1)
	pager := c.table(TableDirectory).NewListEntitiesPager(&aztables.ListEntitiesOptions{Top: &top, Select: to("PartitionKey")})
	_, err := pager.NextPage(ctx)
	return translate(err, "ping")
}

func to[T any](v T) *T { return &v }

// hasCode reports whether err is a Table service error with the given code.
func hasCode(err error, code string) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && strings.EqualFold(re.ErrorCode, code)
}

// statusOf returns the HTTP status of a storage error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// CountingTransport counts the requests that go through it: the storage round
// trips of an operation, reported by tests and benchmarks.
type CountingTransport struct {
	Next  policy.Transporter
	mu    sync.Mutex
	count int
}

// Do counts and forwards one request.
func (t *CountingTransport) Do(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.count++
	t.mu.Unlock()
	next := t.Next
	if next == nil {
		next = http.DefaultClient
	}
	return next.Do(req)
}

// Count returns the number of requests so far.
func (t *CountingTransport) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count
}

// Reset sets the count to zero and returns what it was.
func (t *CountingTransport) Reset() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.count
	t.count = 0
	return n
}
