package findtime

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// BookRequest books one suggested slot: the search it came from (so that a
// refusal can suggest again), the start chosen, the room, and what the
// reservation says.
type BookRequest struct {
	Request
	Start       time.Time `json:"start"`
	RoomID      string    `json:"roomId"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
}

// Validate reports every invalid field at once.
func (b *BookRequest) Validate() error {
	var v teamspro.Validation
	if err := b.Request.Validate(); err != nil && !v.Merge(err) {
		return err
	}
	v.Check(b.CalendarID != "", "calendarId", "is required: the booking tab to book through")
	v.Check(!b.Start.IsZero(), "start", "is required (RFC 3339)")
	v.Check(teamspro.ValidID(b.RoomID), "roomId", "is required: the room to book")
	v.Check(strings.TrimSpace(b.Title) != "" && len(b.Title) <= calendar.MaxTitle, "title", "is required, at most 100 characters")
	v.Check(len(b.Description) <= calendar.MaxDescription, "description", "at most 250 characters")
	return v.Err()
}

// Book books the room of a suggested slot for the participants through the
// booking tab b.CalendarID, in one step and through the normal reservation
// path (booking.Calendars.Create: the tab's add right and rooms, the room's
// rules and its guarded batch, so never a double booking). The participants are checked once more
// against the index first. When someone is taken meanwhile (ECONFLICT
// participant_busy) or the room's slot was taken (ECONFLICT slot_taken or
// within_buffer, from the batch), the error carries fresh suggestions in
// Extra["suggestions"], from a new search of the same request.
func (s *Service) Book(ctx context.Context, p teamspro.Principal, b *BookRequest) (*booking.Created, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	opt, err := s.optionsOf(ctx, p, b.CalendarID)
	if err != nil {
		return nil, err
	}
	people, err := s.resolve(ctx, p, b.Participants)
	if err != nil {
		return nil, err
	}
	end := b.Start.Add(time.Duration(b.DurationMinutes) * time.Minute)
	for _, pr := range people {
		busy, err := s.busyOf(ctx, p.TenantID, pr, b.Start, end)
		if err != nil {
			return nil, err
		}
		if len(busy) > 0 {
			name := firstNonEmpty(pr.Name, firstNonEmpty(pr.UPN, pr.ObjectID))
			e := teamspro.Errorf(teamspro.ECONFLICT, "%s is no longer free at that time.", name)
			e.Detail = ReasonParticipantBusy
			return nil, s.withSuggestions(ctx, p, b, people, opt, e)
		}
	}
	in := &booking.EventInput{
		Title: strings.TrimSpace(b.Title), Description: b.Description, StartDate: b.Start.UTC(), EndDate: end.UTC(),
		ResourceID: b.RoomID, TimeZone: b.TimeZone,
	}
	for _, pr := range people {
		in.Participants = append(in.Participants, calendar.Participant{ObjectID: pr.ObjectID, UPN: pr.UPN, Name: pr.Name})
	}
	c, _, err := s.Booker.Create(ctx, p, b.CalendarID, func(v any) error {
		*(v.(*booking.EventInput)) = *in
		return nil
	})
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return nil, s.withSuggestions(ctx, p, b, people, opt, err)
		}
		return nil, err
	}
	return c, nil
}

// withSuggestions adds the slots of a fresh search to a refusal.
func (s *Service) withSuggestions(ctx context.Context, p teamspro.Principal, b *BookRequest, people []Person, opt options, refusal error) error {
	var e *teamspro.Error
	if !errors.As(refusal, &e) {
		return refusal
	}
	sr, err := s.search(ctx, p, &b.Request, people, opt)
	if err != nil {
		return refusal // the refusal stands; suggestions are a courtesy
	}
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	slots := sr.slots
	if slots == nil {
		slots = []Slot{}
	}
	e.Extra["suggestions"] = slots
	return e
}
