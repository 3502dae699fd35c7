package calendar

import "strings"

// Filter selects events for the list route. Every non-empty criterion must
// match; text comparisons ignore case.
type Filter struct {
	Tags    []string // the event has at least one of these tags
	Colors  []string // the event's colour is one of these
	Address string   // contained in the event's full address
	Search  string   // contained in the event's title
}

// IsZero reports whether f selects everything.
func (f Filter) IsZero() bool {
	return len(f.Tags) == 0 && len(f.Colors) == 0 && f.Address == "" && f.Search == ""
}

// Match reports whether e passes f.
func (f Filter) Match(e Event) bool {
	if len(f.Tags) > 0 && !anyFold(e.Tags, f.Tags) {
		return false
	}
	if len(f.Colors) > 0 && !anyFold([]string{e.Color}, f.Colors) {
		return false
	}
	if f.Address != "" && (e.Address == nil || !containsFold(e.Address.FullAddress, f.Address)) {
		return false
	}
	if f.Search != "" && !containsFold(e.Title, f.Search) {
		return false
	}
	return true
}

// FilterOccurrences keeps the occurrences that pass f, in order. An
// overridden occurrence is judged on its own fields.
func FilterOccurrences(occ []Occurrence, f Filter) []Occurrence {
	if f.IsZero() {
		return occ
	}
	out := make([]Occurrence, 0, len(occ))
	for _, o := range occ {
		if f.Match(o.Event) {
			out = append(out, o)
		}
	}
	return out
}

// FilterEvents keeps the events that pass f, in order.
func FilterEvents(events []Event, f Filter) []Event {
	if f.IsZero() {
		return events
	}
	out := make([]Event, 0, len(events))
	for _, e := range events {
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(strings.TrimSpace(sub)))
}

func anyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(w)) {
				return true
			}
		}
	}
	return false
}
