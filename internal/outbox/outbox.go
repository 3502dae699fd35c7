// Package outbox is a notify.Mailer that writes each mail as an .eml file into a
// folder instead of sending it: the mail transport of local runs and of deployments
// without a SendGrid key. Any mail client opens the files, invites included, so a
// developer sees exactly what a recipient would.
package outbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// Mailer writes mails into a folder.
type Mailer struct {
	dir string
	now teamspro.Clock
}

var _ notify.Mailer = (*Mailer)(nil)

// New returns a Mailer writing into dir, creating it if needed. now stamps the Date
// header and the file names (nil: time.Now). Returns EINTERNAL when dir cannot be
// created.
func New(dir string, now teamspro.Clock) (*Mailer, error) {
	if dir == "" {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "outbox.New: a folder is required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The mail outbox folder cannot be created.")
	}
	if now == nil {
		now = time.Now
	}
	return &Mailer{dir: dir, now: now}, nil
}

// Dir returns the folder the mails are written to.
func (m *Mailer) Dir() string { return m.dir }

// Send implements notify.Mailer. The file is named by time and idempotency key
// ("20260310T140000.000000000Z-<key>.eml", so a listing is in sending order) and
// appears atomically: it is written under a temporary name and renamed, so a reader
// watching the folder never sees half a mail. Returns EINVALID for a mail without a
// valid sender or recipient (as SendGrid would), EUNAVAILABLE with
// notify.DetailNotSent when the file cannot be written.
func (m *Mailer) Send(ctx context.Context, mail notify.Mail) error {
	if err := ctx.Err(); err != nil {
		return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: notify.DetailNotSent, Message: "The mail was not written.", Err: err}
	}
	now := m.now().UTC()
	raw, err := Render(mail, now)
	if err != nil {
		return err
	}
	key := safeName(mail.IdempotencyKey)
	if key == "" {
		var b [8]byte
		rand.Read(b[:])
		key = hex.EncodeToString(b[:])
	}
	name := now.Format("20060102T150405.000000000Z") + "-" + key + ".eml"
	if err := writeAtomic(m.dir, name, raw); err != nil {
		return &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: notify.DetailNotSent, Message: "The mail cannot be written to the outbox.", Err: err}
	}
	return nil
}

func writeAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// The patterns are compiled at first use (a mail written), not at package
// init, where they would add to every cold start.
var unsafeChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9._-]+`) })

func safeName(s string) string {
	s = unsafeChars().ReplaceAllString(s, "_")
	s = strings.TrimLeft(s, ".")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// headerName is the syntax of a header field name (RFC 5322 ftext).
var headerName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[!-9;-~]+$`) })

// reserved are the headers Render writes itself; Mail.Headers cannot replace them.
var reserved = map[string]bool{
	"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
	"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true,
}

// Render returns mail as an RFC 5322 message dated now:
//
//	multipart/mixed
//	├── multipart/alternative
//	│   ├── text/plain; charset=utf-8
//	│   ├── text/html; charset=utf-8
//	│   └── text/calendar; charset=utf-8; method=REQUEST   (when Calendar is set)
//	└── one part per attachment, base64
//
// Returns EINVALID when the sender or a recipient is not a valid address.
func Render(m notify.Mail, now time.Time) ([]byte, error) {
	var v teamspro.Validation
	v.Check(validAddress(m.From.Email), "from", "not a valid address")
	v.Check(len(m.To) > 0, "to", "at least one recipient")
	for i, to := range m.To {
		v.Check(validAddress(to.Email), fmt.Sprintf("to[%d]", i), "not a valid address")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	mixed := multipart.NewWriter(&buf)
	altBoundary := multipart.NewWriter(nil).Boundary() // a fresh random boundary
	h := textproto.MIMEHeader{}
	h.Set("From", m.From.String())
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.String()
	}
	h.Set("To", strings.Join(to, ", "))
	h.Set("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	h.Set("Date", now.Format(time.RFC1123Z))
	if m.IdempotencyKey != "" {
		h.Set("Message-Id", "<"+safeName(m.IdempotencyKey)+"@outbox.teamspro.invalid>")
		h.Set("X-Teamspro-Idempotency-Key", oneLine(m.IdempotencyKey))
	}
	h.Set("Mime-Version", "1.0")
	h.Set("Content-Type", "multipart/mixed; boundary="+mixed.Boundary())
	for k, val := range m.Headers {
		k = textproto.CanonicalMIMEHeaderKey(k)
		if !headerName().MatchString(k) || reserved[k] {
			continue // never let a header name or value break the message structure
		}
		h.Set(k, mime.QEncoding.Encode("utf-8", oneLine(val)))
	}
	writeHeader(&buf, h)

	// The alternative part: least preferred first (RFC 2046 §5.1.4).
	altPart, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/alternative; boundary=" + altBoundary}})
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The mail cannot be rendered.")
	}
	alt := multipart.NewWriter(altPart)
	if err := alt.SetBoundary(altBoundary); err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The mail cannot be rendered.")
	}
	parts := []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	}
	if m.Calendar != nil {
		ctype := "text/calendar; charset=utf-8"
		if m.Calendar.Method != "" {
			ctype += "; method=" + m.Calendar.Method
		}
		parts = append(parts, struct{ ctype, body string }{ctype, string(m.Calendar.Content)})
	}
	for _, p := range parts {
		if p.body == "" {
			continue
		}
		w, err := alt.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The mail cannot be rendered.")
		}
		qp := quotedprintable.NewWriter(w)
		qp.Write([]byte(p.body))
		qp.Close()
	}
	alt.Close()

	for _, a := range m.Attachments {
		ctype := a.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		name := mime.QEncoding.Encode("utf-8", oneLine(a.Filename))
		w, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(ctype, map[string]string{"name": name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The mail cannot be rendered.")
		}
		writeBase64(w, a.Content)
	}
	mixed.Close()
	return buf.Bytes(), nil
}

func writeHeader(buf *bytes.Buffer, h textproto.MIMEHeader) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045 §6.8).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	w.Write([]byte(enc + "\r\n"))
}

func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
