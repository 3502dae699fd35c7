package teamspro

import (
	"context"
	"strings"
	"time"
)

// Principal is who is calling: a signed-in user of a tenant, or an API key acting
// for a tenant. Every stored record is scoped by TenantID, taken from here and
// never from the request body.
type Principal struct {
	TenantID    string   // Entra tenant id (tid), lower-case GUID
	ObjectID    string   // Entra object id (oid) of the user; empty for API keys
	Name        string   // display name
	UPN         string   // preferred_username (v2) or upn (v1)
	Roles       []string // app roles from the token
	Admin       bool     // tenant admin: app role or configured object id
	APIKeyID    string   // set when the caller used an API key instead of a token
	CalendarIDs []string // for API keys: the calendars the key may reach (empty: none)
}

// ReachesCalendar reports whether the principal may use calendarID at all:
// users may (the tab's permissions decide the rest), API keys only for the
// calendars they were created for.
func (p Principal) ReachesCalendar(calendarID string) bool {
	if p.APIKeyID == "" {
		return true
	}
	for _, c := range p.CalendarIDs {
		if c == calendarID {
			return true
		}
	}
	return false
}

// IsUser reports whether the principal is a signed-in user (not an API key).
func (p Principal) IsUser() bool { return p.ObjectID != "" && p.APIKeyID == "" }

type principalKey struct{}

// NewContext returns a context carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of ctx and whether there is one.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Clock returns the current time; injected wherever time decides an outcome so
// that tests can fix it.
type Clock func() time.Time

// IsGUID reports whether s is a GUID in its canonical 8-4-4-4-12 form. (Plain
// loops rather than regular expressions here: compiling them at start-up cost
// a measurable part of the cold start.)
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// ValidID reports whether s is acceptable as a client-supplied identifier (tab,
// calendar, event and room ids): a letter or digit, then up to 127 letters,
// digits and . _ : @ -. That is narrower than what Table Storage allows in a
// key, so an id that passes can be used in a key or an OData filter without
// escaping surprises: no '/', '\\', '#', '?', quotes or control characters.
func ValidID(s string) bool {
	if len(s) < 1 || len(s) > 128 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '@' && c != '-' {
			return false
		}
	}
	return true
}

// NormalizeGUID lower-cases a GUID so that keys built from it are stable.
func NormalizeGUID(s string) string { return strings.ToLower(s) }
