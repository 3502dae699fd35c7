package teamspro

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestReadOver(t *testing.T) {
	type person struct {
		ObjectID string `json:"objectId,omitempty"`
		UPN      string `json:"upn,omitempty"`
	}
	type inner struct {
		Tags []string `json:"tags"`
	}
	type doc struct {
		inner
		Title  string   `json:"title"`
		People []person `json:"people"`
	}
	current := func() doc {
		return doc{inner: inner{Tags: []string{"a", "b"}}, Title: "t", People: []person{{ObjectID: "b"}, {ObjectID: "c"}}}
	}
	for _, tc := range []struct {
		name, body string
		want       doc
	}{
		{"an array sent replaces the current one whole", `{"people":[{"upn":"x"}]}`,
			doc{inner: inner{Tags: []string{"a", "b"}}, Title: "t", People: []person{{UPN: "x"}}}},
		{"an absent array is kept", `{"title":"u"}`,
			doc{inner: inner{Tags: []string{"a", "b"}}, Title: "u", People: []person{{ObjectID: "b"}, {ObjectID: "c"}}}},
		{"an empty array empties it", `{"people":[],"tags":[]}`,
			doc{inner: inner{Tags: []string{}}, Title: "t", People: []person{}}},
		{"null clears it", `{"people":null}`,
			doc{inner: inner{Tags: []string{"a", "b"}}, Title: "t"}},
		{"an embedded struct's array is replaced too", `{"tags":["z"]}`,
			doc{inner: inner{Tags: []string{"z"}}, Title: "t", People: []person{{ObjectID: "b"}, {ObjectID: "c"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := current()
			shared := got.People
			err := ReadOver(&got, func(v any) error { return json.Unmarshal([]byte(tc.body), v) })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if want := current().People; !reflect.DeepEqual(shared, want) {
				t.Errorf("the current values' array was written: got %+v, want %+v", shared, want)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, zone string
		wantErr    bool
	}{
		{"an IANA name", "Europe/Paris", false},
		{"another", "America/New_York", false},
		{"UTC", "UTC", false},
		{"an unknown name", "Mars/Olympus_Mons", true},
		{"a path out of the database", "../../etc/passwd", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, wantErr := time.LoadLocation(tc.zone)
			for i := range 2 { // the second call is served from the cache
				got, err := LoadZone(tc.zone)
				if (err != nil) != tc.wantErr || (wantErr != nil) != tc.wantErr {
					t.Fatalf("call %d: got error %v (time.LoadLocation: %v), want error %v", i, err, wantErr, tc.wantErr)
				}
				if err != nil {
					if _, cached := zones.Load(tc.zone); cached {
						t.Errorf("got %q cached after an error, want it not remembered", tc.zone)
					}
					continue
				}
				if got.String() != want.String() {
					t.Errorf("call %d: got %v, want %v", i, got, want)
				}
				at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
				if g, w := at.In(got).Format(time.RFC3339), at.In(want).Format(time.RFC3339); g != w {
					t.Errorf("call %d: got %s in the zone, want %s", i, g, w)
				}
			}
			if tc.wantErr {
				return
			}
			a, _ := LoadZone(tc.zone)
			b, _ := LoadZone(tc.zone)
			if a != b {
				t.Errorf("got two locations for %q, want the remembered one", tc.zone)
			}
		})
	}
}

func TestZoneOf(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, zone string
		want       *time.Location
	}{
		{"empty is UTC", "", time.UTC},
		{"unknown is UTC", "Nowhere/Special", time.UTC},
		{"a zone", "Europe/Paris", paris},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ZoneOf(tc.zone); got.String() != tc.want.String() {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
