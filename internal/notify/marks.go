package notify

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// MarkState is where the processing of one message (or of one of its mails) stands.
type MarkState string

// The states of a mark. See Processor for how they bound duplicate mails.
const (
	// MarkSending: a send was begun and its outcome is not known yet (or never
	// became known: the process died, or the mailer timed out).
	MarkSending MarkState = "sending"
	// MarkRetry: the last send was refused by the mail service, so nothing went out.
	MarkRetry MarkState = "retry"
	// MarkSent: the mail was accepted (for a job step: the step is done).
	MarkSent MarkState = "sent"
	// MarkFailed: failed permanently; never tried again.
	MarkFailed MarkState = "failed"
)

// MarkKey names a mark: one per message (Part "") and one per recipient of a message
// (Part = the recipient's lower-cased address), so that a redelivery after a partial
// failure sends only the mails still missing. TenantID is empty for a message whose
// envelope could not be read; MessageID is the broker's MessageId.
type MarkKey struct {
	TenantID  string
	MessageID string
	Part      string
}

// Mark is the processing record of a MarkKey.
type Mark struct {
	State MarkState
	// Attempts counts the sends begun that may have gone out (refused ones are not
	// counted): the Processor never begins another once it reaches its bound.
	Attempts int
	Reason   string // why it failed, for MarkFailed
	// Holder is the broker SequenceNumber of the delivery that wrote MarkSending
	// (0 when unknown), so that a second broker message with the same MessageId
	// can tell a send in progress from a crashed one. See Processor.
	Holder  int64
	Updated time.Time
	// ETag is the version of the mark as read by Get, opaque to the Processor and
	// given back to Put for optimistic concurrency. Empty for a mark not stored yet.
	ETag string
}

// Marks stores processing marks. The lead's Table Storage adapter implements it
// (partition by tenant, row by message id and part; a timer purges marks older than
// the queue's time to live), MemoryMarks implements it for local runs.
type Marks interface {
	// Get returns the mark under k. Returns ENOTFOUND when there is none, EUNAVAILABLE
	// when storage cannot be reached.
	Get(ctx context.Context, k MarkKey) (Mark, error)
	// Put stores m under k if the stored mark is still the one m.ETag names: with an
	// empty ETag only if there is none yet. It returns the new ETag. Returns
	// ECONFLICT when the mark changed (another delivery of the same message is
	// working on it), EUNAVAILABLE when storage cannot be reached.
	Put(ctx context.Context, k MarkKey, m Mark) (etag string, err error)
}

// MemoryMarks is an in-process Marks for local runs with the in-process Queue and
// for tests. It forgets everything on restart. Safe for concurrent use.
type MemoryMarks struct {
	mu    sync.Mutex
	marks map[MarkKey]Mark
	n     int64
}

var _ Marks = (*MemoryMarks)(nil)

// NewMemoryMarks returns an empty MemoryMarks.
func NewMemoryMarks() *MemoryMarks { return &MemoryMarks{marks: map[MarkKey]Mark{}} }

// Get implements Marks.
func (s *MemoryMarks) Get(ctx context.Context, k MarkKey) (Mark, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.marks[k]
	if !ok {
		return Mark{}, teamspro.Errorf(teamspro.ENOTFOUND, "No mark for message %q.", k.MessageID)
	}
	return m, nil
}

// Put implements Marks.
func (s *MemoryMarks) Put(ctx context.Context, k MarkKey, m Mark) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.marks[k]; cur.ETag != m.ETag {
		return "", teamspro.Errorf(teamspro.ECONFLICT, "The mark of message %q changed.", k.MessageID)
	}
	s.n++
	m.ETag = strconv.FormatInt(s.n, 10)
	s.marks[k] = m
	return m.ETag, nil
}
