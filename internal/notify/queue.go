package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// DeliverFunc receives one delivery of a message. Returning an error abandons the
// delivery: the queue delivers the message again later, with DeliveryCount + 1, as
// Service Bus does after a failed trigger invocation.
type DeliverFunc func(ctx context.Context, d Delivery) error

// AfterFunc calls f once, after d, in its own goroutine, unless the returned stop is
// called first; stop reports whether it prevented the call. time.AfterFunc fits
// (through a small wrapper); tests inject a manual timer so they never sleep.
type AfterFunc func(d time.Duration, f func()) (stop func() bool)

// QueueOptions tunes a Queue. The zero value gives Service Bus-like defaults.
type QueueOptions struct {
	// MaxDeliveryCount bounds deliveries of one message (Service Bus default: 10).
	// A message failing that many times goes to DeadLetter.
	MaxDeliveryCount int
	// RetryDelay is the wait after the failed delivery number n (1-based) before the
	// next. Default: n seconds, at most 30. Service Bus redelivers at once after an
	// abandon; a delay keeps a local run from spinning on a broken mailer.
	RetryDelay func(n int) time.Duration
	// Workers is the number of deliveries run at once. Default 2.
	Workers int
	// MaxBodySize is the largest accepted body, in bytes. Default 256 KiB, the
	// Service Bus Standard limit, so that a message too large for Azure fails locally too.
	MaxBodySize int
	// Clock stamps EnqueuedTime and measures schedules. Default time.Now.
	Clock teamspro.Clock
	// AfterFunc runs timers. Default time.AfterFunc.
	AfterFunc AfterFunc
	// DeadLetter receives a message that failed MaxDeliveryCount times, with the last
	// error. Default: log it at error level.
	DeadLetter func(d Delivery, err error)
	// Logger logs dropped and dead-lettered messages. Default slog.Default().
	Logger *slog.Logger
}

// Queue is an in-process Publisher for local runs and tests: it delivers the same
// envelopes, with the same metadata, to a DeliverFunc that is wired to the same
// trigger handler Azure calls, so a local run exercises the consumer end to end. It
// keeps nothing on disk: Close drops scheduled and waiting messages (and logs how
// many), which is fine for development and is why production uses Service Bus.
//
// Concurrency: one mutex guards the ready list, the scheduled and retrying sets and
// the closed flag; workers wait on a condition variable. Timers only move an item
// into the ready list under the mutex, and check that it is still scheduled (not
// cancelled) and that the queue is open, so a timer racing with CancelScheduled or
// Close never delivers.
type Queue struct {
	opts   QueueOptions
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	cond      *sync.Cond
	closed    bool
	consumed  bool
	seq       int64
	ready     []*queued
	scheduled map[int64]*queued    // waiting for their time, by sequence number
	retrying  map[*queued]struct{} // waiting for their retry delay
}

type queued struct {
	d    Delivery
	stop func() bool
}

var _ Publisher = (*Queue)(nil)

// NewQueue starts a queue delivering to deliver with opts' workers: OpenQueue
// and Consume at once, for a consumer that does not publish to the queue
// itself. Close stops it.
func NewQueue(deliver DeliverFunc, opts QueueOptions) (*Queue, error) {
	q, err := OpenQueue(opts)
	if err != nil {
		return nil, err
	}
	if err := Consume(q, deliver); err != nil {
		return nil, err
	}
	return q, nil
}

// OpenQueue returns a queue that accepts messages and holds them until
// Consume starts delivering them. A consumer that publishes to the queue it
// consumes (the notify function's reminders) is built after the queue and
// starts consuming once built, with no reference set afterwards. Close stops
// it.
func OpenQueue(opts QueueOptions) (*Queue, error) {
	if opts.MaxDeliveryCount <= 0 {
		opts.MaxDeliveryCount = 10
	}
	if opts.RetryDelay == nil {
		opts.RetryDelay = func(n int) time.Duration { return min(time.Duration(n)*time.Second, 30*time.Second) }
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = 256 << 10
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DeadLetter == nil {
		logger := opts.Logger
		opts.DeadLetter = func(d Delivery, err error) {
			logger.Error("notification dead-lettered", "messageId", d.MessageID, "subject", d.Subject,
				"deliveryCount", d.DeliveryCount, "error", err.Error())
		}
	}
	q := &Queue{
		opts:      opts,
		scheduled: map[int64]*queued{},
		retrying:  map[*queued]struct{}{},
	}
	q.cond = sync.NewCond(&q.mu)
	q.ctx, q.cancel = context.WithCancel(context.Background())
	return q, nil
}

// Consume starts q's workers, which deliver its messages, those held so far
// first, to deliver until q is closed. A queue has one consumer: EINTERNAL
// for a second, or for a nil deliver; EUNAVAILABLE once q is closed.
func Consume(q *Queue, deliver DeliverFunc) error {
	if deliver == nil {
		return teamspro.Errorf(teamspro.EINTERNAL, "notify.Consume: a delivery function is required")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return teamspro.Errorf(teamspro.EUNAVAILABLE, "The notification queue is closed.")
	case q.consumed:
		return teamspro.Errorf(teamspro.EINTERNAL, "notify.Consume: the queue has a consumer already")
	}
	q.consumed = true
	for range q.opts.Workers {
		q.wg.Add(1)
		go q.work(deliver)
	}
	return nil
}

// Publish implements Publisher. Returns EINVALID for an invalid envelope, ETOOLARGE
// for a body over MaxBodySize, EUNAVAILABLE once the queue is closed.
func (q *Queue) Publish(ctx context.Context, msg Envelope) error {
	_, err := q.add(msg, time.Time{})
	return err
}

// Schedule implements Publisher with the same errors as Publish.
func (q *Queue) Schedule(ctx context.Context, msg Envelope, at time.Time) (int64, error) {
	return q.add(msg, at)
}

// CancelScheduled implements Publisher. It never fails: unknown, delivered and
// cancelled sequence numbers are ignored.
func (q *Queue) CancelScheduled(ctx context.Context, seqs ...int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, s := range seqs {
		if it, ok := q.scheduled[s]; ok {
			it.stop()
			delete(q.scheduled, s)
		}
	}
	return nil
}

// Pending returns the number of messages not yet delivered successfully or dead-lettered:
// ready, scheduled and waiting to be retried (not those being delivered right now).
func (q *Queue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ready) + len(q.scheduled) + len(q.retrying)
}

// Close stops accepting messages, stops every timer, drops what has not started,
// and waits for the deliveries in progress to return. It is safe to call twice.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		q.wg.Wait()
		return nil
	}
	q.closed = true
	dropped := len(q.ready) + len(q.scheduled) + len(q.retrying)
	for _, it := range q.scheduled {
		it.stop()
	}
	for it := range q.retrying {
		it.stop()
	}
	q.ready, q.scheduled, q.retrying = nil, map[int64]*queued{}, map[*queued]struct{}{}
	q.cond.Broadcast()
	q.mu.Unlock()
	q.wg.Wait()
	q.cancel()
	if dropped > 0 {
		q.opts.Logger.Warn("in-process notification queue closed with undelivered messages", "dropped", dropped)
	}
	return nil
}

func (q *Queue) add(msg Envelope, at time.Time) (int64, error) {
	body, err := msg.Encode()
	if err != nil {
		return 0, err
	}
	// Check the envelope as the consumer will, so that a broken message fails here,
	// at the producer, rather than as a permanent failure in the consumer.
	if _, err := DecodeEnvelope(body); err != nil {
		return 0, err
	}
	if len(body) > q.opts.MaxBodySize {
		return 0, teamspro.Errorf(teamspro.ETOOLARGE, "The %s message is %d bytes, over the queue's %d.", msg.Type, len(body), q.opts.MaxBodySize)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, teamspro.Errorf(teamspro.EUNAVAILABLE, "The notification queue is closed.")
	}
	q.seq++
	it := &queued{d: Delivery{
		Body:                  body,
		MessageID:             msg.ID,
		SequenceNumber:        q.seq,
		ContentType:           "application/json",
		Subject:               string(msg.Type),
		ApplicationProperties: map[string]any{"version": msg.Version},
	}}
	now := q.opts.Clock()
	if at.IsZero() || !at.After(now) {
		it.d.EnqueuedTime = now
		q.push(it)
		return q.seq, nil
	}
	seq := q.seq
	q.scheduled[seq] = it
	it.stop = q.opts.AfterFunc(at.Sub(now), func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.closed || q.scheduled[seq] != it {
			return // cancelled, or closed, while the timer fired
		}
		delete(q.scheduled, seq)
		it.d.EnqueuedTime = q.opts.Clock()
		q.push(it)
	})
	return seq, nil
}

// push appends it to the ready list; q.mu must be held.
func (q *Queue) push(it *queued) {
	q.ready = append(q.ready, it)
	q.cond.Signal()
}

func (q *Queue) work(deliver DeliverFunc) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for !q.closed && len(q.ready) == 0 {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		it := q.ready[0]
		q.ready[0] = nil
		q.ready = q.ready[1:]
		q.mu.Unlock()
		q.attempt(it, deliver)
	}
}

func (q *Queue) attempt(it *queued, deliver DeliverFunc) {
	it.d.DeliveryCount++
	d := it.d
	d.Body = append([]byte(nil), it.d.Body...) // the handler may keep or change its copy
	err := q.call(d, deliver)
	if err == nil {
		return
	}
	if it.d.DeliveryCount >= q.opts.MaxDeliveryCount {
		q.opts.DeadLetter(d, err)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	delay := q.opts.RetryDelay(it.d.DeliveryCount)
	if delay <= 0 {
		q.push(it)
		return
	}
	q.retrying[it] = struct{}{}
	it.stop = q.opts.AfterFunc(delay, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if _, ok := q.retrying[it]; !ok || q.closed {
			return
		}
		delete(q.retrying, it)
		q.push(it)
	})
}

// call runs the delivery function, turning a panic into an error so that one bad
// message cannot kill a worker (the Functions host would likewise see a failure).
func (q *Queue) call(d Delivery, deliver DeliverFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = teamspro.Errorf(teamspro.EINTERNAL, "delivery panicked: %v", r)
		}
	}()
	return deliver(q.ctx, d)
}
