package functions_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/teamspro"
)

// dyingPublisher is the queue as seen by a process that dies while
// announcing a change: before its message reaches the queue, or right after
// (before it forgets the change's record). Its calls never return until the
// test buries the process.
type dyingPublisher struct {
	notify.Publisher
	publishFirst bool
	dead         chan struct{}
}

func (p *dyingPublisher) Publish(ctx context.Context, env notify.Envelope) error {
	if p.publishFirst {
		if err := p.Publisher.Publish(ctx, env); err != nil {
			return err
		}
	}
	select {
	case <-p.dead:
	case <-ctx.Done():
	}
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "the process died")
}

// TestChangeAnnouncedOnceAfterACrash: a calendar change and its outgoing
// record are stored in one batch; the process dies while announcing it
// (before its message is queued, or after); another instance's timer finds
// the record and announces it; the participant gets exactly one mail.
func TestChangeAnnouncedOnceAfterACrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		publishFirst bool
	}{
		{"dies before queueing the message", false},
		{"dies after queueing it, before forgetting the change", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newIsolatedHarness(t) // the timer sweeps every tenant
			h.now = monday
			owner := h.newUser("", false)
			cal := h.calendarTab(owner, "cal", map[string]any{"notifications": map[string]any{"addedOrUpdated": true, "deleted": true}})
			l := newMailListener(t)
			q := withMail(t, h, l, true)
			restarted := h.srv
			var err error

			dying := &dyingPublisher{Publisher: q, publishFirst: tt.publishFirst, dead: make(chan struct{})}
			d := restarted.Deps
			// The dying process has a clock of its own: the test moves the
			// harness's while that process's announcement hangs.
			d.Dispatcher, err = dispatch.New(dispatch.Config{Publisher: dying, Profiles: d.Directory, Tabs: storesOf(h.client).tabs, Events: tables.NewEventStore(h.client), Rooms: storesOf(h.client).rooms,
				Reminders: tables.NewReminderStore(h.client), Outbox: tables.NewOutboxStore(h.client), Outgoing: tables.NewEventStore(h.client),
				Now: func() time.Time { return monday }})
			if err != nil {
				t.Fatal(err)
			}
			crashing := newServer(t, h.client, d)
			h.srv, h.http, h.async = crashing, newTestServer(t, crashing), true
			body := calEvent("Retro", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z", "Europe/Paris",
				map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example", "name": "Bob"}}})
			expect(t, h.do("POST", calEvents(cal), &owner, body), 201, "")
			events := tables.NewEventStore(h.client)
			left, err := events.Outgoing(context.Background(), h.now.Add(time.Hour))
			if err != nil || len(left) != 1 {
				t.Fatalf("after the change: got %d outgoing records (%v), want the change's", len(left), err)
			}

			// Another instance (a restart) runs the timer past the grace period.
			h.srv, h.http, h.async = restarted, newTestServer(t, restarted), false
			h.now = h.now.Add(dispatch.SweepGrace + time.Minute)
			flush := func() map[string]int {
				t.Helper()
				res := h.post("/flush-outbox", timerPayload)
				if res.status != 200 {
					t.Fatalf("flush-outbox: got %d %s", res.status, res.body)
				}
				var out struct{ ReturnValue map[string]int }
				if err := json.Unmarshal(res.body, &out); err != nil {
					t.Fatal(err)
				}
				return out.ReturnValue
			}
			if got := flush()["announced"]; got != 1 {
				t.Errorf("first sweep: got %d changes announced, want 1", got)
			}
			waitMails(t, l, 1)
			if got := flush()["announced"]; got != 0 {
				t.Errorf("second sweep: got %d changes announced, want none left", got)
			}
			// The dead process is buried: whatever it kept is flushed too.
			close(dying.dead)
			crashing.Dispatcher.Wait()
			flush()
			time.Sleep(300 * time.Millisecond) // a second mail would arrive now
			if n := len(l.sent()); n != 1 {
				t.Errorf("got %d mails, want exactly 1", n)
			}
			if left, _ := events.Outgoing(context.Background(), h.now.Add(time.Hour)); len(left) != 0 {
				t.Errorf("got %d outgoing records left, want none", len(left))
			}
		})
	}
}
