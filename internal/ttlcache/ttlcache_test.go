package ttlcache

import (
	"errors"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLoad(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := New[int](10*time.Second, 0, clk.now)
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }

	steps := []struct {
		name     string
		advance  time.Duration
		forget   string
		want     int
		wantHit  bool
		wantLoad int
	}{
		{"first load", 0, "", 1, false, 1},
		{"fresh", 9 * time.Second, "", 1, true, 1},
		{"expired at the TTL", time.Second, "", 2, false, 2},
		{"another tenant forgotten", 0, "b", 2, true, 2},
		{"its tenant forgotten", 0, "a", 3, false, 3},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		if s.forget != "" {
			c.ForgetTenant(s.forget)
		}
		got, hit, err := c.Load("a", "k", load)
		if err != nil || got != s.want || hit != s.wantHit || loads != s.wantLoad {
			t.Errorf("%s: got %d hit %v loads %d (%v), want %d hit %v loads %d", s.name, got, hit, loads, err, s.want, s.wantHit, s.wantLoad)
		}
	}
}

func TestLoadErrorNotRemembered(t *testing.T) {
	t.Parallel()
	c := New[int](time.Minute, 0, nil)
	if _, _, err := c.Load("a", "k", func() (int, error) { return 0, errors.New("down") }); err == nil {
		t.Fatal("got nil, want the load's error")
	}
	if got := c.Len(); got != 0 {
		t.Errorf("got %d remembered after a failed load, want 0", got)
	}
}

// TestForgetDuringLoad: what a load read before a forget is not remembered.
func TestForgetDuringLoad(t *testing.T) {
	t.Parallel()
	c := New[string](time.Minute, 0, nil)
	_, _, _ = c.Load("a", "k", func() (string, error) {
		c.ForgetTenant("a") // the write that makes this read stale lands meanwhile
		return "old", nil
	})
	got, hit, _ := c.Load("a", "k", func() (string, error) { return "new", nil })
	if hit || got != "new" {
		t.Errorf("got %q (hit %v), want a fresh load", got, hit)
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := New[int](10*time.Second, 2, clk.now)
	one := func() (int, error) { return 1, nil }
	_, _, _ = c.Load("a", "k1", one)
	clk.t = clk.t.Add(11 * time.Second)
	_, _, _ = c.Load("a", "k2", one)
	_, _, _ = c.Load("b", "k3", one) // full: the expired k1 goes, k2 stays
	if got := c.Len(); got != 2 {
		t.Errorf("got %d, want 2 after evicting the expired value", got)
	}
	if _, hit, _ := c.Load("a", "k2", one); !hit {
		t.Errorf("k2 was evicted, want only the expired value gone")
	}
	_, _, _ = c.Load("c", "k4", one) // full, nothing expired: all go
	if got := c.Len(); got > 2 {
		t.Errorf("got %d remembered, want at most 2", got)
	}
	c.ForgetAll()
	if got := c.Len(); got != 0 {
		t.Errorf("got %d after ForgetAll, want 0", got)
	}
}

// TestLoadIf: a fresh value that fails the check is loaded again and
// replaced; one that passes it is returned; expiry still applies.
func TestLoadIf(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := New[string](10*time.Second, 0, clk.now)
	steps := []struct {
		name    string
		advance time.Duration
		want    string // the value the check accepts, and the load's
		wantHit bool
	}{
		{"first load", 0, "v1", false},
		{"same version", time.Second, "v1", true},
		{"another version", 0, "v2", false},
		{"the new version remembered", 0, "v2", true},
		{"expired at the TTL", 10 * time.Second, "v2", false},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		got, hit, err := c.LoadIf("a", "k", func(v string) bool { return v == s.want }, func() (string, error) { return s.want, nil })
		if err != nil || got != s.want || hit != s.wantHit {
			t.Errorf("%s: got %q hit %v (%v), want %q hit %v", s.name, got, hit, err, s.want, s.wantHit)
		}
	}
}
