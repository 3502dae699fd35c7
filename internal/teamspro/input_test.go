package teamspro

import (
	"encoding/json"
	"reflect"
	"testing"
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
