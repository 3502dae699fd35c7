package tables_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// The room list answered to users is served from an instance's memory while
// the tenant's directory version is the one it was read under (see
// booking.RoomCache.Current and tables' directory version). These tests play
// two instances of the function app over one storage: what one writes, the
// other's next list shows.

// roomInstance is one instance's view of the rooms: its own client, its own
// cache, and a count of its storage requests.
type roomInstance struct {
	cache *booking.RoomCache
	store *tables.RoomStore
	calls *tables.CountingTransport
}

func newRoomInstance(t testing.TB, opts ...func(*tables.Options)) *roomInstance {
	t.Helper()
	o := tablestest.Options(t)
	ct := &tables.CountingTransport{}
	o.Transport = ct
	for _, f := range opts {
		f(&o)
	}
	c, err := tables.New(o)
	if err != nil {
		t.Fatal(err)
	}
	tablestest.Ensure(t, c)
	s := tables.NewRoomStore(c)
	return &roomInstance{cache: booking.NewRoomCache(s, time.Minute, 0, nil), store: s, calls: ct}
}

func dirRoom(tenant, id, name string) *booking.Room {
	in := booking.RoomInput{Name: name, Capacity: 4, TimeZone: "UTC"}
	in.Normalize()
	now := time.Now().UTC()
	return &booking.Room{TenantID: tenant, ID: id, RoomInput: in, CreatedAt: now, UpdatedAt: now}
}

// roomsText is rooms as "id name etag" lines, what a list answers.
func roomsText(rooms []*booking.Room) string {
	var b strings.Builder
	for _, r := range rooms {
		fmt.Fprintf(&b, "%s %s %s\n", r.ID, r.Name, r.ETag)
	}
	return b.String()
}

// stored is the tenant's rooms as storage holds them, listed directly.
func (in *roomInstance) stored(t testing.TB, tenant string) string {
	t.Helper()
	rooms, err := in.store.List(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return roomsText(rooms)
}

// current is the room list this instance answers.
func (in *roomInstance) current(t testing.TB, tenant string) string {
	t.Helper()
	rooms, err := in.cache.Fresh().List(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return roomsText(rooms)
}

// roomWrites are the writes of rooms, each made by another instance.
func roomWrites(tenant string) []struct {
	name  string
	write func(ctx context.Context, s booking.RoomStore) error
} {
	many := make([]*booking.Room, 150) // two batches
	for i := range many {
		many[i] = dirRoom(tenant, fmt.Sprintf("m%03d", i), "Many")
	}
	return []struct {
		name  string
		write func(ctx context.Context, s booking.RoomStore) error
	}{
		{"create", func(ctx context.Context, s booking.RoomStore) error {
			return s.Create(ctx, dirRoom(tenant, "r3", "Third"))
		}},
		{"update", func(ctx context.Context, s booking.RoomStore) error {
			return s.Update(ctx, dirRoom(tenant, "r1", "Renamed"), `"1"`)
		}},
		{"delete", func(ctx context.Context, s booking.RoomStore) error { return s.Delete(ctx, tenant, "r2", `"1"`) }},
		{"import", func(ctx context.Context, s booking.RoomStore) error {
			_, _, err := s.Import(ctx, tenant, []*booking.Room{dirRoom(tenant, "r1", "Imported"), dirRoom(tenant, "r4", "Fourth")})
			return err
		}},
		{"import in two batches", func(ctx context.Context, s booking.RoomStore) error {
			_, _, err := s.Import(ctx, tenant, many)
			return err
		}},
	}
}

// seedRooms creates r1 and r2 of the tenant.
func seedRooms(t testing.TB, s booking.RoomStore, tenant string) {
	t.Helper()
	for _, id := range []string{"r1", "r2"} {
		if err := s.Create(context.Background(), dirRoom(tenant, id, "Room "+id)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoomListSeesOtherInstancesWrites(t *testing.T) {
	t.Parallel()
	for _, w := range roomWrites("") {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			a, b := newRoomInstance(t), newRoomInstance(t)
			tenant := tablestest.Tenant()
			seedRooms(t, b.cache.Fresh(), tenant)
			want := a.stored(t, tenant)
			if got := a.current(t, tenant); got != want {
				t.Fatalf("first list: got\n%s want\n%s", got, want)
			}
			a.calls.Reset()
			if got := a.current(t, tenant); got != want {
				t.Fatalf("second list: got\n%s want\n%s", got, want)
			}
			if got := a.calls.Reset(); got != 1 {
				t.Errorf("got %d storage requests for an unchanged directory, want 1 (its version)", got)
			}

			var write func(context.Context, booking.RoomStore) error
			for _, x := range roomWrites(tenant) {
				if x.name == w.name {
					write = x.write
				}
			}
			if err := write(context.Background(), b.cache.Fresh()); err != nil {
				t.Fatal(err)
			}
			after := a.stored(t, tenant)
			if after == want {
				t.Fatalf("the %s changed nothing stored: the test proves nothing", w.name)
			}
			if got := a.current(t, tenant); got != after {
				t.Errorf("after the %s on another instance: got\n%s want\n%s", w.name, got, after)
			}
		})
	}

	// The purge deletes the version with the rooms; rooms written before
	// versions existed have none, which must not match either.
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("purge, rooms written before versions %v", legacy), func(t *testing.T) {
			t.Parallel()
			testPurgeSeen(t, legacy)
		})
	}
}

func testPurgeSeen(t *testing.T, legacy bool) {
	c, a := tablestest.New(t), newRoomInstance(t)
	tenant := tablestest.Tenant()
	seedRooms(t, a.store, tenant)
	if legacy {
		dropDirectoryVersion(t, tenant)
	}
	if got := a.current(t, tenant); strings.Count(got, "\n") != 2 {
		t.Fatalf("got\n%s want two rooms", got)
	}
	if _, err := c.PurgeTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	if got := a.current(t, tenant); got != "" {
		t.Errorf("after the purge on another instance: got\n%s want no rooms", got)
	}
	if n, err := c.CountTenant(context.Background(), tenant); err != nil || n != 0 {
		t.Errorf("got %d rows left after the purge (%v), want 0", n, err)
	}
}

// dropDirectoryVersion deletes the tenant's directory version, as rooms
// written before versions existed have none.
func dropDirectoryVersion(t testing.TB, tenant string) {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.NewClient(tablestest.Prefix()+tables.TableRooms).DeleteEntity(context.Background(), tenant, "directory", nil); err != nil {
		t.Fatal(err)
	}
}

// TestRoomsWithoutVersionGetOne: the rooms of a tenant written before
// versions existed are listed at the first two calls (the first records a
// version, the second is remembered under it) and served from memory after,
// whatever another instance writes between any two storage requests of the
// first call.
func TestRoomsWithoutVersionGetOne(t *testing.T) {
	t.Parallel()
	a := newRoomInstance(t)
	tenant := tablestest.Tenant()
	seedRooms(t, a.store, tenant)
	dropDirectoryVersion(t, tenant)
	want := a.stored(t, tenant)
	a.calls.Reset()
	for i, wantCalls := range []int{3, 2, 1} { // version, list, record; version, list; version
		if got := a.current(t, tenant); got != want {
			t.Fatalf("list %d: got\n%s want\n%s", i+1, got, want)
		}
		if got := a.calls.Reset(); got != wantCalls {
			t.Errorf("list %d: got %d storage requests, want %d", i+1, got, wantCalls)
		}
	}

	n := 3
	for k := range n + 1 {
		p, through := storageProxy(t)
		a := newRoomInstance(t, func(o *tables.Options) { o.ConnectionString = through })
		b := newRoomInstance(t)
		tenant := tablestest.Tenant()
		seedRooms(t, b.store, tenant)
		dropDirectoryVersion(t, tenant)
		p.OnRequest(k, func() {
			if err := b.cache.Fresh().Create(context.Background(), dirRoom(tenant, fmt.Sprintf("w%d", k), "Written")); err != nil {
				t.Error(err)
			}
		})
		a.current(t, tenant)
		for i := range 3 {
			if got, want := a.current(t, tenant), a.stored(t, tenant); got != want {
				t.Errorf("a write before request %d of the first list, then list %d: got\n%s want\n%s", k+1, i+2, got, want)
			}
		}
	}
}

// TestPurgeLeavesNoDirectoryVersion: an instance that lists rooms without a
// version (and so records one) between any two storage requests of a purge,
// twice, lists no room after the purge, and the purge leaves nothing behind.
func TestPurgeLeavesNoDirectoryVersion(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*faultproxy.Proxy, *tables.Client, *roomInstance, string) {
		t.Helper()
		p, through := storageProxy(t)
		o := tablestest.Options(t)
		o.ConnectionString = through
		c, err := tables.New(o)
		if err != nil {
			t.Fatal(err)
		}
		good := newRoomInstance(t)
		tenant := tablestest.Tenant()
		many := make([]*booking.Room, 150) // two delete batches in the purge
		for i := range many {
			many[i] = dirRoom(tenant, fmt.Sprintf("m%03d", i), "Many")
		}
		if _, _, err := good.store.Import(context.Background(), tenant, many); err != nil {
			t.Fatal(err)
		}
		dropDirectoryVersion(t, tenant)
		return p, c, good, tenant
	}
	p, c, _, tenant := setup(t)
	p.Passed()
	if _, err := c.PurgeTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	n := p.Passed()
	for k := range n {
		p, c, good, tenant := setup(t)
		p.OnRequest(k, func() {
			good.current(t, tenant) // records a version if rooms are left
			good.current(t, tenant) // remembered under it
		})
		if _, err := c.PurgeTenant(context.Background(), tenant); err != nil {
			t.Fatal(err)
		}
		if got := good.current(t, tenant); got != "" {
			t.Errorf("listed before request %d of %d of the purge: then lists %d rooms, want none", k+1, n, strings.Count(got, "\n"))
		}
		if m, err := c.CountTenant(context.Background(), tenant); err != nil || m != 0 {
			t.Errorf("listed before request %d of %d of the purge: got %d rows left (%v), want 0", k+1, n, m, err)
		}
	}
}

// TestRoomWritesChangeTheDirectoryVersion fails storage at each request of
// each room write in turn (storage staying down, or failing that request
// only, so that an import's undo runs) and checks that the rooms never
// changed under an unchanged version, and that an instance that remembered
// the directory before answers what storage holds after.
func TestRoomWritesChangeTheDirectoryVersion(t *testing.T) {
	t.Parallel()
	modes := []faultproxy.Mode{faultproxy.Reset, faultproxy.Unavailable, faultproxy.Timeout}
	for i, w := range roomWrites("") {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			// A faulted instance, and a healthy one that checks.
			setup := func(t *testing.T) (*faultproxy.Proxy, *roomInstance, *roomInstance, string, func(context.Context, booking.RoomStore) error) {
				t.Helper()
				p, through := storageProxy(t)
				bad := newRoomInstance(t, func(o *tables.Options) {
					o.ConnectionString = through
					o.Retry = &policy.RetryOptions{MaxRetries: -1, TryTimeout: 5 * time.Second}
				})
				good := newRoomInstance(t)
				tenant := tablestest.Tenant()
				seedRooms(t, good.store, tenant)
				good.current(t, tenant) // remembered
				return p, bad, good, tenant, roomWrites(tenant)[i].write
			}
			p, bad, _, _, write := setup(t)
			p.Passed()
			if err := write(context.Background(), bad.cache.Fresh()); err != nil {
				t.Fatalf("healthy run: %v", err)
			}
			n := p.Passed()
			// An instance that lists between any two storage calls of the
			// write (and remembers what it read) lists what the write left.
			for k := range n + 1 {
				p, bad, good, tenant, write := setup(t)
				p.OnRequest(k, func() { good.current(t, tenant) })
				if err := write(context.Background(), bad.cache.Fresh()); err != nil {
					t.Fatal(err)
				}
				if got, want := good.current(t, tenant), good.stored(t, tenant); got != want {
					t.Errorf("listed before request %d of %d: then lists\n%s want\n%s", k+1, n, got, want)
				}
			}
			for k := range n {
				for _, mode := range modes {
					for _, once := range []bool{false, true} {
						p, bad, good, tenant, write := setup(t)
						v0, err := good.store.DirectoryVersion(context.Background(), tenant)
						if err != nil {
							t.Fatal(err)
						}
						s0 := good.stored(t, tenant)
						p.FailAfter(k, mode)
						if once {
							// Storage is back for the next request (an
							// import's undo), and an instance lists just
							// before it.
							p.OnRequest(k+1, func() { p.Heal(); good.current(t, tenant) })
						}
						err = write(context.Background(), bad.cache.Fresh())
						p.Heal()
						what := fmt.Sprintf("fail at request %d of %d (%s, once %v), the write said %v", k+1, n, mode, once, errSummary(err))
						v1, verr := good.store.DirectoryVersion(context.Background(), tenant)
						if verr != nil {
							t.Fatal(verr)
						}
						s1 := good.stored(t, tenant)
						if s1 != s0 && v1 == v0 {
							t.Errorf("%s: the rooms changed under an unchanged version %q:\nbefore\n%s after\n%s", what, v0, s0, s1)
						}
						if got := good.current(t, tenant); got != s1 {
							t.Errorf("%s: an instance that remembered the rooms lists\n%s want\n%s", what, got, s1)
						}
					}
				}
			}
		})
	}
}

// TestRoomListUnderConcurrentWrites: while writers on one instance change
// their rooms, the lists of another never show a room older than a write
// that had returned before the list began, and a room's name and ETag
// always belong together.
func TestRoomListUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	a, b := newRoomInstance(t), newRoomInstance(t)
	tenant := tablestest.Tenant()
	ctx := context.Background()
	const writers, updates = 4, 12
	for w := range writers {
		if err := b.cache.Fresh().Create(ctx, dirRoom(tenant, fmt.Sprintf("c%d", w), "0")); err != nil {
			t.Fatal(err)
		}
	}
	var done [writers]atomic.Int64 // the last update each writer saw return
	var wg, listers sync.WaitGroup
	var stop atomic.Bool
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= updates; n++ {
				if err := b.cache.Fresh().Update(ctx, dirRoom(tenant, fmt.Sprintf("c%d", w), strconv.Itoa(n)), ""); err != nil {
					t.Error(err)
					return
				}
				done[w].Store(int64(n))
			}
		}()
	}
	for range 4 {
		listers.Add(1)
		go func() {
			defer listers.Done()
			for !stop.Load() {
				var floor [writers]int64
				for w := range writers {
					floor[w] = done[w].Load()
				}
				rooms, err := a.cache.Fresh().List(ctx, tenant)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range rooms {
					w, _ := strconv.Atoi(strings.TrimPrefix(r.ID, "c"))
					n, _ := strconv.Atoi(r.Name)
					if int64(n) < floor[w] {
						t.Errorf("room %s: got update %d, want at least %d (returned before the list began)", r.ID, n, floor[w])
					}
					if want := fmt.Sprintf(`"%d"`, n+1); r.ETag != want {
						t.Errorf("room %s update %d: got ETag %s, want %s", r.ID, n, r.ETag, want)
					}
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	listers.Wait()
	if got, want := a.current(t, tenant), a.stored(t, tenant); got != want {
		t.Errorf("after the writes: got\n%s want\n%s", got, want)
	}
}
