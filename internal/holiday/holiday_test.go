package holiday

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBetween(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		place    Place
		from, to string
		want     []string // "date name"
	}{
		{"France, spring 2027 (Easter on 28 March)", Place{Country: "FR"}, "2027-03-01", "2027-05-31",
			[]string{"2027-03-29 Lundi de Pâques", "2027-05-01 Fête du Travail", "2027-05-06 Ascension", "2027-05-08 Fête de la Victoire", "2027-05-17 Lundi de Pentecôte"}},
		{"Bavaria has Corpus Christi, Berlin has not", Place{Country: "DE", Region: "BY"}, "2027-05-27", "2027-05-27",
			[]string{"2027-05-27 Fronleichnam"}},
		{"Berlin on Corpus Christi", Place{Country: "DE", Region: "BE"}, "2027-05-27", "2027-05-27", nil},
		{"Germany, national list, has no Corpus Christi", Place{Country: "DE"}, "2027-05-27", "2027-05-27", nil},
		{"US Independence Day on a Sunday is observed on Monday", Place{Country: "US"}, "2027-07-01", "2027-07-10",
			[]string{"2027-07-05 Independence Day"}},
		{"a range crossing the new year", Place{Country: "FR"}, "2026-12-20", "2027-01-05",
			[]string{"2026-12-25 Noël", "2027-01-01 Nouvel an"}},
		{"lower-case codes", Place{Country: "fr"}, "2027-07-14", "2027-07-14", []string{"2027-07-14 Fête Nationale"}},
		{"unknown country: none", Place{Country: "XX"}, "2027-01-01", "2027-12-31", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, h := range Between(tc.place, date(tc.from), date(tc.to)) {
				got = append(got, h.Date+" "+h.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Between(%+v, %s, %s) = %q, want %q", tc.place, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestObservedIsMarked(t *testing.T) {
	t.Parallel()
	h, ok := On(Place{Country: "US"}, date("2027-07-05"))
	if !ok {
		t.Fatal("2027-07-05 is not a US holiday, want Independence Day observed")
	}
	if !h.Observed || h.Actual != "2027-07-04" {
		t.Errorf("got observed %v actual %q, want true 2027-07-04", h.Observed, h.Actual)
	}
	if _, ok := On(Place{Country: "US"}, date("2027-07-04")); ok {
		t.Error("the Sunday itself is answered too, want only the observed Monday")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		place Place
		want  string // the field at fault, "" for valid
	}{
		{"a country", Place{Country: "FR"}, ""},
		{"a country and region", Place{Country: "DE", Region: "BY"}, ""},
		{"a full ISO 3166-2 region", Place{Country: "de", Region: "de-by"}, ""},
		{"unknown country", Place{Country: "XX"}, "holidays.country"},
		{"empty country", Place{}, "holidays.country"},
		{"unknown region", Place{Country: "DE", Region: "ZZ"}, "holidays.region"},
		{"a region where the country has none", Place{Country: "FR", Region: "IDF"}, "holidays.region"},
		{"a region is required in Australia", Place{Country: "AU"}, "holidays.region"},
		{"an Australian state", Place{Country: "AU", Region: "NSW"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.place
			p.Normalize()
			var v teamspro.Validation
			p.Validate("holidays", &v)
			err := v.Err()
			var te *teamspro.Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tc.want != "" && (!errors.As(err, &te) || len(te.Fields) != 1 || te.Fields[0].Field != tc.want):
				t.Errorf("got %v, want one error on %s", err, tc.want)
			}
		})
	}
}

func TestCountries(t *testing.T) {
	t.Parallel()
	cs := Countries()
	i := slices.IndexFunc(cs, func(c Country) bool { return c.Code == "AU" })
	if i < 0 || !cs[i].RegionRequired || !slices.Contains(cs[i].Regions, "VIC") {
		t.Errorf("got AU %+v, want a required region list with VIC", cs[max(i, 0)])
	}
	for _, c := range cs {
		if len(Between(Place{Country: c.Code, Region: first(c.Regions)}, date("2027-01-01"), date("2027-12-31"))) == 0 {
			t.Errorf("%s (%s) has no holiday in 2027", c.Code, c.Name)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
