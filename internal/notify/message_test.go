package notify

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

var (
	testStart = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	testEnd   = testStart.Add(time.Hour)
)

func testEvent() EventInfo {
	return EventInfo{
		ID: "ev1", CalendarID: "cal1", Title: "Sprint review", Description: "Demo of the sprint.",
		Start: testStart, End: testEnd, TimeZone: "Europe/Paris", Location: "Room Everest",
		Organizer: Person{Name: "Ada Lovelace", Email: "ada@contoso.com"}, Sequence: 2,
		URL: "https://teams.example/ev1",
	}
}

func testReservation() ReservationInfo {
	return ReservationInfo{
		ID: "res1", RoomID: "room1", RoomName: "Everest", Title: "1:1",
		Start: testStart, End: testEnd, TimeZone: "Europe/Paris",
		Organizer: Person{Name: "Ada Lovelace", Email: "ada@contoso.com"}, URL: "https://teams.example/res1",
	}
}

// samplePayloads returns a valid payload for every type of the catalogue.
func samplePayloads() map[Type]Payload {
	ev := testEvent()
	res := testReservation()
	rcpt := []Recipient{{Name: "Grace", Email: "grace@contoso.com", TimeZone: "America/New_York"}}
	events := func() Payload {
		return &EventNotice{Event: ev, Recipients: rcpt, Actor: Person{Name: "Ada"}, Changes: []string{"start"}}
	}
	resv := func() Payload { return &ReservationNotice{Reservation: res, Recipients: rcpt, Reason: "maintenance"} }
	return map[Type]Payload{
		TypeEventCreated:         events(),
		TypeEventUpdated:         events(),
		TypeEventDeleted:         events(),
		TypeReservationConfirmed: resv(),
		TypeReservationPending:   resv(),
		TypeReservationApproved:  resv(),
		TypeReservationDeclined:  resv(),
		TypeReservationCancelled: resv(),
		TypeReservationReleased:  resv(),
		TypeApprovalRequested:    &ApprovalRequest{Reservation: res, Managers: rcpt, ApproveURL: "https://teams.example/approve"},
		TypeReminder:             &Reminder{Event: &ev, Recipients: rcpt},
		TypeCalendarCopy:         &CalendarCopy{JobID: "job1", Step: 1, Steps: 2, SourceCalendarID: "a", TargetCalendarID: "b", EventIDs: []string{"e1"}},
		TypeJobCompleted:         &JobCompleted{JobID: "job1", Kind: "calendar.copy", Requester: rcpt[0], Succeeded: 3},
	}
}

func mustEnvelope(t *testing.T, typ Type, id string, p Payload) Envelope {
	t.Helper()
	env, err := NewEnvelope(typ, id, "tenant-1", testStart.Add(-time.Hour), p)
	if err != nil {
		t.Fatalf("NewEnvelope(%s): %v", typ, err)
	}
	return env
}

func mustBody(t *testing.T, env Envelope) []byte {
	t.Helper()
	b, err := env.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

func TestCatalogueRoundTrip(t *testing.T) {
	t.Parallel()
	samples := samplePayloads()
	if len(samples) != len(Types()) {
		t.Fatalf("got %d sample payloads, want one per type (%d)", len(samples), len(Types()))
	}
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			env := mustEnvelope(t, typ, "msg-"+string(typ), samples[typ])
			msg, err := Decode(mustBody(t, env))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if v := CurrentVersion(typ); msg.Type != typ || msg.Version != v || msg.ID != "msg-"+string(typ) || msg.TenantID != "tenant-1" {
				t.Errorf("got envelope %v tenant %q, want %s v%d msg-%s tenant-1", msg.Envelope, msg.TenantID, typ, v, typ)
			}
			if !reflect.DeepEqual(msg.Body, samples[typ]) {
				t.Errorf("got payload %+v, want %+v", msg.Body, samples[typ])
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good := mustBody(t, mustEnvelope(t, TypeEventCreated, "m1", samplePayloads()[TypeEventCreated]))
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name   string
		body   []byte
		detail string
	}{
		{"not json", []byte("{oops"), DetailMalformed},
		{"two values", append(append([]byte{}, good...), good...), DetailMalformed},
		{"unknown type", edit(func(m map[string]any) { m["type"] = "event.exploded" }), DetailUnknownType},
		{"future version", edit(func(m map[string]any) { m["version"] = 99 }), DetailUnsupportedVersion},
		{"no id", edit(func(m map[string]any) { delete(m, "id") }), DetailMalformed},
		{"no tenant", edit(func(m map[string]any) { m["tenantId"] = "" }), DetailMalformed},
		{"null payload", edit(func(m map[string]any) { m["payload"] = nil }), DetailMalformed},
		{"unknown payload field", edit(func(m map[string]any) { m["payload"].(map[string]any)["priority"] = "high" }), DetailMalformed},
		{"payload of wrong shape", edit(func(m map[string]any) { m["payload"] = []int{1} }), DetailMalformed},
		{"invalid payload", edit(func(m map[string]any) { m["payload"].(map[string]any)["recipients"] = []any{} }), DetailMalformed},
		{"bad zone", edit(func(m map[string]any) {
			m["payload"].(map[string]any)["event"].(map[string]any)["timeZone"] = "Mars/Olympus"
		}), DetailMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.body)
			var te *teamspro.Error
			if !errors.As(err, &te) {
				t.Fatalf("got error %v, want a *teamspro.Error", err)
			}
			if te.Code != teamspro.EINVALID || te.Detail != tt.detail {
				t.Errorf("got code %q detail %q, want %q %q", te.Code, te.Detail, teamspro.EINVALID, tt.detail)
			}
		})
	}
}

func TestNewEnvelopeRejects(t *testing.T) {
	t.Parallel()
	ok := samplePayloads()[TypeEventCreated]
	tests := []struct {
		name     string
		typ      Type
		id, tid  string
		at       time.Time
		p        Payload
		wantText string
	}{
		{"unknown type", "event.exploded", "m", "t", testStart, ok, "Unknown message type"},
		{"payload of another type", TypeApprovalRequested, "m", "t", testStart, ok, "carries a *notify.ApprovalRequest payload"},
		{"no id", TypeEventCreated, "", "t", testStart, ok, "invalid fields"},
		{"no tenant", TypeEventCreated, "m", "", testStart, ok, "invalid fields"},
		{"no time", TypeEventCreated, "m", "t", time.Time{}, ok, "invalid fields"},
		{"reminder with both", TypeReminder, "m", "t", testStart, &Reminder{Event: &EventInfo{}, Reservation: &ReservationInfo{}, Recipients: []Recipient{{Email: "a@b.c"}}}, "invalid fields"},
		{"end before start", TypeReservationConfirmed, "m", "t", testStart, &ReservationNotice{
			Reservation: func() ReservationInfo { r := testReservation(); r.End = r.Start; return r }(),
			Recipients:  []Recipient{{Email: "a@b.c"}}}, "invalid fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewEnvelope(tt.typ, tt.id, tt.tid, tt.at, tt.p)
			if teamspro.ErrorCode(err) != teamspro.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got %q, want it to mention %q", err, tt.wantText)
			}
		})
	}
}

func TestInviteMethod(t *testing.T) {
	t.Parallel()
	want := map[Type]string{
		TypeEventCreated: "REQUEST", TypeEventUpdated: "REQUEST", TypeEventDeleted: "CANCEL",
		TypeReservationConfirmed: "REQUEST", TypeReservationApproved: "REQUEST",
		TypeReservationCancelled: "CANCEL", TypeReservationReleased: "CANCEL",
	}
	for _, typ := range Types() {
		if got := InviteMethod(typ); got != want[typ] {
			t.Errorf("InviteMethod(%s): got %q, want %q", typ, got, want[typ])
		}
	}
}

func TestDeliveryMetadataShape(t *testing.T) {
	t.Parallel()
	d := Delivery{MessageID: "m1", DeliveryCount: 3, SequenceNumber: 7, EnqueuedTime: testStart,
		ContentType: "application/json", Subject: "reminder", ApplicationProperties: map[string]any{"version": 1}}
	md := d.Metadata()
	for k, want := range map[string]any{
		"MessageId": `"m1"`, "DeliveryCount": "3", "SequenceNumber": "7",
		"EnqueuedTimeUtc": "2026-03-10T14:00:00Z", "Subject": `"reminder"`,
	} {
		if md[k] != want {
			t.Errorf("Metadata()[%q]: got %v, want %v", k, md[k], want)
		}
	}
	if props, _ := md["ApplicationProperties"].(map[string]any); props["version"] != 1 {
		t.Errorf("got ApplicationProperties %v, want version 1", md["ApplicationProperties"])
	}
	d.Body = []byte(`{"type":"reminder"}`)
	b, err := json.Marshal(d.Invocation("message"))
	if err != nil {
		t.Fatal(err)
	}
	var inv struct {
		Data     map[string]string
		Metadata map[string]any
	}
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	if inv.Data["message"] != `{"type":"reminder"}` || inv.Metadata["DeliveryCount"] != "3" {
		t.Errorf("got invocation %s, want the body as a string under Data.message and the metadata", b)
	}
}
