package unixnano

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestFromRefusesWhatWouldWrap(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want int64
		err  error
	}{
		{time.Unix(0, 0), 0, nil},
		{time.Unix(1_700_000_000, 5), 1_700_000_000_000_000_005, nil},
		{time.Unix(0, math.MaxInt64), math.MaxInt64, nil},
		{time.Unix(0, -1), 0, ErrRange},
		{time.Unix(0, math.MaxInt64).Add(time.Nanosecond), 0, ErrRange},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 0, ErrRange},
	} {
		got, err := From(tc.t)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("From(%v) = %d, %v; want %d, %v", tc.t, got, err, tc.want, tc.err)
		}
	}
}

func TestUntilClamps(t *testing.T) {
	if got := Until(time.Unix(0, -5)); got != 0 {
		t.Errorf("Until(before 1970) = %d, want 0", got)
	}
	if got := Until(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); got != math.MaxInt64 {
		t.Errorf("Until(3000) = %d, want MaxInt64", got)
	}
	if got := Until(time.Unix(2, 0)); got != 2e9 {
		t.Errorf("Until(2s) = %d", got)
	}
}

func TestAddSat(t *testing.T) {
	if got := AddSat(math.MaxInt64-1, 5); got != math.MaxInt64 {
		t.Errorf("AddSat overflow = %d", got)
	}
	if got := AddSat(3, 4); got != 7 {
		t.Errorf("AddSat(3, 4) = %d", got)
	}
}
