// Package servicebus publishes notifications to an Azure Service Bus queue. It
// implements notify.Publisher; receiving is the Functions host's job (the Service Bus
// trigger), so there is no receiver here.
package servicebus

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// ContentType is the content type of every message body: a notify.Envelope in JSON.
const ContentType = "application/json"

// Application property names set on every message, so that the messages in a queue
// or its dead-letter queue can be told apart in the portal without reading bodies.
const (
	PropertyVersion  = "version"
	PropertyTenantID = "tenantId"
)

// sender is what Publisher needs of *azservicebus.Sender; tests substitute it.
type sender interface {
	SendMessage(ctx context.Context, m *azservicebus.Message, o *azservicebus.SendMessageOptions) error
	ScheduleMessages(ctx context.Context, ms []*azservicebus.Message, at time.Time, o *azservicebus.ScheduleMessagesOptions) ([]int64, error)
	CancelScheduledMessages(ctx context.Context, seqs []int64, o *azservicebus.CancelScheduledMessagesOptions) error
	Close(ctx context.Context) error
}

// Publisher is a notify.Publisher sending to one Service Bus queue. It holds one AMQP
// connection and one sender link for the life of the process; both are safe for
// concurrent use and reconnect by themselves.
//
// The client and its sender are built at the first send rather than at start
// (see link): the handler's cold start, which the Functions host waits for,
// needs neither, and building them touches a good part of the AMQP stack for
// the first time.
type Publisher struct {
	queue string
	// open builds the client (nil when it was built at construction, or in
	// tests) and the sender. Nil once closed.
	open func() (*azservicebus.Client, sender, error)

	mu     sync.Mutex // guards what follows; held while open runs
	client *azservicebus.Client
	sender sender
}

var _ notify.Publisher = (*Publisher)(nil)

// New connects to the namespace (say "teamspro.servicebus.windows.net") with an Entra
// credential, the deployment's managed identity, which needs the Azure Service Bus
// Data Sender role on the queue. opts may be nil. Returns EINTERNAL when an argument
// is missing. Nothing is built or connected here: the client and the sender are built
// at the first send, and a failure to build them fails that send (EINTERNAL, with the
// cause) and is tried again at the next.
func New(namespace string, cred azcore.TokenCredential, queue string, opts *azservicebus.ClientOptions) (*Publisher, error) {
	if namespace == "" || cred == nil {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus.New: a namespace and a credential are required")
	}
	if queue == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus: a queue name is required")
	}
	return &Publisher{queue: queue, open: func() (*azservicebus.Client, sender, error) {
		client, err := azservicebus.NewClient(namespace, cred, opts)
		if err != nil {
			return nil, nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus client cannot be built.")
		}
		s, err := newSender(client, queue)
		if err != nil {
			client.Close(context.Background())
			return nil, nil, err
		}
		return client, s, nil
	}}, nil
}

// NewFromConnectionString connects with a connection string (local runs, or a
// deployment without managed identity). The client is built here, so that a
// malformed connection string fails the start; the sender is built at the first
// send, as with New. Returns EINTERNAL when the connection string is malformed or
// the queue is missing.
func NewFromConnectionString(connectionString, queue string, opts *azservicebus.ClientOptions) (*Publisher, error) {
	if connectionString == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus.NewFromConnectionString: a connection string is required")
	}
	if queue == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus: a queue name is required")
	}
	client, err := azservicebus.NewClientFromConnectionString(connectionString, opts)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus connection string is invalid.")
	}
	return &Publisher{queue: queue, client: client, open: func() (*azservicebus.Client, sender, error) {
		s, err := newSender(client, queue)
		return client, s, err
	}}, nil
}

func newSender(client *azservicebus.Client, queue string) (sender, error) {
	s, err := client.NewSender(queue, nil)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus sender for queue %q cannot be built.", queue)
	}
	return s, nil
}

// link returns the sender, building it (and the client) at the first call.
// Concurrent first sends wait for one build; a failed build is returned to
// its caller and tried again by the next, so a passing fault does not
// disable notifications until the process restarts (a refused send is kept
// in the outbox by the dispatcher and sent again).
func (p *Publisher) link() (sender, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sender != nil {
		return p.sender, nil
	}
	if p.open == nil {
		return nil, teamspro.Errorf(teamspro.EUNAVAILABLE, "The Service Bus publisher is closed.")
	}
	client, s, err := p.open()
	if err != nil {
		return nil, err
	}
	p.client, p.sender = client, s
	return s, nil
}

// Publish implements notify.Publisher: one message, MessageID = the envelope id (so
// that a queue with duplicate detection drops a republished notification).
func (p *Publisher) Publish(ctx context.Context, msg notify.Envelope) error {
	m, err := Message(msg)
	if err != nil {
		return err
	}
	s, err := p.link()
	if err != nil {
		return err
	}
	if err := s.SendMessage(ctx, m, nil); err != nil {
		return mapError(err, "publish %s", msg)
	}
	return nil
}

// Schedule implements notify.Publisher with ScheduleMessages, which returns the
// sequence number the broker assigned.
func (p *Publisher) Schedule(ctx context.Context, msg notify.Envelope, at time.Time) (int64, error) {
	m, err := Message(msg)
	if err != nil {
		return 0, err
	}
	s, err := p.link()
	if err != nil {
		return 0, err
	}
	seqs, err := s.ScheduleMessages(ctx, []*azservicebus.Message{m}, at.UTC(), nil)
	if err != nil {
		return 0, mapError(err, "schedule %s", msg)
	}
	if len(seqs) != 1 {
		return 0, teamspro.Errorf(teamspro.EINTERNAL, "Service Bus returned %d sequence numbers for one scheduled message.", len(seqs))
	}
	return seqs[0], nil
}

// CancelScheduled implements notify.Publisher. Service Bus answers "not found" for a
// sequence number that is already enqueued or cancelled, and it is not documented
// whether the other numbers of the same call are cancelled then, so after a not-found
// answer the numbers are cancelled one by one, each not-found being ignored.
func (p *Publisher) CancelScheduled(ctx context.Context, seqs ...int64) error {
	if len(seqs) == 0 {
		return nil
	}
	s, err := p.link()
	if err != nil {
		return err
	}
	err = s.CancelScheduledMessages(ctx, seqs, nil)
	if err == nil || (isNotFound(err) && len(seqs) == 1) {
		return nil
	}
	if !isNotFound(err) {
		return mapError(err, "cancel scheduled messages")
	}
	for _, seq := range seqs {
		if err := s.CancelScheduledMessages(ctx, []int64{seq}, nil); err != nil && !isNotFound(err) {
			return mapError(err, "cancel scheduled message %d", seq)
		}
	}
	return nil
}

// Close closes the sender and the connection, if they were built; a send after
// Close fails with EUNAVAILABLE.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = nil
	var err error
	if p.sender != nil {
		err = p.sender.Close(ctx)
	}
	if p.client != nil {
		err = errors.Join(err, p.client.Close(ctx))
	}
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus connection did not close cleanly.")
	}
	return nil
}

// Message builds the Service Bus message of msg: the JSON envelope as body, the
// envelope id as MessageID, the type as Subject, and the version and tenant as
// application properties. Returns EINVALID for an envelope the consumer would reject.
func Message(msg notify.Envelope) (*azservicebus.Message, error) {
	body, err := msg.Encode()
	if err != nil {
		return nil, err
	}
	if _, err := notify.DecodeEnvelope(body); err != nil {
		return nil, err
	}
	id, ctype, subject := msg.ID, ContentType, string(msg.Type)
	return &azservicebus.Message{
		Body:        body,
		MessageID:   &id,
		ContentType: &ctype,
		Subject:     &subject,
		ApplicationProperties: map[string]any{
			PropertyVersion:  int64(msg.Version),
			PropertyTenantID: msg.TenantID,
		},
	}, nil
}

func isNotFound(err error) bool {
	var sbErr *azservicebus.Error
	return errors.As(err, &sbErr) && sbErr.Code == azservicebus.CodeNotFound
}

// mapError translates a Service Bus error into the application's codes:
//
//   - a message over the queue's size limit: ETOOLARGE;
//   - unauthorized (a missing role assignment, a revoked key) and a missing queue:
//     EINTERNAL, a misconfiguration the operator must see in the logs;
//   - everything else (lost connection, timeout, closed link, throttling, a cancelled
//     context): EUNAVAILABLE. The SDK has already retried what it considers
//     recoverable, so the caller answers 503 and the client retries later.
func mapError(err error, format string, args ...any) error {
	var sbErr *azservicebus.Error
	switch {
	case errors.Is(err, azservicebus.ErrMessageTooLarge):
		return teamspro.Wrap(teamspro.ETOOLARGE, err, "The notification is too large for the queue.")
	case errors.As(err, &sbErr) && (sbErr.Code == azservicebus.CodeUnauthorizedAccess || sbErr.Code == azservicebus.CodeNotFound):
		return teamspro.Wrap(teamspro.EINTERNAL, err, "Service Bus refused to "+format+"; check the queue and the role assignment.", args...)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Service Bus cannot be reached to "+format+".", args...)
	}
	return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Service Bus failed to "+format+".", args...)
}
