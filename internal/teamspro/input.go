package teamspro

import (
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// Body reads a request's input into v, a pointer. Services take one rather
// than a decoded value when they check who may act before reading what was
// sent, so that a caller who may not act learns that first, whatever they
// sent; and when the input is read over current values (PATCH).
type Body func(v any) error

// TimeOrDate reads s, an RFC 3339 date-time or a date (YYYY-MM-DD, its
// midnight in loc), and records against field when it is neither. Empty s
// is the zero time.
func (v *Validation) TimeOrDate(field, s string, loc *time.Location) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if loc == nil {
		loc = time.UTC
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d
	}
	v.Add(field, "must be an RFC 3339 date-time or a date (YYYY-MM-DD)")
	return time.Time{}
}

// ZoneOf returns the location of an IANA name, UTC when it is empty or
// unknown: for reading the dates of something whose zone was validated when
// it was stored.
func ZoneOf(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := LoadZone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// zones caches the locations LoadZone found, by name. It stays small: only
// names of the zone database load.
var zones sync.Map // name -> *time.Location

// LoadZone is time.LoadLocation remembered per process: LoadLocation reads
// and parses the zone's file at every call, and views and schedules read
// their calendar's or room's zone at every request.
func LoadZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// ReadOver runs read, which decodes JSON into v, a pointer to a struct that
// may hold current values (a PATCH reads the input over them). An array sent
// must replace the current one whole, but encoding/json decodes an array
// into the slice it finds and reuses its elements, merging each object sent
// into the current one member by member (and writing into the backing array
// the current values share). So every non-empty slice member of v (embedded
// structs included) is replaced by a marker while read runs, and put back
// only where the input did not name it.
func ReadOver(v any, read func(any) error) error {
	type aside struct {
		field  reflect.Value
		old    reflect.Value
		marker unsafe.Pointer
	}
	var set []aside
	var walk func(s reflect.Value)
	walk = func(s reflect.Value) {
		for i := range s.NumField() {
			f, sf := s.Field(i), s.Type().Field(i)
			switch {
			case sf.Anonymous && f.Kind() == reflect.Struct:
				walk(f)
			case !sf.IsExported() || f.Kind() != reflect.Slice || f.Len() == 0:
			default:
				// A slice of length and capacity 0 over an element of its
				// own: the decoder allocates anew for an array, sets nil for
				// null, and leaves the marker where the member is absent.
				m := reflect.MakeSlice(f.Type(), 1, 1).Slice3(0, 0, 0)
				set = append(set, aside{field: f, old: reflect.ValueOf(f.Interface()), marker: m.UnsafePointer()})
				f.Set(m)
			}
		}
	}
	if p := reflect.ValueOf(v); p.Kind() == reflect.Pointer && p.Elem().Kind() == reflect.Struct {
		walk(p.Elem())
	}
	err := read(v)
	for _, a := range set {
		if a.field.Kind() == reflect.Slice && a.field.Len() == 0 && a.field.UnsafePointer() == a.marker {
			a.field.Set(a.old)
		}
	}
	return err
}
