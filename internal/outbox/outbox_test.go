package outbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev1@teamspro\r\nSUMMARY:Réunion d'équipe\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

var sentAt = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)

func testMail() notify.Mail {
	return notify.Mail{
		From:           notify.Address{Name: "TeamsPro", Email: "noreply@contoso.com"},
		To:             []notify.Address{{Name: "Zoë Ångström", Email: "zoe@contoso.com"}, {Email: "grace@contoso.com"}},
		Subject:        "Invitation: Réunion d'équipe (Tue 10 Mar 2026 15:00)",
		Text:           "Vous êtes invitée. " + strings.Repeat("long line ", 20),
		HTML:           "<p>Vous êtes invitée.</p>",
		Calendar:       &notify.Calendar{Method: "REQUEST", Content: []byte(ics)},
		Attachments:    []notify.Attachment{{Filename: "invite.ics", ContentType: "application/ics", Content: []byte(ics)}},
		Headers:        map[string]string{"Auto-Submitted": "auto-generated", "Subject": "hijack", "X-Evil": "a\r\nBcc: x@evil.example"},
		IdempotencyKey: "0123abcd",
	}
}

func newOutbox(t *testing.T) *Mailer {
	t.Helper()
	m, err := New(filepath.Join(t.TempDir(), "outbox"), func() time.Time { return sentAt })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// part is one leaf of a parsed MIME tree.
type part struct {
	contentType string
	params      map[string]string
	disposition string
	body        []byte
}

// readParts walks a multipart body, decoding transfer encodings, and returns the
// leaves with the media type of each enclosing multipart.
func readParts(t *testing.T, r io.Reader, boundary string, path string, out map[string]part) {
	t.Helper()
	mr := multipart.NewReader(r, boundary)
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("reading part %s/%d: %v", path, i, err)
		}
		ctype, params, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part %s/%d Content-Type: %v", path, i, err)
		}
		key := fmt.Sprintf("%s/%d", path, i)
		if strings.HasPrefix(ctype, "multipart/") {
			out[key] = part{contentType: ctype}
			readParts(t, p, params["boundary"], key, out)
			continue
		}
		var body io.Reader = p
		switch p.Header.Get("Content-Transfer-Encoding") {
		case "quoted-printable":
			body = quotedprintable.NewReader(p)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("part %s body: %v", key, err)
		}
		out[key] = part{ctype, params, p.Header.Get("Content-Disposition"), b}
	}
}

func TestSendWritesAParsableMessage(t *testing.T) {
	t.Parallel()
	m := newOutbox(t)
	want := testMail()
	if err := m.Send(context.Background(), want); err != nil {
		t.Fatalf("Send: %v", err)
	}
	names := emlFiles(t, m.Dir())
	if len(names) != 1 || names[0] != "20260310T140000.000000000Z-0123abcd.eml" {
		t.Fatalf("got files %v, want one named by time and key", names)
	}
	raw, err := os.ReadFile(filepath.Join(m.Dir(), names[0]))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the file: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("got subject %q (%v), want %q", subject, err, want.Subject)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "noreply@contoso.com" || from[0].Name != "TeamsPro" {
		t.Errorf("got From %v (%v), want TeamsPro <noreply@contoso.com>", from, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Zoë Ångström" || to[1].Address != "grace@contoso.com" {
		t.Errorf("got To %v (%v), want Zoë Ångström and grace", to, err)
	}
	if date, err := msg.Header.Date(); err != nil || !date.Equal(sentAt) {
		t.Errorf("got Date %v (%v), want %v", date, err, sentAt)
	}
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("got Auto-Submitted %q, want auto-generated", got)
	}
	if got := msg.Header.Get("X-Evil"); strings.ContainsAny(got, "\r\n") || msg.Header.Get("Bcc") != "" {
		t.Errorf("got X-Evil %q, Bcc %q: a header value broke the header block", got, msg.Header.Get("Bcc"))
	}
	if got := msg.Header["Subject"]; len(got) != 1 {
		t.Errorf("got %d Subject headers, want 1 (custom headers cannot replace it)", len(got))
	}

	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || ctype != "multipart/mixed" {
		t.Fatalf("got Content-Type %q (%v), want multipart/mixed", ctype, err)
	}
	parts := map[string]part{}
	readParts(t, msg.Body, params["boundary"], "", parts)
	if got := parts["/0"].contentType; got != "multipart/alternative" {
		t.Fatalf("got first part %q, want multipart/alternative; parts %v", got, parts)
	}
	checks := []struct {
		key, ctype, body, method string
	}{
		{"/0/0", "text/plain", want.Text, ""},
		{"/0/1", "text/html", want.HTML, ""},
		{"/0/2", "text/calendar", ics, "REQUEST"},
		{"/1", "application/ics", ics, ""},
	}
	for _, c := range checks {
		p, ok := parts[c.key]
		if !ok {
			t.Errorf("no part %s; got %v", c.key, parts)
			continue
		}
		if p.contentType != c.ctype || string(p.body) != c.body || p.params["method"] != c.method {
			t.Errorf("part %s: got %s method %q body %q, want %s method %q body %q", c.key, p.contentType, p.params["method"], p.body, c.ctype, c.method, c.body)
		}
	}
	if att := parts["/1"]; !strings.HasPrefix(att.disposition, "attachment") || !strings.Contains(att.disposition, "invite.ics") {
		t.Errorf("got attachment disposition %q, want attachment; filename=invite.ics", att.disposition)
	}
	if len(parts) != 5 {
		t.Errorf("got %d parts, want 5 (mixed: alternative of 3, attachment)", len(parts))
	}
}

func TestSendRejectsInvalidAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*notify.Mail)
	}{
		{"bad recipient", func(m *notify.Mail) { m.To = []notify.Address{{Email: "not an address"}} }},
		{"no recipient", func(m *notify.Mail) { m.To = nil }},
		{"bad sender", func(m *notify.Mail) { m.From.Email = "noreply" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newOutbox(t)
			msg := testMail()
			tt.edit(&msg)
			if err := m.Send(context.Background(), msg); teamspro.ErrorCode(err) != teamspro.EINVALID {
				t.Errorf("got %v, want EINVALID", err)
			}
			if names := emlFiles(t, m.Dir()); len(names) != 0 {
				t.Errorf("got files %v, want none", names)
			}
		})
	}
}

func TestConcurrentSendsWriteDistinctCompleteFiles(t *testing.T) {
	t.Parallel()
	m := newOutbox(t)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := testMail()
			msg.IdempotencyKey = fmt.Sprintf("key/%02d", i) // '/' must not make a path
			if err := m.Send(context.Background(), msg); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	names := emlFiles(t, m.Dir())
	if len(names) != n {
		t.Fatalf("got %d files, want %d: %v", len(names), n, names)
	}
	for _, name := range names {
		if strings.HasPrefix(name, ".tmp-") || !strings.HasSuffix(name, ".eml") {
			t.Errorf("got leftover or misnamed file %q", name)
		}
		raw, err := os.ReadFile(filepath.Join(m.Dir(), name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mail.ReadMessage(bytes.NewReader(raw)); err != nil || !bytes.HasSuffix(bytes.TrimSpace(raw), []byte("--")) {
			t.Errorf("file %s is not a complete message: %v", name, err)
		}
	}
}

func TestSendMinimalMail(t *testing.T) {
	t.Parallel()
	m := newOutbox(t)
	minimal := notify.Mail{From: notify.Address{Email: "noreply@contoso.com"}, To: []notify.Address{{Email: "a@contoso.com"}}, Subject: "Hi", Text: "Hello"}
	if err := m.Send(context.Background(), minimal); err != nil {
		t.Fatal(err)
	}
	names := emlFiles(t, m.Dir())
	if len(names) != 1 || !strings.HasPrefix(names[0], "20260310T140000.000000000Z-") {
		t.Fatalf("got %v, want one file with a generated key", names)
	}
	raw, _ := os.ReadFile(filepath.Join(m.Dir(), names[0]))
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	parts := map[string]part{}
	readParts(t, msg.Body, params["boundary"], "", parts)
	if len(parts) != 2 || string(parts["/0/0"].body) != "Hello" {
		t.Errorf("got parts %v, want an alternative holding only the text", parts)
	}
}
