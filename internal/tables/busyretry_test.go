package tables_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestLateBusyRetryFollowsLaterChange fails storage after each request of a
// booking or a move in turn and, while storage is still failing (so the
// instance's background retry of the busy rows has not got through), cancels
// the reservations through another instance. Once storage answers, the
// retry must leave the rows of the reservations as stored then (cancelled:
// none), not those of the change it was retrying: a late retry that wrote
// its change's copies would bring back the busy time of a cancelled
// booking, and nothing would ever remove it.
func TestLateBusyRetryFollowsLaterChange(t *testing.T) {
	t.Parallel()
	day := func(f *faultFixture) time.Time { return f.now.Truncate(24*time.Hour).AddDate(0, 0, 1) }
	ops := []struct {
		name string
		// run makes the change through the failing storage and returns
		// the reservations it touched.
		run func(ctx context.Context, t *testing.T, f *faultFixture, p teamspro.Principal) ([]*booking.Reservation, error)
	}{
		{"book one", func(ctx context.Context, t *testing.T, f *faultFixture, p teamspro.Principal) ([]*booking.Reservation, error) {
			c, err := f.svc.Create(ctx, p, "cal", input("r1", day(f).Add(10*time.Hour), time.Hour))
			if err != nil {
				return nil, err
			}
			return c.All, nil
		}},
		{"book a series", func(ctx context.Context, t *testing.T, f *faultFixture, p teamspro.Principal) ([]*booking.Reservation, error) {
			in := input("r1", day(f).Add(9*time.Hour), time.Hour)
			two := 2
			in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &two}
			c, err := f.svc.Create(ctx, p, "cal", in)
			if err != nil {
				return nil, err
			}
			return c.All, nil
		}},
		{"move to another day", func(ctx context.Context, t *testing.T, f *faultFixture, p teamspro.Principal) ([]*booking.Reservation, error) {
			c, err := f.healthy.svc.Create(context.Background(), p, "cal", input("r1", day(f).Add(9*time.Hour), time.Hour))
			if err != nil {
				t.Fatalf("setup booking: %v", err)
			}
			r, err := f.svc.Update(ctx, p, c.First.ID, "", input("r1", day(f).Add(33*time.Hour), time.Hour))
			if err != nil {
				return nil, err
			}
			return []*booking.Reservation{r}, nil
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			setup := func() (*faultFixture, teamspro.Principal) {
				f := newFaultFixture(t)
				f.healthy.room(t, "r1", nil)
				return f, f.user()
			}
			// The healthy run counts the change's storage requests (a
			// move's setup booking goes around the proxy).
			f, p := setup()
			f.proxy.Passed()
			if _, err := op.run(context.Background(), t, f, p); err != nil {
				t.Fatalf("healthy run: %v", err)
			}
			n := f.proxy.Passed()
			retried := 0
			for k := range n {
				f, p := setup()
				f.proxy.FailAfter(k, faultproxy.Unavailable)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				rs, err := op.run(ctx, t, f, p)
				cancel()
				if err == nil {
					// Committed, though storage failed after k requests: the
					// rest (the busy rows among them) is being retried.
					retried++
					for _, r := range rs {
						if _, err := f.healthy.svc.Cancel(context.Background(), p, r.ID, ""); err != nil {
							t.Fatalf("fail after %d: cancel %s: %v", k, r.ID, err)
						}
					}
				}
				f.settle(t)
				problems, verr := f.healthy.res.Verify(context.Background(), f.tenant)
				if verr != nil {
					t.Fatalf("fail after %d: verify: %v", k, verr)
				}
				for _, pr := range problems {
					t.Errorf("fail after %d, op said %v: %s", k, errSummary(err), pr)
				}
			}
			if retried == 0 {
				t.Fatalf("no fault point of the %d requests left a committed change with its busy rows to retry", n)
			}
			t.Logf("%s: %d storage requests, %d fault points committed with a retry pending", op.name, n, retried)
		})
	}
}

// TestChangeDuringSeriesBooking changes, through another instance, every
// occurrence of a series that can be found while the series is being
// booked, between each two of its storage requests in turn: it cancels them,
// or moves them an hour later; the series is then booked, or refused (its
// last day is taken) and undone, which leaves an occurrence changed
// meanwhile to its change. Whenever the booking's busy rows are written and
// whatever the undo deletes, the index must end with the rows of the
// reservations as stored: none for a cancelled occurrence, the new hour for
// a moved one that stays.
func TestChangeDuringSeriesBooking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	changes := map[string]func(f *faultFixture, p teamspro.Principal, r *booking.Reservation) error{
		"cancel": func(f *faultFixture, p teamspro.Principal, r *booking.Reservation) error {
			_, err := f.healthy.svc.Cancel(ctx, p, r.ID, "")
			return err
		},
		"move": func(f *faultFixture, p teamspro.Principal, r *booking.Reservation) error {
			_, err := f.healthy.svc.Update(ctx, p, r.ID, "", input("r1", r.Start.Add(time.Hour), time.Hour))
			return err
		},
	}
	for name, change := range changes {
		for _, refused := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, refused %v", name, refused), func(t *testing.T) {
				t.Parallel()
				setup := func() (*faultFixture, teamspro.Principal, *booking.EventInput) {
					f := newFaultFixture(t)
					f.healthy.room(t, "r1", nil)
					start := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1).Add(9 * time.Hour)
					if refused {
						if _, err := f.healthy.svc.Create(ctx, f.user(), "other", input("r1", start.AddDate(0, 0, 2), time.Hour)); err != nil {
							t.Fatalf("setup booking: %v", err)
						}
					}
					in := input("r1", start, time.Hour)
					three := 3
					in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &three}
					return f, f.user(), in
				}
				f, p, in := setup()
				f.proxy.Passed()
				if _, err := f.svc.Create(ctx, p, "cal", in); (err != nil) != refused {
					t.Fatalf("run without a change: %v, want refused %v", err, refused)
				}
				n := f.proxy.Passed()
				midway := 0
				for k := range n {
					f, p, in := setup()
					changed := 0
					f.proxy.OnRequest(k, func() {
						found, err := f.healthy.svc.Reservations.ByCalendar(ctx, f.tenant, "cal", in.StartDate.AddDate(0, 0, -1), in.StartDate.AddDate(0, 0, 5))
						if err != nil {
							return
						}
						for _, r := range found {
							if change(f, p, r) == nil {
								changed++
							}
						}
					})
					_, err := f.svc.Create(ctx, p, "cal", in)
					f.settle(t)
					if changed > 0 {
						midway++
					}
					problems, verr := f.healthy.res.Verify(ctx, f.tenant)
					if verr != nil {
						t.Fatalf("change before request %d: verify: %v", k, verr)
					}
					for _, pr := range problems {
						t.Errorf("change before request %d (%d changed), booking said %v: %s", k, changed, errSummary(err), pr)
					}
				}
				if midway == 0 {
					t.Fatalf("no occurrence could be changed during the booking's %d requests", n)
				}
				t.Logf("%d storage requests; occurrences changed before %d of them", n, midway)
			})
		}
	}
}
