package teamspro

import "testing"

func TestIsGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"6a9c5a6e-3d1f-4d7b-9a43-3c1f0f0e2b11", true},
		{"6A9C5A6E-3D1F-4D7B-9A43-3C1F0F0E2B11", true},
		{"6a9c5a6e-3d1f-4d7b-9a43-3c1f0f0e2b1", false},
		{"6a9c5a6e_3d1f-4d7b-9a43-3c1f0f0e2b11", false},
		{"6a9c5a6e-3d1f-4d7b-9a43-3c1f0f0e2b1g", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsGUID(tt.in); got != tt.want {
			t.Errorf("IsGUID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"tab-1", true},
		{"19:abc@thread.tacv2", true},
		{"a_b.c", true},
		{string(long[:128]), true},
		{string(long), false},
		{"", false},
		{"-leading", false},
		{"a/b", false},
		{"a'b", false},
		{"a b", false},
		{"a#b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.in); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestReachesCalendar(t *testing.T) {
	t.Parallel()
	user := Principal{TenantID: "t", ObjectID: "u"}
	key := Principal{TenantID: "t", APIKeyID: "k", CalendarIDs: []string{"c1"}}
	if !user.ReachesCalendar("any") || !key.ReachesCalendar("c1") || key.ReachesCalendar("c2") {
		t.Errorf("got user %v, key c1 %v, key c2 %v; want true, true, false",
			user.ReachesCalendar("any"), key.ReachesCalendar("c1"), key.ReachesCalendar("c2"))
	}
}

func TestValidationMerge(t *testing.T) {
	t.Parallel()
	var a, b Validation
	a.Add("title", "required")
	b.Add("title", "too long")
	b.Add("color", "too long")
	if !a.Merge(b.Err()) || a.Len() != 2 {
		t.Errorf("got %d fields, want title once and color", a.Len())
	}
	if a.Merge(Errorf(EUNAVAILABLE, "down")) || a.Len() != 2 {
		t.Errorf("merging a non-validation error: got %d fields, want it refused", a.Len())
	}
}
