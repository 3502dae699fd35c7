package servicebus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

var occurred = time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC)

func testEnvelope(t *testing.T, id string) notify.Envelope {
	t.Helper()
	start := occurred.Add(24 * time.Hour)
	env, err := notify.NewEnvelope(notify.TypeReservationConfirmed, id, "tenant-1", occurred, &notify.ReservationNotice{
		Reservation: notify.ReservationInfo{ID: "r1", RoomID: "room1", RoomName: "Everest", Start: start, End: start.Add(time.Hour), TimeZone: "Europe/Paris"},
		Recipients:  []notify.Recipient{{Email: "ada@contoso.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestMessage(t *testing.T) {
	t.Parallel()
	env := testEnvelope(t, "msg-1")
	m, err := Message(env)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID == nil || *m.MessageID != "msg-1" {
		t.Errorf("got MessageID %v, want msg-1", m.MessageID)
	}
	if m.ContentType == nil || *m.ContentType != "application/json" {
		t.Errorf("got ContentType %v, want application/json", m.ContentType)
	}
	if m.Subject == nil || *m.Subject != "reservation.confirmed" {
		t.Errorf("got Subject %v, want reservation.confirmed", m.Subject)
	}
	if got, want := m.ApplicationProperties[PropertyVersion], int64(env.Version); got != want {
		t.Errorf("got version property %#v, want %#v", got, want)
	}
	if got := m.ApplicationProperties[PropertyTenantID]; got != "tenant-1" {
		t.Errorf("got tenant property %#v, want tenant-1", got)
	}
	back, err := notify.Decode(m.Body)
	if err != nil || back.ID != "msg-1" || back.Type != notify.TypeReservationConfirmed {
		t.Errorf("got body decoding to %v, %v; want the envelope back", back.Envelope, err)
	}

	bad := env
	bad.TenantID = ""
	if _, err := Message(bad); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("envelope without tenant: got %v, want EINVALID", err)
	}
}

// fakeSender records calls and answers with scripted errors.
type fakeSender struct {
	mu        sync.Mutex
	sent      []*azservicebus.Message
	scheduled []time.Time
	cancels   [][]int64
	sendErr   error
	cancelErr func(seqs []int64) error
}

func (f *fakeSender) SendMessage(ctx context.Context, m *azservicebus.Message, _ *azservicebus.SendMessageOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeSender) ScheduleMessages(ctx context.Context, ms []*azservicebus.Message, at time.Time, _ *azservicebus.ScheduleMessagesOptions) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	var seqs []int64
	for _, m := range ms {
		f.sent = append(f.sent, m)
		f.scheduled = append(f.scheduled, at)
		seqs = append(seqs, int64(100+len(f.sent)))
	}
	return seqs, nil
}

func (f *fakeSender) CancelScheduledMessages(ctx context.Context, seqs []int64, _ *azservicebus.CancelScheduledMessagesOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, append([]int64(nil), seqs...))
	if f.cancelErr != nil {
		return f.cancelErr(seqs)
	}
	return nil
}

func (f *fakeSender) Close(context.Context) error { return nil }

var notFound = &azservicebus.Error{Code: azservicebus.CodeNotFound}

func TestPublishAndSchedule(t *testing.T) {
	t.Parallel()
	fs := &fakeSender{}
	p := &Publisher{sender: fs, queue: "notifications"}
	ctx := context.Background()
	if err := p.Publish(ctx, testEnvelope(t, "m1")); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 3, 11, 9, 45, 0, 0, paris)
	seq, err := p.Schedule(ctx, testEnvelope(t, "m2"), at)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 102 {
		t.Errorf("got sequence number %d, want the broker's 102", seq)
	}
	if len(fs.sent) != 2 || *fs.sent[0].MessageID != "m1" || *fs.sent[1].MessageID != "m2" {
		t.Fatalf("got %d messages sent, want m1 then m2", len(fs.sent))
	}
	if !fs.scheduled[0].Equal(at) || fs.scheduled[0].Location() != time.UTC {
		t.Errorf("got scheduled time %v, want %v in UTC", fs.scheduled[0], at)
	}
}

func TestCancelScheduled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		seqs      []int64
		cancelErr func([]int64) error
		wantCalls [][]int64
		wantCode  string
	}{
		{"nothing to cancel", nil, nil, nil, ""},
		{"all found", []int64{1, 2}, nil, [][]int64{{1, 2}}, ""},
		{"one gone", []int64{7}, func([]int64) error { return notFound }, [][]int64{{7}}, ""},
		{"some gone: one by one", []int64{1, 2, 3}, func(s []int64) error {
			if len(s) > 1 || s[0] == 2 {
				return notFound
			}
			return nil
		}, [][]int64{{1, 2, 3}, {1}, {2}, {3}}, ""},
		{"connection lost", []int64{1}, func([]int64) error { return &azservicebus.Error{Code: azservicebus.CodeConnectionLost} }, [][]int64{{1}}, teamspro.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := &fakeSender{cancelErr: tt.cancelErr}
			err := (&Publisher{sender: fs}).CancelScheduled(context.Background(), tt.seqs...)
			if code := teamspro.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("got %v, want code %q", err, tt.wantCode)
			}
			if fmt.Sprint(fs.cancels) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("got cancel calls %v, want %v", fs.cancels, tt.wantCalls)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"too large", azservicebus.ErrMessageTooLarge, teamspro.ETOOLARGE},
		{"unauthorized", &azservicebus.Error{Code: azservicebus.CodeUnauthorizedAccess}, teamspro.EINTERNAL},
		{"queue missing", notFound, teamspro.EINTERNAL},
		{"connection lost", &azservicebus.Error{Code: azservicebus.CodeConnectionLost}, teamspro.EUNAVAILABLE},
		{"timeout", &azservicebus.Error{Code: azservicebus.CodeTimeout}, teamspro.EUNAVAILABLE},
		{"deadline", fmt.Errorf("send: %w", context.DeadlineExceeded), teamspro.EUNAVAILABLE},
		{"unknown", errors.New("amqp: server busy"), teamspro.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Publisher{sender: &fakeSender{sendErr: tt.err}}
			err := p.Publish(context.Background(), testEnvelope(t, "m1"))
			if code := teamspro.ErrorCode(err); code != tt.want {
				t.Errorf("Publish: got %v (code %q), want %q", err, code, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("got %v, want the cause kept", err)
			}
			if _, err := p.Schedule(context.Background(), testEnvelope(t, "m2"), occurred); teamspro.ErrorCode(err) != tt.want {
				t.Errorf("Schedule: got %v, want %q", err, tt.want)
			}
		})
	}
}

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestConstructors(t *testing.T) {
	t.Parallel()
	if _, err := NewFromConnectionString("", "q", nil); teamspro.ErrorCode(err) != teamspro.EINTERNAL {
		t.Errorf("empty connection string: got %v, want EINTERNAL", err)
	}
	if _, err := NewFromConnectionString("not a connection string", "q", nil); teamspro.ErrorCode(err) != teamspro.EINTERNAL {
		t.Errorf("malformed connection string: got %v, want EINTERNAL", err)
	}
	if _, err := New("", fakeCredential{}, "q", nil); teamspro.ErrorCode(err) != teamspro.EINTERNAL {
		t.Errorf("no namespace: got %v, want EINTERNAL", err)
	}
	if _, err := New("teamspro.servicebus.windows.net", fakeCredential{}, "", nil); teamspro.ErrorCode(err) != teamspro.EINTERNAL {
		t.Errorf("no queue: got %v, want EINTERNAL", err)
	}
	// Building connects nothing: the connection opens on the first send.
	p, err := NewFromConnectionString("Endpoint=sb://teamspro.invalid/;SharedAccessKeyName=send;SharedAccessKey=a2V5", "notifications", nil)
	if err != nil {
		t.Fatalf("valid connection string: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestLazyLink: the client and sender are built at the first send, once,
// however many sends race for it; a failed build fails its send with the
// cause and is tried again by the next; after Close nothing is rebuilt.
func TestLazyLink(t *testing.T) {
	t.Parallel()
	t.Run("built once under concurrent first sends", func(t *testing.T) {
		t.Parallel()
		fs := &fakeSender{}
		var opens atomic.Int32
		p := &Publisher{queue: "notifications", open: func() (*azservicebus.Client, sender, error) {
			opens.Add(1)
			return nil, fs, nil
		}}
		const n = 32
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- p.Publish(context.Background(), testEnvelope(t, fmt.Sprintf("m%d", i)))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Publish: got %v, want nil", err)
			}
		}
		if got := opens.Load(); got != 1 {
			t.Errorf("got %d builds, want 1", got)
		}
		if got := len(fs.sent); got != n {
			t.Errorf("got %d messages sent, want %d", got, n)
		}
	})
	t.Run("a failed build fails the send and is retried", func(t *testing.T) {
		t.Parallel()
		fs := &fakeSender{}
		cause := errors.New("no route to the namespace")
		var opens atomic.Int32
		p := &Publisher{queue: "notifications", open: func() (*azservicebus.Client, sender, error) {
			if opens.Add(1) == 1 {
				return nil, nil, teamspro.Wrap(teamspro.EINTERNAL, cause, "The Service Bus client cannot be built.")
			}
			return nil, fs, nil
		}}
		err := p.Publish(context.Background(), testEnvelope(t, "m1"))
		if teamspro.ErrorCode(err) != teamspro.EINTERNAL || !errors.Is(err, cause) {
			t.Fatalf("first Publish: got %v, want EINTERNAL wrapping the cause", err)
		}
		if _, err := p.Schedule(context.Background(), testEnvelope(t, "m2"), occurred); err != nil {
			t.Fatalf("second send: got %v, want nil", err)
		}
		if err := p.CancelScheduled(context.Background(), 101); err != nil {
			t.Fatalf("third send: got %v, want nil", err)
		}
		if got := opens.Load(); got != 2 {
			t.Errorf("got %d builds, want 2", got)
		}
		if len(fs.sent) != 1 || len(fs.cancels) != 1 {
			t.Errorf("got %d sent, %d cancels; want 1, 1", len(fs.sent), len(fs.cancels))
		}
	})
	t.Run("closed before the first send", func(t *testing.T) {
		t.Parallel()
		p, err := New("teamspro.servicebus.windows.net", fakeCredential{}, "notifications", nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.client != nil || p.sender != nil {
			t.Fatalf("got client %v sender %v after New, want nothing built", p.client, p.sender)
		}
		if err := p.Close(context.Background()); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
		if err := p.Publish(context.Background(), testEnvelope(t, "m1")); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
			t.Errorf("Publish after Close: got %v, want EUNAVAILABLE", err)
		}
	})
	t.Run("the real build connects nothing", func(t *testing.T) {
		t.Parallel()
		p, err := New("teamspro.servicebus.windows.net", fakeCredential{}, "notifications", nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.link()
		if err != nil || s == nil || p.client == nil {
			t.Fatalf("link: got sender %v, client %v, err %v; want both built", s, p.client, err)
		}
		if again, _ := p.link(); again != s {
			t.Errorf("second link: got another sender, want the first")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// TestLive publishes, receives, schedules and cancels on a real queue. The queue
// should be empty and dedicated to tests: the test completes what it receives.
func TestLive(t *testing.T) {
	conn, queue := os.Getenv("SERVICEBUS_TEST_CONNECTION_STRING"), os.Getenv("SERVICEBUS_TEST_QUEUE")
	if conn == "" || queue == "" {
		t.Skip("set SERVICEBUS_TEST_CONNECTION_STRING and SERVICEBUS_TEST_QUEUE to run against a real Service Bus queue")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := NewFromConnectionString(conn, queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)

	id := fmt.Sprintf("live-%d", time.Now().UnixNano())
	sent := testEnvelope(t, id)
	if err := p.Publish(ctx, sent); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	recv, err := p.client.NewReceiverForQueue(queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close(ctx)
	var got *azservicebus.ReceivedMessage
	for got == nil {
		msgs, err := recv.ReceiveMessages(ctx, 10, nil)
		if err != nil {
			t.Fatalf("ReceiveMessages: %v", err)
		}
		for _, m := range msgs {
			recv.CompleteMessage(ctx, m, nil)
			if m.MessageID == id {
				got = m
			}
		}
	}
	if got.Subject == nil || *got.Subject != "reservation.confirmed" || got.ContentType == nil || *got.ContentType != ContentType {
		t.Errorf("got subject %v content type %v, want reservation.confirmed, application/json", got.Subject, got.ContentType)
	}
	if got, want := fmt.Sprint(got.ApplicationProperties[PropertyVersion]), fmt.Sprint(sent.Version); got != want {
		t.Errorf("got version property %v, want %v", got, want)
	}
	if m, err := notify.Decode(got.Body); err != nil || m.ID != id {
		t.Errorf("got body %v, %v; want envelope %s", m.Envelope, err, id)
	}

	seq, err := p.Schedule(ctx, testEnvelope(t, id+"-later"), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	if err := p.CancelScheduled(ctx, seq); err != nil {
		t.Fatalf("CancelScheduled: %v", err)
	}
	if err := p.CancelScheduled(ctx, seq); err != nil {
		t.Errorf("cancelling again: got %v, want nil", err)
	}
}
