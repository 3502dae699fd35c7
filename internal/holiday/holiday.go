// Package holiday answers the public holidays of a country, or of one of its
// regions, for the tabs' views and the rooms' closed-on-holidays rule.
//
// The rules themselves (fixed dates, Easter offsets, "first Monday of May",
// substitute days when a holiday falls on a weekend, years a holiday started
// or ended) come from github.com/rickar/cal/v2, a maintained BSD-licensed
// library of holiday definitions with one package per country. Holiday rules
// change (a new national day, a moved bank holiday) and are easy to get
// subtly wrong; a library that tracks them is updated by a version bump,
// where a hand-written table would rot. This package only names what the
// library offers by ISO 3166 code: the places table below points at the
// library's lists, it does not define a single holiday.
package holiday

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/teamspro/functions/internal/teamspro"
)

// Place is where holidays are observed: an ISO 3166-1 alpha-2 country code
// and, optionally, the region part of an ISO 3166-2 subdivision code ("BY"
// for Bavaria, DE-BY). A country whose holidays differ by region and that has
// no national list (Australia) needs a region.
type Place struct {
	Country string `json:"country"`
	Region  string `json:"region,omitempty"`
}

// Holiday is one public holiday on one date (the observed date: a holiday
// moved to a Monday because it fell on a Sunday is answered on the Monday).
type Holiday struct {
	Date string `json:"date"` // YYYY-MM-DD, a whole day in the place's zone
	Name string `json:"name"` // in the place's language, as the library names it
	// Type is "public" (a public or national holiday) or "bank" (a bank
	// holiday: most offices close).
	Type string `json:"type"`
	// Observed is true when Date is the substitute of a holiday falling on
	// another day (Actual).
	Observed bool   `json:"observed,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// Country is one country the library knows, with its regions.
type Country struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Regions are the codes of its regions with their own list; empty when
	// the country has one national list.
	Regions []string `json:"regions"`
	// RegionRequired is true when there is no national list.
	RegionRequired bool `json:"regionRequired"`
}

type place struct {
	name    string
	nat     []*cal.Holiday            // the national list; nil when a region is required
	regions map[string][]*cal.Holiday // region code -> its whole list
}

// Validate checks p as the member field of a request ("settings.holidays",
// "holidays"): a known country, and a region that country has, or none where
// that is allowed. Codes are upper case; lower case is accepted (see
// Normalize).
func (p *Place) Validate(field string, v *teamspro.Validation) {
	c, ok := places()[strings.ToUpper(p.Country)]
	if !ok {
		v.Add(field+".country", "is not a supported country: an ISO 3166-1 alpha-2 code such as FR, DE or US (GET /api/holidays/countries lists them)")
		return
	}
	switch r := strings.ToUpper(p.Region); {
	case r == "" && c.nat == nil:
		v.Add(field+".region", "is required for "+strings.ToUpper(p.Country)+": one of "+strings.Join(regionCodes(c), ", "))
	case r != "" && c.regions[r] == nil:
		if len(c.regions) == 0 {
			v.Add(field+".region", strings.ToUpper(p.Country)+" has no regional holidays: leave it empty")
		} else {
			v.Add(field+".region", "is not a region of "+strings.ToUpper(p.Country)+": one of "+strings.Join(regionCodes(c), ", "))
		}
	}
}

// Normalize upper-cases the codes and takes the country prefix off a full
// ISO 3166-2 region ("DE-BY" becomes "BY").
func (p *Place) Normalize() {
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	p.Region = strings.ToUpper(strings.TrimSpace(p.Region))
	p.Region = strings.TrimPrefix(p.Region, p.Country+"-")
}

func regionCodes(c place) []string {
	out := make([]string, 0, len(c.regions))
	for r := range c.regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func (p Place) list() []*cal.Holiday {
	c := places()[strings.ToUpper(p.Country)]
	if p.Region != "" {
		if l, ok := c.regions[strings.ToUpper(p.Region)]; ok {
			return l
		}
	}
	return c.nat
}

// Between returns the holidays of p on the dates from to to, both included
// (YYYY-MM-DD dates, compared as dates: a holiday is a whole day in the
// place's zone, whatever the viewer's). They are sorted by date; two
// holidays on one date are both answered. An unknown place has none.
func Between(p Place, from, to time.Time) []Holiday {
	out := []Holiday{}
	list := p.list()
	if len(list) == 0 {
		return out
	}
	f, t := civil(from), civil(to)
	// A holiday of year y may be observed in y-1 or y+1 (New Year's Day on
	// a Saturday observed on Friday 31 December): compute one year around.
	for y := from.Year() - 1; y <= to.Year()+1; y++ {
		for _, h := range list {
			if h.Type != cal.ObservancePublic && h.Type != cal.ObservanceBank {
				continue
			}
			act, obs := h.Calc(y)
			if obs.IsZero() {
				continue
			}
			d := civil(obs)
			if d < f || d > t {
				continue
			}
			hd := Holiday{Date: d, Name: h.Name, Type: "public"}
			if h.Type == cal.ObservanceBank {
				hd.Type = "bank"
			}
			if a := civil(act); a != d {
				hd.Observed, hd.Actual = true, a
			}
			out = append(out, hd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return slices.CompactFunc(out, func(a, b Holiday) bool { return a.Date == b.Date && a.Name == b.Name })
}

// On returns the holiday of p on the date of t (its year, month and day, as
// given: pass t in the place's zone), if there is one.
func On(p Place, t time.Time) (Holiday, bool) {
	hs := Between(p, t, t)
	if len(hs) == 0 {
		return Holiday{}, false
	}
	return hs[0], true
}

func civil(t time.Time) string { return t.Format(time.DateOnly) }

// Countries lists every supported country by code.
func Countries() []Country {
	out := make([]Country, 0, len(places()))
	for code, c := range places() {
		out = append(out, Country{Code: code, Name: c.name, Regions: regionCodes(c), RegionRequired: c.nat == nil})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
