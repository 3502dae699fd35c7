// Package servicebus publishes notifications to an Azure Service Bus queue. It
// implements notify.Publisher; receiving is the Functions host's job (the Service Bus
// trigger), so there is no receiver here.
package servicebus

import (
	"context"
	"errors"
	"net"
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
type Publisher struct {
	client *azservicebus.Client // nil in tests
	sender sender
	queue  string
}

var _ notify.Publisher = (*Publisher)(nil)

// New connects to the namespace (say "teamspro.servicebus.windows.net") with an Entra
// credential, the deployment's managed identity, which needs the Azure Service Bus
// Data Sender role on the queue. opts may be nil. Returns EINTERNAL when an argument
// is missing or the client cannot be built; no network call happens here.
func New(namespace string, cred azcore.TokenCredential, queue string, opts *azservicebus.ClientOptions) (*Publisher, error) {
	if namespace == "" || cred == nil {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus.New: a namespace and a credential are required")
	}
	client, err := azservicebus.NewClient(namespace, cred, opts)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus client cannot be built.")
	}
	return newPublisher(client, queue)
}

// NewFromConnectionString connects with a connection string (local runs, or a
// deployment without managed identity). Returns EINTERNAL when the connection string
// is malformed or the queue is missing.
func NewFromConnectionString(connectionString, queue string, opts *azservicebus.ClientOptions) (*Publisher, error) {
	if connectionString == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus.NewFromConnectionString: a connection string is required")
	}
	client, err := azservicebus.NewClientFromConnectionString(connectionString, opts)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus connection string is invalid.")
	}
	return newPublisher(client, queue)
}

func newPublisher(client *azservicebus.Client, queue string) (*Publisher, error) {
	if queue == "" {
		client.Close(context.Background())
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "servicebus: a queue name is required")
	}
	s, err := client.NewSender(queue, nil)
	if err != nil {
		client.Close(context.Background())
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The Service Bus sender for queue %q cannot be built.", queue)
	}
	return &Publisher{client: client, sender: s, queue: queue}, nil
}

// Publish implements notify.Publisher: one message, MessageID = the envelope id (so
// that a queue with duplicate detection drops a republished notification).
func (p *Publisher) Publish(ctx context.Context, msg notify.Envelope) error {
	m, err := Message(msg)
	if err != nil {
		return err
	}
	if err := p.sender.SendMessage(ctx, m, nil); err != nil {
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
	seqs, err := p.sender.ScheduleMessages(ctx, []*azservicebus.Message{m}, at.UTC(), nil)
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
	err := p.sender.CancelScheduledMessages(ctx, seqs, nil)
	if err == nil || (isNotFound(err) && len(seqs) == 1) {
		return nil
	}
	if !isNotFound(err) {
		return mapError(err, "cancel scheduled messages")
	}
	for _, s := range seqs {
		if err := p.sender.CancelScheduledMessages(ctx, []int64{s}, nil); err != nil && !isNotFound(err) {
			return mapError(err, "cancel scheduled message %d", s)
		}
	}
	return nil
}

// Close closes the sender and the connection.
func (p *Publisher) Close(ctx context.Context) error {
	err := p.sender.Close(ctx)
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
