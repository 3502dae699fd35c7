package booking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/teamspro"
)

// Service applies the booking rules over the stores: every reservation,
// whichever route makes or changes it, goes through one of its methods.
type Service struct {
	Rooms        RoomStore
	Reservations ReservationStore
	Now          teamspro.Clock
	Notifier     Notifier     // optional
	Log          *slog.Logger // optional
}

// NewService checks its dependencies.
func NewService(rooms RoomStore, res ReservationStore, now teamspro.Clock, n Notifier, log *slog.Logger) (*Service, error) {
	if rooms == nil || res == nil {
		return nil, errors.New("booking: room and reservation stores are required")
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{Rooms: rooms, Reservations: res, Now: now, Notifier: n, Log: log}, nil
}

// recorder returns the Recorder of a change of kind by p: the Notifier's
// record of it, written with the change (the transactional outbox); nil
// without a Notifier. complete, if any, fills in what only the service knows.
func (s *Service) recorder(kind ChangeKind, p teamspro.Principal, complete func(*Change)) Recorder {
	if s.Notifier == nil {
		return nil
	}
	return func(c Change) ([]byte, error) {
		c.Kind, c.By = kind, p
		if complete != nil {
			complete(&c)
		}
		return s.Notifier.RecordReservation(c)
	}
}

// announce hands a stored change's record to the Notifier, which announces
// it after the answer: the request never waits on the queue.
func (s *Service) announce(ctx context.Context, out *Outgoing) {
	if s.Notifier == nil || out == nil {
		return
	}
	s.Notifier.AnnounceReservation(ctx, *out, s.Reservations.DoneOutgoing)
}

// Occurrence reports one occurrence of a series that was not booked.
type Occurrence struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail"`
}

// Created is the outcome of a booking: the first reservation (of a series,
// the first booked occurrence), every booked one, the skipped occurrences,
// and for an open-ended series the horizon up to which it was expanded.
type Created struct {
	First   *Reservation
	All     []*Reservation
	Skipped []Occurrence
	Horizon *time.Time
}

// interval returns the [start, end) that in books in room: all-day
// reservations take the room's whole local day of their start.
func interval(in *EventInput, room *Room) (time.Time, time.Time) {
	if in.AllDay {
		l := in.StartDate.In(room.Location())
		s := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
		return s.UTC(), s.AddDate(0, 0, 1).UTC()
	}
	return in.StartDate.UTC(), in.EndDate.UTC()
}

func (s *Service) fill(r *Reservation, in *EventInput, room *Room, start, end time.Time) {
	r.Title, r.Description, r.Color, r.AllDay = strings.TrimSpace(in.Title), in.Description, in.Color, in.AllDay
	r.Start, r.End = start, end
	r.Duration = end.Sub(start).Milliseconds()
	r.RoomID, r.RoomName = room.ID, room.Name
	r.TimeZone, r.Address, r.Tags = in.TimeZone, in.Address, in.Tags
	r.Participants = slices.Clone(in.Participants)
	for i := range r.Participants {
		r.Participants[i].ObjectID = teamspro.NormalizeGUID(r.Participants[i].ObjectID)
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	r.Day = DayOf(start)
}

// SeriesHorizon is how far ahead an open-ended series is booked in a room
// that sets no maxDaysAhead; BoundedHorizon is the furthest occurrence of a
// bounded one that is booked (later ones are reported, too_far_ahead).
const (
	SeriesHorizon  = 366 * 24 * time.Hour
	BoundedHorizon = 5 * 366 * 24 * time.Hour
)

// Create books in.ResourceID for p through the booking calendar calendarID.
// A recurring input books every occurrence or none: when some occurrence
// breaks a rule or meets a taken slot, nothing is booked and the ECONFLICT
// lists every such occurrence and why (Extra.conflicts). With SkipConflicts
// the others are booked and the refused ones reported. An open-ended series
// is expanded up to the room's maxDaysAhead (SeriesHorizon without one), and
// the answer says so (Created.Horizon). ENOTFOUND for an unknown room; rule
// errors as CheckBooking.
func (s *Service) Create(ctx context.Context, p teamspro.Principal, calendarID string, in *EventInput) (*Created, error) {
	room, err := s.Rooms.Get(ctx, p.TenantID, in.ResourceID)
	if err != nil {
		return nil, roomNotFound(err)
	}
	now := s.Now()
	start, end := interval(in, room)
	base := Reservation{
		TenantID: p.TenantID, CalendarID: calendarID, Organizer: teamspro.NormalizeGUID(p.ObjectID), OrganizerName: p.Name,
		Status: StatusConfirmed, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), ModeRecurrence: string(in.Calendar().Mode()),
	}
	if room.Rules.RequiresApproval && !room.Manages(p) {
		base.Status = StatusPending
	}
	if !in.Recurring() {
		if err := room.CheckBooking(p, start, end, now); err != nil {
			return nil, err
		}
		r := base
		r.ID = uuid.NewString()
		s.fill(&r, in, room, start, end)
		r.ApplyCheckIn(room)
		_, o, err := s.Reservations.Book(ctx, []*Reservation{&r}, room.Buffer(), false, s.recorder(ChangeCreated, p, nil))
		if err != nil {
			return nil, err
		}
		s.announce(ctx, o)
		return &Created{First: &r, All: []*Reservation{&r}}, nil
	}

	series, err := SeriesOf(in, start, end, room.TimeZone)
	if err != nil {
		return nil, err
	}
	out := &Created{}
	var horizon time.Time
	if series.Bounded() {
		horizon = now.Add(BoundedHorizon)
	} else {
		h := SeriesHorizon
		if d := room.Rules.MaxDaysAhead; d > 0 {
			h = time.Duration(d) * 24 * time.Hour
		}
		horizon = now.Add(h + time.Minute)
		out.Horizon = &horizon
	}
	starts, beyond, err := series.StartsUntil(horizon)
	if err != nil {
		return nil, err
	}
	rule := series.Rule()
	length := end.Sub(start)
	seriesID := uuid.NewString()
	var rs []*Reservation
	for _, st := range starts {
		st, en := st.UTC(), st.Add(length).UTC()
		if err := room.CheckBooking(p, st, en, now); err != nil {
			if teamspro.ErrorCode(err) == teamspro.EFORBIDDEN {
				return nil, err
			}
			out.Skipped = append(out.Skipped, skipped(st, en, err))
			continue
		}
		r := base
		r.ID, r.SeriesID, r.OriginalStart = uuid.NewString(), seriesID, &st
		s.fill(&r, in, room, st, en)
		if len(rs) == 0 {
			r.RRule = rule
		}
		r.ApplyCheckIn(room)
		rs = append(rs, &r)
	}
	for _, st := range beyond {
		out.Skipped = append(out.Skipped, Occurrence{Start: st.UTC(), End: st.Add(length).UTC(), Reason: ReasonTooFarAhead,
			Detail: fmt.Sprintf("Occurrences are booked at most %d days ahead.", int(BoundedHorizon.Hours()/24))})
	}
	total := len(starts) + len(beyond)
	refuse := func() error {
		sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Start.Before(out.Skipped[j].Start) })
		e := teamspro.Errorf(teamspro.ECONFLICT, "%d of %d occurrences cannot be booked; nothing was booked.", len(out.Skipped), total)
		e.Detail = ReasonSlotTaken
		for _, o := range out.Skipped {
			if o.Reason != ReasonSlotTaken && o.Reason != ReasonWithinBuffer {
				e.Detail = ReasonOccurrencesRefused
			}
		}
		e.Extra = map[string]any{"roomId": room.ID, "conflicts": out.Skipped}
		return e
	}
	if len(rs) == 0 || (len(out.Skipped) > 0 && !in.SkipConflicts) {
		return nil, refuse()
	}
	// One change for the whole series, whose rule ends at its last booked
	// occurrence (an open-ended rule was booked only up to the horizon), and
	// whose skipped occurrences are those the rules refused and those the
	// store found taken.
	complete := func(c *Change) {
		booked := map[string]bool{}
		for _, o := range c.Occurrences {
			booked[o.ID] = true
		}
		c.Skipped = slices.Clone(out.Skipped)
		for _, r := range rs {
			if !booked[r.ID] {
				c.Skipped = append(c.Skipped, Occurrence{Start: r.Start, End: r.End, Reason: ReasonSlotTaken})
			}
		}
		sort.Slice(c.Skipped, func(i, j int) bool { return c.Skipped[i].Start.Before(c.Skipped[j].Start) })
		if n := len(c.Occurrences); n > 0 {
			bounded := series.Event
			r := *bounded.Rule
			r.Count, r.Until = 0, c.Occurrences[n-1].Start
			bounded.Rule = &r
			c.RRule = bounded.RRule()
		}
	}
	refused, o, err := s.Reservations.Book(ctx, rs, room.Buffer(), in.SkipConflicts, s.recorder(ChangeCreated, p, complete))
	for _, r := range rs {
		if e, ok := refused[r.ID]; ok {
			out.Skipped = append(out.Skipped, skipped(r.Start, r.End, e))
			continue
		}
		out.All = append(out.All, r)
	}
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return nil, refuse()
		}
		return nil, err
	}
	if len(out.All) == 0 {
		return nil, refuse()
	}
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Start.Before(out.Skipped[j].Start) })
	out.All[0].RRule = rule
	out.First = out.All[0]
	s.announce(ctx, o)
	return out, nil
}

func skipped(start, end time.Time, err error) Occurrence {
	o := Occurrence{Start: start, End: end, Detail: teamspro.ErrorMessage(err)}
	var e *teamspro.Error
	if errors.As(err, &e) {
		o.Reason = e.Detail
	}
	return o
}

func roomNotFound(err error) error {
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		e := teamspro.Errorf(teamspro.ENOTFOUND, "The room does not exist.")
		e.Fields = []teamspro.FieldError{{Field: "resourceId", Reason: "unknown room"}}
		return e
	}
	return err
}

// MayChange is the one place that decides who may change or cancel a
// reservation, whichever route asks: its organizer, the room's managers and
// tenant admins (room may be nil for a deleted room). A tab's permissions
// decide who may book through it, not who may touch others' reservations.
func MayChange(p teamspro.Principal, r *Reservation, room *Room) error {
	if r.Organizer == teamspro.NormalizeGUID(p.ObjectID) || p.Admin || (room != nil && room.Manages(p)) {
		return nil
	}
	return ruleError(teamspro.EFORBIDDEN, ReasonNotAllowed, "Only the organizer, the room's managers and admins change or cancel a reservation.")
}

// roomOf returns the room of r, nil if it was deleted.
func (s *Service) roomOf(ctx context.Context, tenantID, roomID string) (*Room, error) {
	room, err := s.Rooms.Get(ctx, tenantID, roomID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil, nil
	}
	return room, err
}

// Update replaces the fields of a reservation with in, moving it (new time or
// room) under the rules of its new room. Any change of time or room in a room
// that requires approval, by anyone but its managers or an admin, returns the
// reservation to pending. Only a holding reservation can be changed, and only
// by whom MayChange allows.
func (s *Service) Update(ctx context.Context, p teamspro.Principal, id, ifMatch string, in *EventInput) (*Reservation, error) {
	room, err := s.Rooms.Get(ctx, p.TenantID, in.ResourceID)
	if err != nil {
		return nil, roomNotFound(err)
	}
	now := s.Now()
	start, end := interval(in, room)
	var oldRoom *Room
	r, o, err := s.Reservations.Change(ctx, p.TenantID, id, ifMatch, room.Buffer(), func(r *Reservation) error {
		if oldRoom == nil || oldRoom.ID != r.RoomID {
			if r.RoomID == room.ID {
				oldRoom = room
			} else if oldRoom, err = s.roomOf(ctx, p.TenantID, r.RoomID); err != nil {
				return err
			}
		}
		if err := MayChange(p, r, oldRoom); err != nil {
			return err
		}
		if !Holds(r.Status) {
			return ruleError(teamspro.ECONFLICT, ReasonNotActive, "A %s reservation cannot be changed.", r.Status)
		}
		moved := !r.Start.Equal(start) || !r.End.Equal(end) || r.RoomID != room.ID
		if moved {
			if err := room.CheckBooking(p, start, end, now); err != nil {
				return err
			}
		}
		roomChanged := r.RoomID != room.ID
		s.fill(r, in, room, start, end)
		r.ModeRecurrence = in.ModeRecurrence
		r.UpdatedAt = now.UTC()
		switch {
		case moved && room.Rules.RequiresApproval && !room.Manages(p):
			r.Status = StatusPending
		case roomChanged:
			r.Status = StatusConfirmed
		}
		if moved {
			r.CheckedInAt = nil
			r.ApplyCheckIn(room)
		}
		return nil
	}, s.recorder(ChangeUpdated, p, nil))
	if err != nil {
		return nil, err
	}
	s.announce(ctx, o)
	return r, nil
}

// setStatus moves a reservation to a status that no longer holds its slot.
func (s *Service) setStatus(ctx context.Context, tenantID, id, ifMatch, status string, check func(*Reservation) error, record Recorder) (*Reservation, *Outgoing, error) {
	now := s.Now().UTC()
	return s.Reservations.Change(ctx, tenantID, id, ifMatch, 0, func(r *Reservation) error {
		if err := check(r); err != nil {
			return err
		}
		r.Status, r.UpdatedAt, r.CheckInBy = status, now, nil
		return nil
	}, record)
}

// Cancel cancels a holding reservation for p (MayChange decides who), under
// the room's cancel notice; it frees the slot.
func (s *Service) Cancel(ctx context.Context, p teamspro.Principal, id, ifMatch string) (*Reservation, error) {
	r, o, err := s.setStatus(ctx, p.TenantID, id, ifMatch, StatusCancelled, func(r *Reservation) error {
		room, err := s.roomOf(ctx, p.TenantID, r.RoomID)
		if err != nil {
			return err
		}
		if err := MayChange(p, r, room); err != nil {
			return err
		}
		if !Holds(r.Status) {
			return ruleError(teamspro.ECONFLICT, ReasonNotActive, "The reservation is already %s.", r.Status)
		}
		if room == nil {
			return nil // a deleted room's reservations can always be cancelled
		}
		return room.CheckCancel(p, r.Start, s.Now())
	}, s.recorder(ChangeCancelled, p, nil))
	if err != nil {
		return nil, err
	}
	s.announce(ctx, o)
	return r, nil
}

// Decide approves or declines a pending reservation: room managers and admins
// only (EFORBIDDEN), pending ones only (EINVALID not_pending). Declining frees
// the slot; approving keeps it.
func (s *Service) Decide(ctx context.Context, p teamspro.Principal, id string, approve bool) (*Reservation, error) {
	cur, err := s.Reservations.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	room, err := s.Rooms.Get(ctx, p.TenantID, cur.RoomID)
	if err != nil && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		return nil, err
	}
	if !(p.Admin || (room != nil && room.Manages(p))) {
		return nil, ruleError(teamspro.EFORBIDDEN, ReasonNotAllowed, "Only the room's managers and tenant admins approve reservations.")
	}
	status, kind := StatusDeclined, ChangeDeclined
	if approve {
		status, kind = StatusConfirmed, ChangeApproved
	}
	now := s.Now().UTC()
	r, o, err := s.Reservations.Change(ctx, p.TenantID, id, "", 0, func(r *Reservation) error {
		if r.Status != StatusPending {
			return ruleError(teamspro.ECONFLICT, ReasonNotPending, "The reservation is %s, not pending.", r.Status)
		}
		r.Status, r.UpdatedAt = status, now
		if !approve {
			r.CheckInBy = nil
		}
		return nil
	}, s.recorder(kind, p, nil))
	if err != nil {
		return nil, err
	}
	s.announce(ctx, o)
	return r, nil
}

// CheckIn records that the organizer (or a room manager) is there, within the
// check-in window (EINVALID outside_check_in_window). A reservation pending
// approval cannot be checked in.
func (s *Service) CheckIn(ctx context.Context, p teamspro.Principal, id string) (*Reservation, error) {
	now := s.Now().UTC()
	cur, err := s.Reservations.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	room, err := s.roomOf(ctx, p.TenantID, cur.RoomID)
	if err != nil {
		return nil, err
	}
	if err := MayChange(p, cur, room); err != nil {
		return nil, err
	}
	r, o, err := s.Reservations.Change(ctx, p.TenantID, id, "", 0, func(r *Reservation) error {
		if r.Status != StatusConfirmed {
			return ruleError(teamspro.ECONFLICT, ReasonNotActive, "A %s reservation cannot be checked in.", r.Status)
		}
		if r.CheckedInAt != nil {
			return ErrUnchanged // checked in already: a no-op, same ETag
		}
		if !r.CheckInWindow(now) {
			return ruleError(teamspro.EINVALID, ReasonCheckInWindow, "Check in from %s before the start until the release time.", CheckInEarly)
		}
		r.CheckedInAt, r.CheckInBy, r.UpdatedAt = &now, nil, now
		return nil
	}, s.recorder(ChangeCheckedIn, p, nil))
	if err != nil {
		return nil, err
	}
	s.announce(ctx, o)
	return r, nil
}

var (
	errStale   = errors.New("stale check-in deadline")
	errPending = errors.New("pending approval")
)

// ReleaseUnchecked releases the reservations whose check-in deadline fell in
// [from, now] and that are still not checked in. It is idempotent and safe to
// run concurrently: each release is a guarded change of one reservation, and
// a deadline is forgotten only once its reservation no longer needs it.
func (s *Service) ReleaseUnchecked(ctx context.Context, from time.Time) (released int, err error) {
	now := s.Now().UTC()
	due, err := s.Reservations.Due(ctx, from, now.Add(time.Second))
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		_, o, err := s.Reservations.Change(ctx, d.TenantID, d.ReservationID, "", 0, func(r *Reservation) error {
			if !Holds(r.Status) || r.CheckedInAt != nil || r.CheckInBy == nil || r.CheckInBy.Unix() != d.At.Unix() {
				return errStale
			}
			if r.Status == StatusPending {
				return errPending
			}
			r.Status, r.UpdatedAt, r.CheckInBy = StatusReleased, now, nil
			return nil
		}, s.recorder(ChangeReleased, teamspro.Principal{}, nil))
		switch {
		case err == nil:
			released++
			s.announce(ctx, o)
		case errors.Is(err, errPending):
			// Still waiting for approval: keep the deadline, so that an
			// approval within the look-back still leads to a release.
			continue
		case errors.Is(err, errStale) || teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		default:
			return released, err
		}
		if err := s.Reservations.DoneDue(ctx, d); err != nil {
			return released, err
		}
	}
	return released, nil
}

// RepairGrace is how old an unfinished change must be before the repair
// takes it over: its request is then certainly over.
const RepairGrace = 2 * time.Minute

// Repair completes or undoes the reservation changes left unfinished by a
// dead instance or a storage failure, older than RepairGrace, and announces
// the committed ones whose announcement never ended: once, since messages
// take ids derived from their record.
func (s *Service) Repair(ctx context.Context) (int, error) {
	var relay func(context.Context, Outgoing) error
	if s.Notifier != nil {
		relay = s.Notifier.RelayReservation
	}
	return s.Reservations.Repair(ctx, RepairGrace, relay)
}

// Days returns the local dates, in loc, of every day that [from, to) touches.
func Days(from, to time.Time, loc *time.Location) []string {
	var out []string
	l := from.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for d.Before(to) {
		out = append(out, d.Format(time.DateOnly))
		d = d.AddDate(0, 0, 1)
	}
	return out
}

// MaxWindow bounds the windows of schedule, availability and list queries.
const MaxWindow = 62 * 24 * time.Hour

// CheckWindow validates a [from, to) query window.
func CheckWindow(from, to time.Time) error {
	var v teamspro.Validation
	v.Check(!from.IsZero(), "from", "is required (RFC 3339)")
	v.Check(!to.IsZero(), "to", "is required (RFC 3339)")
	if !from.IsZero() && !to.IsZero() {
		v.Check(to.After(from), "to", "must be after from")
		v.Check(to.Sub(from) <= MaxWindow, "to", "the window is at most 62 days")
	}
	return v.Err()
}

// Schedule returns a room's holding reservations overlapping [from, to).
func (s *Service) Schedule(ctx context.Context, tenantID, roomID string, from, to time.Time) ([]*Reservation, error) {
	if err := CheckWindow(from, to); err != nil {
		return nil, err
	}
	if _, err := s.Rooms.Get(ctx, tenantID, roomID); err != nil {
		return nil, err
	}
	return s.schedule(ctx, tenantID, []string{roomID}, from, to)
}

// Filter narrows a free-room search.
type Filter struct {
	Capacity  int
	Equipment []string
	Building  string
	Floor     string
}

// Available returns the active rooms matching f that are free for the whole
// of [from, to) (their buffers included). It costs one query per local day
// touched, whatever the number of rooms, plus one for the rooms when a
// RoomCache does not remember them.
func (s *Service) Available(ctx context.Context, tenantID string, from, to time.Time, f Filter) ([]*Room, error) {
	if err := CheckWindow(from, to); err != nil {
		return nil, err
	}
	rooms, shared, err := s.roomDirectory(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var cand []*Room
	for _, r := range rooms {
		if !r.IsActive() || r.Capacity < f.Capacity || (f.Building != "" && !strings.EqualFold(r.Building, f.Building)) ||
			(f.Floor != "" && !strings.EqualFold(r.Floor, f.Floor)) || !hasAll(r.Equipment, f.Equipment) {
			continue
		}
		cand = append(cand, r)
	}
	if len(cand) == 0 {
		return []*Room{}, nil
	}
	// A slot is in the ledger of every UTC day its buffered interval
	// touches, so the days of the window itself find every slot that
	// comes closer than a room's buffer.
	days := Days(from, to, time.UTC)
	busy, err := s.Reservations.Busy(ctx, tenantID, days)
	if err != nil {
		return nil, err
	}
	out := []*Room{}
	for _, r := range cand {
		if _, taken := Conflict(busy[r.ID], "", from, to, r.Buffer()); !taken {
			if shared {
				r = r.Clone()
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// roomDirectory returns the tenant's rooms for reading: the directory a
// RoomCache remembers (shared is true: copy what leaves), else a fresh list.
// A search may thus see a room's details up to the cache's TTL old: the
// answer is advisory, and only the booking batch on the room's ledger decides
// whether a slot is free.
func (s *Service) roomDirectory(ctx context.Context, tenantID string) (rooms []*Room, shared bool, err error) {
	if c, ok := s.Rooms.(*RoomCache); ok {
		rooms, err = c.directory(ctx, tenantID)
		return rooms, true, err
	}
	rooms, err = s.Rooms.List(ctx, tenantID)
	return rooms, false, err
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}
