package ical

import (
	"context"
	"errors"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/safehttp"
)

// Source reads external calendars: fetched by an SSRF-safe fetcher,
// parsed by Parse.
type Source struct {
	Fetcher *safehttp.Fetcher
}

var _ calendar.ExternalSource = Source{}

// Check refuses what the fetcher refuses before fetching.
func (s Source) Check(url string) error { return fetchError(s.Fetcher.Check(url)) }

// Read fetches and parses the calendar at url. Its errors are
// *calendar.FetchError: the fetcher's reason, or "not_icalendar".
func (s Source) Read(ctx context.Context, url string) (calendar.ExternalCopy, error) {
	b, err := s.Fetcher.Fetch(ctx, url)
	if err != nil {
		return calendar.ExternalCopy{}, fetchError(err)
	}
	p, err := Parse(b)
	if err != nil {
		return calendar.ExternalCopy{}, &calendar.FetchError{Reason: "not_icalendar", Message: "the document is not an iCalendar file"}
	}
	return p.ExternalCopy, nil
}

func fetchError(err error) error {
	if err == nil {
		return nil
	}
	var fe *safehttp.Error
	if errors.As(err, &fe) {
		return &calendar.FetchError{Reason: fe.Reason, Message: fe.Detail}
	}
	return &calendar.FetchError{Reason: "failed", Message: "the calendar could not be read"}
}
