// Package tab is the configuration of a Calendar Pro or Booking Room Pro tab in
// a Teams channel: which channel it lives in, how it shows the calendar, who may
// change what. Each calendar tab owns one calendar; each booking tab owns one
// booking calendar and the list of rooms it shows.
package tab

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/holiday"
	"github.com/teamspro/functions/internal/teamspro"
)

// Kind says which app a tab belongs to.
type Kind string

// The two apps.
const (
	KindCalendar Kind = "calendar"
	KindBooking  Kind = "booking"
)

// Permission modes of a tab: who may add, modify and delete events.
const (
	PermEveryone = "everyone" // every member of the team
	PermOwners   = "owners"   // only the tab's owners (and tenant admins)
	PermCustom   = "custom"   // per-member rights; members not listed may only read
)

// Tab is the stored configuration of one tab.
type Tab struct {
	TenantID    string    `json:"-"`
	ID          string    `json:"id"`
	Kind        Kind      `json:"kind"`
	CalendarID  string    `json:"calendarId"`
	TeamID      string    `json:"teamId"`
	ChannelID   string    `json:"channelId"`
	ChannelName string    `json:"channelName"`
	Settings    Settings  `json:"settings"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	DeletedAt   time.Time `json:"deletedAt,omitzero"`
	ETag        string    `json:"-"`
}

// Settings is how the tab shows its calendar and who may change it.
type Settings struct {
	DefaultView     string        `json:"defaultView,omitempty"`   // day, week, workweek, month, agenda
	FirstDayOfWeek  int           `json:"firstDayOfWeek"`          // 0 = Sunday .. 6 = Saturday
	BusinessDays    []int         `json:"businessDays,omitempty"`  // 0 = Sunday .. 6 = Saturday
	BusinessHours   *Hours        `json:"businessHours,omitempty"` // local to TimeZone
	TimeZone        string        `json:"timeZone,omitempty"`      // IANA name
	ShowWeekends    bool          `json:"showWeekends"`
	ShowWeekNumbers bool          `json:"showWeekNumbers"`
	Notifications   Notifications `json:"notifications"`
	// ReminderMinutes, when above zero, mails a reminder that long before each
	// event (each occurrence of a series) and reservation of the tab.
	ReminderMinutes int         `json:"reminderMinutes"`
	Permissions     Permissions `json:"permissions"`
	Owners          []string    `json:"owners,omitempty"` // Entra object ids
	Rooms           []string    `json:"rooms,omitempty"`  // booking tabs: the rooms shown
	// Holidays is the place whose public holidays the tab's views show
	// (GET /api/tabs/{tabId}/holidays); nil shows none.
	Holidays *holiday.Place `json:"holidays,omitempty"`
}

// Hours is a daily opening window in local time, "HH:MM" each.
type Hours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Notifications are the tab's mail toggles.
type Notifications struct {
	AddedOrUpdated bool `json:"addedOrUpdated"`
	Deleted        bool `json:"deleted"`
}

// Permissions says who may add, modify and delete the tab's events.
type Permissions struct {
	Mode    string         `json:"mode"`
	Members []MemberRights `json:"members,omitempty"`
}

// MemberRights are one member's rights in the custom mode.
type MemberRights struct {
	ObjectID string `json:"objectId"`
	Add      bool   `json:"add"`
	Modify   bool   `json:"modify"`
	Delete   bool   `json:"delete"`
}

// Action is something a member may or may not do to a tab's events.
type Action int

// The event actions governed by Permissions.
const (
	ActionAdd Action = iota
	ActionModify
	ActionDelete
)

// IsOwner reports whether p owns the tab. Tenant admins count as owners.
func (t *Tab) IsOwner(p teamspro.Principal) bool {
	return p.Admin || (p.ObjectID != "" && slices.Contains(t.Settings.Owners, p.ObjectID))
}

// Allows reports whether p may do a to the tab's events. An API key may do
// everything on the calendars it was made for (its creator owned them), and
// nothing elsewhere.
func (t *Tab) Allows(p teamspro.Principal, a Action) bool {
	if p.APIKeyID != "" {
		return p.ReachesCalendar(t.CalendarID)
	}
	if t.IsOwner(p) {
		return true
	}
	switch t.Settings.Permissions.Mode {
	case PermEveryone, "":
		return p.ObjectID != ""
	case PermCustom:
		for _, m := range t.Settings.Permissions.Members {
			if m.ObjectID == p.ObjectID {
				return (a == ActionAdd && m.Add) || (a == ActionModify && m.Modify) || (a == ActionDelete && m.Delete)
			}
		}
	}
	return false
}

// Input is what a client sends to create or update a tab.
type Input struct {
	Kind        Kind     `json:"kind"`
	TeamID      string   `json:"teamId"`
	ChannelID   string   `json:"channelId"`
	ChannelName string   `json:"channelName"`
	Settings    Settings `json:"settings"`
}

var views = []string{"", "day", "week", "workweek", "month", "agenda"}

// isHHMM reports whether s is a 24-hour time "HH:MM".
func isHHMM(s string) bool {
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	h, m := s[:2], s[3:]
	return h >= "00" && h <= "23" && m >= "00" && m <= "59" && isDigits(h) && isDigits(m)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isTeamsID reports whether s looks like a Teams team or channel id
// (19:...@thread.tacv2, a GUID): 1 to 200 of letters, digits and : @ . _ -.
func isTeamsID(s string) bool {
	if len(s) < 1 || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strings.IndexByte(":@._-", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// Validate reports every invalid field of in at once.
func (in *Input) Validate() error {
	var v teamspro.Validation
	v.Check(in.Kind == KindCalendar || in.Kind == KindBooking, "kind", "must be calendar or booking")
	v.Check(isTeamsID(in.TeamID), "teamId", "is required: the Teams team id")
	v.Check(isTeamsID(in.ChannelID), "channelId", "is required: the Teams channel id (19:...@thread.tacv2)")
	v.Check(len(in.ChannelName) <= 256, "channelName", "is longer than 256 characters")
	s := &in.Settings
	v.Check(slices.Contains(views, s.DefaultView), "settings.defaultView", "must be day, week, workweek, month or agenda")
	v.Check(s.FirstDayOfWeek >= 0 && s.FirstDayOfWeek <= 6, "settings.firstDayOfWeek", "must be 0 (Sunday) to 6 (Saturday)")
	for _, d := range s.BusinessDays {
		if !v.Check(d >= 0 && d <= 6, "settings.businessDays", "days are 0 (Sunday) to 6 (Saturday)") {
			break
		}
	}
	if h := s.BusinessHours; h != nil {
		if v.Check(isHHMM(h.Start) && isHHMM(h.End), "settings.businessHours", "start and end are HH:MM") {
			v.Check(h.Start < h.End, "settings.businessHours", "start must be before end")
		}
	}
	if s.TimeZone != "" {
		_, err := time.LoadLocation(s.TimeZone)
		v.Check(err == nil && s.TimeZone != "Local", "settings.timeZone", "is not an IANA time zone name")
	}
	v.Check(s.ReminderMinutes >= 0 && s.ReminderMinutes <= 10080, "settings.reminderMinutes", "must be 0 (none) to 10080 (a week)")
	switch s.Permissions.Mode {
	case "", PermEveryone, PermOwners, PermCustom:
	default:
		v.Add("settings.permissions.mode", "must be everyone, owners or custom")
	}
	v.Check(len(s.Permissions.Members) <= 500, "settings.permissions.members", "at most 500 members")
	for _, m := range s.Permissions.Members {
		if !v.Check(teamspro.IsGUID(m.ObjectID), "settings.permissions.members", "objectId must be an Entra object id") {
			break
		}
	}
	v.Check(len(s.Owners) <= 100, "settings.owners", "at most 100 owners")
	for _, o := range s.Owners {
		if !v.Check(teamspro.IsGUID(o), "settings.owners", "owners are Entra object ids") {
			break
		}
	}
	if in.Kind == KindCalendar {
		v.Check(len(s.Rooms) == 0, "settings.rooms", "only booking tabs list rooms")
	}
	if s.Holidays != nil {
		p := *s.Holidays
		p.Normalize()
		p.Validate("settings.holidays", &v)
	}
	v.Check(len(s.Rooms) <= 500, "settings.rooms", "at most 500 rooms")
	for _, r := range s.Rooms {
		if !v.Check(teamspro.ValidID(r), "settings.rooms", "room ids are letters, digits and . _ : @ -") {
			break
		}
	}
	return v.Err()
}

// Normalize fills defaults so that stored settings are complete.
func (in *Input) Normalize() {
	s := &in.Settings
	if s.DefaultView == "" {
		s.DefaultView = "week"
	}
	if s.Permissions.Mode == "" {
		s.Permissions.Mode = PermEveryone
	}
	if s.BusinessDays == nil {
		s.BusinessDays = []int{1, 2, 3, 4, 5}
	}
	for i, o := range s.Owners {
		s.Owners[i] = teamspro.NormalizeGUID(o)
	}
	for i := range s.Permissions.Members {
		s.Permissions.Members[i].ObjectID = teamspro.NormalizeGUID(s.Permissions.Members[i].ObjectID)
	}
	if s.Holidays != nil {
		s.Holidays.Normalize()
	}
}

// Store keeps tabs. Every method is scoped by tenant: a tab of another tenant
// does not exist (ENOTFOUND), it is never forbidden.
type Store interface {
	// Get returns a live tab; ENOTFOUND if it does not exist or is deleted.
	Get(ctx context.Context, tenantID, tabID string) (*Tab, error)
	// ByCalendar returns the live tab that owns calendarID; ENOTFOUND otherwise.
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*Tab, error)
	// Create stores a new tab and its calendar index atomically; ECONFLICT if
	// the id is taken (deleted tabs included, until purged).
	Create(ctx context.Context, t *Tab) error
	// Update replaces a tab if its ETag still matches ifMatch ("" or "*" means
	// any); EPRECONDITION otherwise, ENOTFOUND if gone.
	Update(ctx context.Context, t *Tab, ifMatch string) error
	// Delete soft-deletes a tab (restorable until purged); ENOTFOUND, EPRECONDITION.
	Delete(ctx context.Context, tenantID, tabID, ifMatch string, at time.Time) error
	// Restore brings back a soft-deleted tab; ENOTFOUND if there is none.
	Restore(ctx context.Context, tenantID, tabID string) (*Tab, error)
	// PurgeDeleted removes, in every tenant, the tabs deleted before cutoff and
	// returns how many. A tab restored meanwhile is kept.
	PurgeDeleted(ctx context.Context, cutoff time.Time) (int, error)
}

// Clone returns a deep copy of t, so that callers of a cache never share
// settings.
func (t *Tab) Clone() *Tab {
	if t == nil {
		return nil
	}
	c := *t
	s := &c.Settings
	s.BusinessDays = slices.Clone(s.BusinessDays)
	if s.BusinessHours != nil {
		h := *s.BusinessHours
		s.BusinessHours = &h
	}
	s.Permissions.Members = slices.Clone(s.Permissions.Members)
	s.Owners = slices.Clone(s.Owners)
	s.Rooms = slices.Clone(s.Rooms)
	if s.Holidays != nil {
		h := *s.Holidays
		s.Holidays = &h
	}
	return &c
}
