package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev1@teamspro\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func testMail() notify.Mail {
	return notify.Mail{
		From:    notify.Address{Name: "TeamsPro", Email: "noreply@contoso.com"},
		To:      []notify.Address{{Name: "Grace Hopper", Email: "grace@contoso.com"}},
		Subject: "Invitation: Sprint review",
		Text:    "You are invited.",
		HTML:    "<p>You are invited.</p>",
		Calendar: &notify.Calendar{
			Method: "REQUEST", Content: []byte(ics),
		},
		Attachments:    []notify.Attachment{{Filename: "invite.ics", ContentType: "application/ics", Content: []byte(ics)}},
		Headers:        map[string]string{"Auto-Submitted": "auto-generated"},
		IdempotencyKey: "key-1",
	}
}

// captured is one request the fake SendGrid received.
type captured struct {
	method, path, auth, contentType string
	body                            []byte
}

// fakeSendGrid answers every request with status and body, and records it.
func fakeSendGrid(t *testing.T, status int, body string) (*httptest.Server, func() []captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

func newMailer(t *testing.T, baseURL string, hc *http.Client) *Mailer {
	t.Helper()
	m, err := New(Config{APIKey: "SG.test-key", BaseURL: baseURL, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSendBuildsTheV3Request(t *testing.T) {
	t.Parallel()
	srv, requests := fakeSendGrid(t, http.StatusAccepted, "")
	if err := newMailer(t, srv.URL, nil).Send(context.Background(), testMail()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/v3/mail/send" {
		t.Errorf("got %s %s, want POST /v3/mail/send", r.method, r.path)
	}
	if r.auth != "Bearer SG.test-key" {
		t.Errorf("got Authorization %q, want Bearer SG.test-key", r.auth)
	}
	if r.contentType != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", r.contentType)
	}
	var body struct {
		From             struct{ Email, Name string }
		Subject          string
		Personalizations []struct {
			To []struct{ Email, Name string }
		}
		Content     []struct{ Type, Value string }
		Attachments []struct {
			Content, Type, Filename, Disposition string
		}
		Headers    map[string]string
		CustomArgs map[string]string `json:"custom_args"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, r.body)
	}
	if body.From.Email != "noreply@contoso.com" || body.From.Name != "TeamsPro" {
		t.Errorf("got from %+v, want TeamsPro <noreply@contoso.com>", body.From)
	}
	if body.Subject != "Invitation: Sprint review" {
		t.Errorf("got subject %q", body.Subject)
	}
	if len(body.Personalizations) != 1 || len(body.Personalizations[0].To) != 1 || body.Personalizations[0].To[0].Email != "grace@contoso.com" {
		t.Errorf("got personalizations %+v, want one to grace@contoso.com", body.Personalizations)
	}
	wantContent := []struct{ Type, Value string }{
		{"text/plain", "You are invited."},
		{"text/html", "<p>You are invited.</p>"},
		{"text/calendar; method=REQUEST", ics},
	}
	if len(body.Content) != len(wantContent) {
		t.Fatalf("got %d content parts, want %d: %+v", len(body.Content), len(wantContent), body.Content)
	}
	for i, want := range wantContent {
		if body.Content[i] != want {
			t.Errorf("content %d: got %+v, want %+v", i, body.Content[i], want)
		}
	}
	if len(body.Attachments) != 1 {
		t.Fatalf("got %d attachments, want 1", len(body.Attachments))
	}
	a := body.Attachments[0]
	decoded, err := base64.StdEncoding.DecodeString(a.Content)
	if err != nil || string(decoded) != ics {
		t.Errorf("got attachment content %q (%v), want the invite in base64", decoded, err)
	}
	if a.Filename != "invite.ics" || a.Type != "application/ics" || a.Disposition != "attachment" {
		t.Errorf("got attachment %+v, want invite.ics application/ics attachment", a)
	}
	if body.Headers["Auto-Submitted"] != "auto-generated" {
		t.Errorf("got headers %v, want Auto-Submitted", body.Headers)
	}
	if body.CustomArgs[CustomArgIdempotencyKey] != "key-1" {
		t.Errorf("got custom args %v, want the idempotency key", body.CustomArgs)
	}
}

func TestSendErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   string
		wantNotSnt bool
	}{
		{"accepted", 202, "", "", false},
		{"invalid address", 400, `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email","help":null}]}`, teamspro.EINVALID, false},
		{"other bad request", 400, `{"errors":[{"message":"The content value must be a string at least one character in length.","field":"content.0.value"}]}`, teamspro.EINTERNAL, true},
		{"bad key", 401, `{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked","field":null}]}`, teamspro.EINTERNAL, true},
		{"unverified sender", 403, `{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"}]}`, teamspro.EINTERNAL, true},
		{"too large", 413, "", teamspro.EINVALID, false},
		{"throttled", 429, `{"errors":[{"message":"too many requests"}]}`, teamspro.EUNAVAILABLE, true},
		{"unavailable", 503, "", teamspro.EUNAVAILABLE, true},
		{"gateway timeout", 504, "", teamspro.EUNAVAILABLE, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := fakeSendGrid(t, tt.status, tt.body)
			err := newMailer(t, srv.URL, nil).Send(context.Background(), testMail())
			checkErr(t, err, tt.wantCode, tt.wantNotSnt)
		})
	}
}

func TestSendTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		err = newMailer(t, "http://"+addr, nil).Send(context.Background(), testMail())
		checkErr(t, err, teamspro.EUNAVAILABLE, true)
	})
	t.Run("timeout after sending", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			<-release
		}))
		defer srv.Close()
		defer close(release)
		err := newMailer(t, srv.URL, &http.Client{Timeout: 100 * time.Millisecond}).Send(context.Background(), testMail())
		checkErr(t, err, teamspro.EUNAVAILABLE, false)
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{}, {APIKey: "k", BaseURL: "ftp://x"}} {
		if _, err := New(cfg); teamspro.ErrorCode(err) != teamspro.EINTERNAL {
			t.Errorf("New(%+v): got %v, want EINTERNAL", cfg, err)
		}
	}
}

func checkErr(t *testing.T, err error, wantCode string, wantNotSent bool) {
	t.Helper()
	if got := teamspro.ErrorCode(err); got != wantCode {
		t.Fatalf("got %v (code %q), want code %q", err, got, wantCode)
	}
	if err == nil {
		return
	}
	var te *teamspro.Error
	errors.As(err, &te)
	if got := te.Detail == notify.DetailNotSent; got != wantNotSent {
		t.Errorf("got not-sent %v (detail %q), want %v", got, te.Detail, wantNotSent)
	}
}
