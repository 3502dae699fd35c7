// Package sendgrid sends notification mails through the SendGrid v3 Mail Send API.
// It implements notify.Mailer and maps SendGrid's answers onto the error classes the
// Processor acts on (permanent, transient, internal).
package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// DefaultBaseURL is SendGrid's global API host. Set Config.BaseURL to
// https://api.eu.sendgrid.com for an EU-pinned account, or to a local server in tests.
const DefaultBaseURL = "https://api.sendgrid.com"

// CustomArgIdempotencyKey is the custom argument carrying notify.Mail.IdempotencyKey.
// SendGrid does not deduplicate on it, but shows it in the activity feed and event
// webhooks, so a duplicate mail can be traced to the notification that caused it.
const CustomArgIdempotencyKey = "idempotency_key"

// Config configures a Mailer.
type Config struct {
	APIKey  string // required
	BaseURL string // default DefaultBaseURL
	// HTTPClient sends the requests. Default: a client with a 30 s timeout, well
	// under the Functions host's invocation timeout, so that a hung connection turns
	// into a retry instead of a killed invocation.
	HTTPClient *http.Client
}

// Mailer is a notify.Mailer sending through SendGrid.
type Mailer struct {
	key     string
	baseURL string
	client  *rest.Client
}

var _ notify.Mailer = (*Mailer)(nil)

// New returns a Mailer. Returns EINTERNAL when the API key is missing or the base
// URL is not an http(s) URL.
func New(cfg Config) (*Mailer, error) {
	if cfg.APIKey == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "sendgrid.New: an API key is required")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "sendgrid.New: the base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Mailer{key: cfg.APIKey, baseURL: base, client: &rest.Client{HTTPClient: hc}}, nil
}

// Send implements notify.Mailer. The error classes:
//
//   - 2xx: accepted (SendGrid answers 202).
//   - 400 naming an email address, 413: EINVALID, permanent: the same request can
//     never succeed, so the Processor records the mail as failed.
//   - other 400s, 401, 403, 404: EINTERNAL with notify.DetailNotSent. These are our
//     misconfiguration (a revoked key, an unverified sender, a wrong base URL) or a bug
//     in the request we build, not a property of the mail: the message is retried and
//     then dead-lettered, so that it survives until the configuration is fixed and the
//     dead letters are replayed, and EINTERNAL gets the cause logged for the operator.
//     Calling them permanent would silently drop every mail while the key is wrong.
//   - 429, 500, 503 and other 5xx: EUNAVAILABLE with notify.DetailNotSent: SendGrid
//     answered, so the mail was not accepted; retry later.
//   - 502, 504, timeouts and broken connections after the request went out:
//     EUNAVAILABLE without DetailNotSent: the mail may have been accepted.
//   - a refused connection (nothing was sent): EUNAVAILABLE with DetailNotSent.
func (m *Mailer) Send(ctx context.Context, mail notify.Mail) error {
	body, err := json.Marshal(Build(mail))
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "The mail cannot be encoded for SendGrid.")
	}
	req := sg.GetRequest(m.key, "/v3/mail/send", m.baseURL)
	req.Method = rest.Post
	req.Body = body
	resp, err := m.client.SendWithContext(ctx, req)
	if err != nil {
		return transportError(err)
	}
	return statusError(resp)
}

// Build returns the SendGrid v3 request body for mail: text/plain first and
// text/html second, as SendGrid requires, then text/calendar with its method (which
// SendGrid turns into a third multipart/alternative part, the one Outlook and Gmail
// read as an invitation), and the attachments in base64.
func Build(mail notify.Mail) *sgmail.SGMailV3 {
	m := sgmail.NewV3Mail()
	m.SetFrom(sgmail.NewEmail(mail.From.Name, mail.From.Email))
	m.Subject = mail.Subject
	p := sgmail.NewPersonalization()
	for _, to := range mail.To {
		p.AddTos(sgmail.NewEmail(to.Name, to.Email))
	}
	m.AddPersonalizations(p)
	if mail.Text != "" {
		m.AddContent(sgmail.NewContent("text/plain", mail.Text))
	}
	if mail.HTML != "" {
		m.AddContent(sgmail.NewContent("text/html", mail.HTML))
	}
	if c := mail.Calendar; c != nil {
		m.AddContent(sgmail.NewContent(calendarType(c.Method), string(c.Content)))
	}
	for _, a := range mail.Attachments {
		att := sgmail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(a.Content)).
			SetType(a.ContentType).
			SetFilename(a.Filename).
			SetDisposition("attachment")
		m.AddAttachment(att)
	}
	for k, v := range mail.Headers {
		m.SetHeader(k, v)
	}
	if mail.IdempotencyKey != "" {
		m.SetCustomArg(CustomArgIdempotencyKey, mail.IdempotencyKey)
	}
	return m
}

// calendarType is the content type of the calendar part: exactly
// "text/calendar; method=X". SendGrid picks the charset and transfer encoding of the
// part itself (UTF-8, quoted-printable), and SendGrid staff and users report that
// invites render in Outlook and Gmail with this form and not with added parameters.
func calendarType(method string) string {
	if method == "" {
		return "text/calendar"
	}
	return "text/calendar; method=" + method
}

// apiErrors is the error body of the v3 API.
type apiErrors struct {
	Errors []struct {
		Message string  `json:"message"`
		Field   *string `json:"field"`
	} `json:"errors"`
}

func statusError(resp *rest.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	var body apiErrors
	_ = json.Unmarshal([]byte(resp.Body), &body)
	var msgs []string
	var fields []teamspro.FieldError
	aboutAddress := false
	for _, e := range body.Errors {
		msgs = append(msgs, e.Message)
		field := ""
		if e.Field != nil {
			field = *e.Field
		}
		if strings.Contains(strings.ToLower(field), "email") || strings.Contains(strings.ToLower(e.Message), "valid address") ||
			strings.Contains(strings.ToLower(e.Message), "email address") {
			aboutAddress = true
			fields = append(fields, teamspro.FieldError{Field: field, Reason: e.Message})
		}
	}
	summary := strings.Join(msgs, "; ")
	if summary == "" {
		summary = http.StatusText(code)
	}
	cause := fmt.Errorf("sendgrid: %d: %s", code, summary)
	switch {
	case code == http.StatusBadRequest && aboutAddress:
		return &teamspro.Error{Code: teamspro.EINVALID, Message: "SendGrid rejected an address: " + summary, Fields: fields, Err: cause}
	case code == http.StatusRequestEntityTooLarge:
		return &teamspro.Error{Code: teamspro.EINVALID, Message: "The mail is too large for SendGrid.", Err: cause}
	case code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
		return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Message: "SendGrid did not answer in time; the mail may have been accepted.", Err: cause}
	case code == http.StatusTooManyRequests || code >= 500:
		return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: notify.DetailNotSent, Message: "SendGrid is unavailable or throttling.", Err: cause}
	}
	return &teamspro.Error{Code: teamspro.EINTERNAL, Detail: notify.DetailNotSent, Message: fmt.Sprintf("SendGrid refused the request (%d); check the API key, the sender identity and the base URL.", code), Err: cause}
}

func transportError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: notify.DetailNotSent, Message: "SendGrid cannot be reached.", Err: err}
	}
	return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Message: "The request to SendGrid failed; the mail may have been accepted.", Err: err}
}
