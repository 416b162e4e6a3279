// Package fakeclock is the one fake clock of this repository's tests.
// Tests drive expiry by moving it, never by sleeping. It is safe for
// concurrent use, so a test may advance it while requests run.
//
// It is published as [github.com/pasetoauth/pasetoauth/pasetotest.Clock]
// for applications' tests and as
// [github.com/pasetoauth/pasetoauth/paseto/storetest.Clock] for stores
// outside this module.
package fakeclock

import (
	"sync/atomic"
	"time"
)

// Clock is a settable clock. Its Now method is what a paseto.Config.Clock,
// a store's Clock option or paseto.VerifierConfig.Clock takes.
type Clock struct{ ns atomic.Int64 }

// New returns a Clock reading t.
func New(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Advance moves the clock by d (backwards when d is negative).
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
