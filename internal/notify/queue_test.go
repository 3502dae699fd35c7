package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// manualTime is a clock and timer set that moves only when the test advances it.
type manualTime struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	at      time.Time
	f       func()
	stopped bool
	fired   bool
}

func newManualTime() *manualTime { return &manualTime{now: testStart} }

func (m *manualTime) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualTime) AfterFunc(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	tm := &manualTimer{at: m.now.Add(d), f: f}
	m.timers = append(m.timers, tm)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		if tm.fired || tm.stopped {
			return false
		}
		tm.stopped = true
		return true
	}
}

// Advance moves the clock by d and runs the timers that became due, in time order.
func (m *manualTime) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	var due []*manualTimer
	for _, tm := range m.timers {
		if !tm.fired && !tm.stopped && !tm.at.After(m.now) {
			tm.fired = true
			due = append(due, tm)
		}
	}
	m.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.f()
	}
}

// recorder collects deliveries and fails them as told.
type recorder struct {
	mu    sync.Mutex
	got   []Delivery
	fail  func(d Delivery) error
	ch    chan Delivery
	block chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan Delivery, 1000)} }

func (r *recorder) deliver(ctx context.Context, d Delivery) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	fail := r.fail
	r.mu.Unlock()
	r.ch <- d
	if fail != nil {
		return fail(d)
	}
	return nil
}

func (r *recorder) next(t *testing.T) Delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery within 5s")
		return Delivery{}
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-r.ch:
		t.Fatalf("got delivery of %s (count %d), want none", d.MessageID, d.DeliveryCount)
	case <-time.After(50 * time.Millisecond):
	}
}

func newTestQueue(t *testing.T, r *recorder, clock *manualTime, opts QueueOptions) *Queue {
	t.Helper()
	opts.Clock, opts.AfterFunc = clock.Now, clock.AfterFunc
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := NewQueue(r.deliver, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func reminderEnvelope(t *testing.T, id string) Envelope {
	t.Helper()
	return mustEnvelope(t, TypeReminder, id, samplePayloads()[TypeReminder])
}

func TestQueuePublishDeliversEnvelopeAndMetadata(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	q := newTestQueue(t, r, clock, QueueOptions{})
	env := reminderEnvelope(t, "m1")
	if err := q.Publish(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	d := r.next(t)
	if d.MessageID != "m1" || d.DeliveryCount != 1 || d.Subject != "reminder" || d.ContentType != "application/json" {
		t.Errorf("got delivery %+v, want id m1, count 1, subject reminder, application/json", d)
	}
	if !d.EnqueuedTime.Equal(testStart) {
		t.Errorf("got EnqueuedTime %v, want %v", d.EnqueuedTime, testStart)
	}
	if d.ApplicationProperties["version"] != 1 {
		t.Errorf("got ApplicationProperties %v, want version 1", d.ApplicationProperties)
	}
	msg, err := Decode(d.Body)
	if err != nil || msg.ID != "m1" || msg.Type != TypeReminder {
		t.Errorf("got decoded %v, %v; want the published reminder m1", msg.Envelope, err)
	}
}

func TestQueueScheduleAndCancel(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	q := newTestQueue(t, r, clock, QueueOptions{})
	ctx := context.Background()
	seqKeep, err := q.Schedule(ctx, reminderEnvelope(t, "keep"), testStart.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	seqDrop, err := q.Schedule(ctx, reminderEnvelope(t, "drop"), testStart.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if seqKeep == seqDrop {
		t.Fatalf("got equal sequence numbers %d, want distinct", seqKeep)
	}
	if err := q.CancelScheduled(ctx, seqDrop, 9999); err != nil {
		t.Fatalf("CancelScheduled: got %v, want nil for known and unknown numbers", err)
	}
	clock.Advance(9 * time.Minute)
	r.none(t)
	clock.Advance(time.Minute)
	d := r.next(t)
	if d.MessageID != "keep" || d.SequenceNumber != seqKeep {
		t.Errorf("got %s seq %d, want keep seq %d", d.MessageID, d.SequenceNumber, seqKeep)
	}
	if want := testStart.Add(10 * time.Minute); !d.EnqueuedTime.Equal(want) {
		t.Errorf("got EnqueuedTime %v, want the scheduled time %v", d.EnqueuedTime, want)
	}
	r.none(t)
	if err := q.CancelScheduled(ctx, seqKeep); err != nil {
		t.Errorf("cancelling a delivered message: got %v, want nil", err)
	}
	// A time in the past means now.
	if _, err := q.Schedule(ctx, reminderEnvelope(t, "late"), testStart.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d := r.next(t); d.MessageID != "late" {
		t.Errorf("got %s, want late", d.MessageID)
	}
}

func TestQueueRetriesThenDeadLetters(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	r.fail = func(Delivery) error { return teamspro.Errorf(teamspro.EUNAVAILABLE, "down") }
	dead := make(chan Delivery, 1)
	q := newTestQueue(t, r, clock, QueueOptions{
		MaxDeliveryCount: 3,
		RetryDelay:       func(n int) time.Duration { return time.Duration(n) * time.Minute },
		DeadLetter:       func(d Delivery, err error) { dead <- d },
	})
	if err := q.Publish(context.Background(), reminderEnvelope(t, "m1")); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		if d := r.next(t); d.DeliveryCount != want {
			t.Fatalf("got DeliveryCount %d, want %d", d.DeliveryCount, want)
		}
		if want < 3 {
			r.none(t) // the retry waits for its delay
			waitPending(t, q, 1)
			clock.Advance(time.Duration(want) * time.Minute)
		}
	}
	select {
	case d := <-dead:
		if d.DeliveryCount != 3 {
			t.Errorf("got dead-lettered DeliveryCount %d, want 3", d.DeliveryCount)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no dead letter within 5s")
	}
	clock.Advance(time.Hour)
	r.none(t)
}

func TestQueueRetrySucceeds(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	r.fail = func(d Delivery) error {
		if d.DeliveryCount < 2 {
			return errors.New("flaky")
		}
		return nil
	}
	q := newTestQueue(t, r, clock, QueueOptions{RetryDelay: func(int) time.Duration { return 0 }})
	if err := q.Publish(context.Background(), reminderEnvelope(t, "m1")); err != nil {
		t.Fatal(err)
	}
	if d := r.next(t); d.DeliveryCount != 1 {
		t.Fatalf("got DeliveryCount %d, want 1", d.DeliveryCount)
	}
	if d := r.next(t); d.DeliveryCount != 2 {
		t.Fatalf("got DeliveryCount %d, want 2", d.DeliveryCount)
	}
	r.none(t)
	waitPending(t, q, 0)
}

func TestQueueConcurrentPublishDeliversEachOnce(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	q := newTestQueue(t, r, clock, QueueOptions{Workers: 4})
	const n = 200
	var wg sync.WaitGroup
	env := reminderEnvelope(t, "x")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := env
			e.ID = fmt.Sprintf("m%03d", i)
			var err error
			if i%2 == 0 {
				err = q.Publish(context.Background(), e)
			} else {
				_, err = q.Schedule(context.Background(), e, testStart.Add(time.Minute))
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	clock.Advance(time.Minute)
	seen := map[string]int{}
	for range n {
		seen[r.next(t).MessageID]++
	}
	r.none(t)
	if len(seen) != n {
		t.Errorf("got %d distinct messages, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s delivered %d times, want 1", id, c)
		}
	}
}

func TestQueueCloseWaitsAndRefuses(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	r.block = make(chan struct{})
	q := newTestQueue(t, r, clock, QueueOptions{Workers: 1})
	ctx := context.Background()
	if err := q.Publish(ctx, reminderEnvelope(t, "inflight")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Schedule(ctx, reminderEnvelope(t, "later"), testStart.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitPending(t, q, 1) // the first is being delivered, the second scheduled
	closed := make(chan struct{})
	go func() { q.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a delivery was in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(r.block)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the delivery finished")
	}
	if d := r.next(t); d.MessageID != "inflight" {
		t.Errorf("got %s, want inflight", d.MessageID)
	}
	clock.Advance(2 * time.Hour)
	r.none(t)
	if err := q.Publish(ctx, reminderEnvelope(t, "after")); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
		t.Errorf("Publish after Close: got %v, want EUNAVAILABLE", err)
	}
}

func TestQueueRejectsInvalidAndTooLarge(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	q := newTestQueue(t, r, clock, QueueOptions{MaxBodySize: 300})
	ctx := context.Background()
	if err := q.Publish(ctx, Envelope{Type: TypeReminder, Version: 1, ID: "m"}); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("envelope without tenant: got %v, want EINVALID", err)
	}
	if err := q.Publish(ctx, reminderEnvelope(t, "big")); teamspro.ErrorCode(err) != teamspro.ETOOLARGE {
		t.Errorf("body over MaxBodySize: got %v, want ETOOLARGE", err)
	}
	r.none(t)
}

func waitPending(t *testing.T, q *Queue, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for q.Pending() != want {
		if time.Now().After(deadline) {
			t.Fatalf("got %d pending, want %d", q.Pending(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOpenQueueHoldsUntilConsumed: an open queue takes messages before it has
// a consumer and delivers them, in order, once one starts; it has one
// consumer only, and none once closed.
func TestOpenQueueHoldsUntilConsumed(t *testing.T) {
	t.Parallel()
	clock, r := newManualTime(), newRecorder()
	q, err := OpenQueue(QueueOptions{Clock: clock.Now, AfterFunc: clock.AfterFunc, Workers: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	ctx := context.Background()
	for _, id := range []string{"first", "second"} {
		if err := q.Publish(ctx, reminderEnvelope(t, id)); err != nil {
			t.Fatal(err)
		}
	}
	r.none(t)
	if got := q.Pending(); got != 2 {
		t.Errorf("got %d pending before a consumer, want 2", got)
	}
	if err := Consume(q, r.deliver); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first", "second"} {
		if got := r.next(t).MessageID; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	tests := []struct {
		name    string
		q       func() *Queue
		deliver DeliverFunc
		want    string
	}{
		{"a second consumer", func() *Queue { return q }, r.deliver, teamspro.EINTERNAL},
		{"no delivery function", func() *Queue { q, _ := OpenQueue(QueueOptions{}); return q }, nil, teamspro.EINTERNAL},
		{"a closed queue", func() *Queue { q, _ := OpenQueue(QueueOptions{}); q.Close(); return q }, r.deliver, teamspro.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := teamspro.ErrorCode(Consume(tt.q(), tt.deliver)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
