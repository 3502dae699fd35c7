package tables_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

func TestMarks(t *testing.T) {
	t.Parallel()
	s := tables.NewMarkStore(tablestest.New(t))
	ctx := context.Background()
	k := notify.MarkKey{TenantID: tablestest.Tenant(), MessageID: uuid.NewString(), Part: "ada@contoso.example"}
	if _, err := s.Get(ctx, k); code(err) != teamspro.ENOTFOUND {
		t.Fatalf("new key: got %v, want not_found", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	const holder = int64(1) << 40 // a broker sequence number beyond 32 bits
	etag, err := s.Put(ctx, k, notify.Mark{State: notify.MarkSending, Attempts: 1, Holder: holder, Updated: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, k, notify.Mark{State: notify.MarkSending, Attempts: 1, Updated: now}); code(err) != teamspro.ECONFLICT {
		t.Errorf("second create: got %v, want conflict", err)
	}
	got, err := s.Get(ctx, k)
	if err != nil || got.State != notify.MarkSending || got.Attempts != 1 || got.ETag != etag || !got.Updated.Equal(now) || got.Holder != holder {
		t.Fatalf("got %+v %v, want the sending mark with its holder and etag", got, err)
	}
	if _, err := s.Put(ctx, k, notify.Mark{State: notify.MarkSent, Attempts: 1, Updated: now, ETag: etag}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, k, notify.Mark{State: notify.MarkFailed, Updated: now, ETag: etag}); code(err) != teamspro.ECONFLICT {
		t.Errorf("stale etag: got %v, want conflict", err)
	}
	if got, _ := s.Get(ctx, k); got.State != notify.MarkSent {
		t.Errorf("got state %s, want sent (the stale write changed nothing)", got.State)
	}
	unknown := notify.MarkKey{MessageID: uuid.NewString()}
	if _, err := s.Put(ctx, unknown, notify.Mark{State: notify.MarkFailed, Updated: now}); err != nil {
		t.Errorf("mark of an unreadable message: %v", err)
	}
}

func TestMarksPurge(t *testing.T) {
	t.Parallel()
	s := tables.NewMarkStore(tablestest.NewIsolated(t))
	ctx := context.Background()
	tenant := tablestest.Tenant()
	old := notify.MarkKey{TenantID: tenant, MessageID: "old"}
	fresh := notify.MarkKey{TenantID: tenant, MessageID: "fresh"}
	now := time.Now().UTC()
	if _, err := s.Put(ctx, old, notify.Mark{State: notify.MarkSent, Updated: now.Add(-72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, fresh, notify.Mark{State: notify.MarkSent, Updated: now}); err != nil {
		t.Fatal(err)
	}
	n, err := s.PurgeBefore(ctx, now.Add(-48*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("got %d %v, want 1 purged", n, err)
	}
	if _, err := s.Get(ctx, old); code(err) != teamspro.ENOTFOUND {
		t.Errorf("old mark: got %v, want purged", err)
	}
	if _, err := s.Get(ctx, fresh); err != nil {
		t.Errorf("fresh mark: %v", err)
	}
}
