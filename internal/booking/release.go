package booking

import (
	"context"
	"time"
)

// releaseLookback is how far back a release run looks when the previous
// run is unknown or recent; releaseMaxLookback bounds it after an outage.
const (
	releaseLookback    = 2 * time.Hour
	releaseMaxLookback = 48 * time.Hour
)

// ReleaseSince releases the reservations not checked in by their release
// time since the previous run of the release timer, lastRun (zero when
// unknown): at least two hours back, so that a run that was late misses
// nothing, at most 48, so that the cost after an outage stays bounded. It
// reads only the hourly deadline partitions of that span, so its cost does
// not grow with the data of all tenants (see ReleaseUnchecked).
func (s *Service) ReleaseSince(ctx context.Context, lastRun time.Time) (int, error) {
	now := s.Now().UTC()
	from := now.Add(-releaseLookback)
	if !lastRun.IsZero() && lastRun.Before(from) {
		from = lastRun.Add(-10 * time.Minute)
	}
	if from.Before(now.Add(-releaseMaxLookback)) {
		from = now.Add(-releaseMaxLookback)
	}
	return s.ReleaseUnchecked(ctx, from)
}
