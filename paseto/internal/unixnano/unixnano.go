// Package unixnano converts times to the unix nanoseconds the session
// stores keep (Redis, PostgreSQL and SQLite alike), refusing or clamping
// the instants an int64 of nanoseconds cannot hold instead of wrapping
// them around, as time.Time.UnixNano does silently.
package unixnano

import (
	"errors"
	"math"
	"time"
)

// ErrRange is From's error for an instant before 1970 or after 2262.
var ErrRange = errors.New("time outside 1970..2262, not representable in unix nanoseconds")

var (
	first = time.Unix(0, 0)
	last  = time.Unix(0, math.MaxInt64)
)

// From is t.UnixNano for the instants a store can represent. Earlier or
// later ones are refused with ErrRange, so the request fails closed.
func From(t time.Time) (int64, error) {
	if t.Before(first) || t.After(last) {
		return 0, ErrRange
	}
	return t.UnixNano(), nil
}

// Until is the unix nanoseconds of an end time, clamped into range instead
// of refused: an end before 1970 is simply over, one after 2262 is as good
// as never.
func Until(t time.Time) int64 {
	switch {
	case t.Before(first):
		return 0
	case t.After(last):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// AddSat is a+d, saturating at math.MaxInt64; neither may be negative.
func AddSat(a, d int64) int64 {
	if a > math.MaxInt64-d {
		return math.MaxInt64
	}
	return a + d
}
