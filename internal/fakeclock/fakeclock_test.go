package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.FixedZone("x", 3600))
	c := fakeclock.New(t0)
	if !c.Now().Equal(t0) || c.Now().Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", c.Now(), t0)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(t0); got != 800*time.Second {
		t.Fatalf("after concurrent advances: +%v, want +800s", got)
	}
	c.Set(t0)
	c.Advance(-time.Minute)
	if !c.Now().Equal(t0.Add(-time.Minute)) {
		t.Fatalf("Set and Advance back: %v", c.Now())
	}
}
