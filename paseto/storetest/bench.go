package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// benchDevice is a realistic device: a browser's user agent, a truncated
// IPv4 address and a short label.
var benchDevice = paseto.Device{
	UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	IP:        "203.0.113.7",
	Label:     "Firefox on Linux",
}

// Benchmark measures the session-management operations through paseto.Auth
// on the store newStore builds (over fresh state, with now as its clock):
//
//   - LoginWithDevice: Auth.Login with a Device, token minting included;
//   - ListSessions/n: Auth.ListSessions of a subject with n live sessions
//     (1, 10, 100);
//   - RevokeSession: Auth.RevokeSession of one live session.
//
// Call it from a store's benchmark: the memory and Redis stores in this
// module do, so their figures compare directly.
func Benchmark(b *testing.B, newStore func(b *testing.B, now func() time.Time) paseto.Store) {
	ctx := context.Background()
	var clock *Clock
	setup := func(b *testing.B) *paseto.Auth {
		b.Helper()
		clock = NewClock(time.Now())
		access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
		refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
		a, err := paseto.New(paseto.Config{
			AccessKeys: access, RefreshKeys: refresh, Store: newStore(b, clock.Now), Clock: clock.Now,
			KeepIP: paseto.IPTruncated, Logger: quietLogger(),
		})
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	b.Run("LoginWithDevice", func(b *testing.B) {
		a := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			// A thousand subjects: sessions per subject grow as in a real
			// application, not without bound on one.
			if _, err := a.Login(ctx, "user-"+strconv.Itoa(i%1000), paseto.LoginOptions{Device: benchDevice}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	for _, n := range []int{1, 10, 100} {
		b.Run("ListSessions/"+strconv.Itoa(n), func(b *testing.B) {
			a := setup(b)
			for range n {
				if _, err := a.Login(ctx, "alice", paseto.LoginOptions{Device: benchDevice}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				l, err := a.ListSessions(ctx, "alice", "")
				if err != nil || len(l) != n {
					b.Fatalf("ListSessions: %d sessions, %v", len(l), err)
				}
			}
		})
	}
	b.Run("RevokeSession", func(b *testing.B) {
		a := setup(b)
		// Sessions are made in untimed batches, so that a fast store's
		// large b.N never fills it.
		const batch = 1000
		sids := make([]string, 0, batch)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if i%batch == 0 {
				b.StopTimer()
				// Past the tombstones of the last batch, which a store
				// may keep for a minute.
				clock.Advance(2 * paseto.MaxGracePeriod)
				sids = sids[:0]
				for j := range min(batch, b.N-i) {
					p, err := a.Login(ctx, "user-"+strconv.Itoa((i+j)%1000), paseto.LoginOptions{Device: benchDevice})
					if err != nil {
						b.Fatal(err)
					}
					sids = append(sids, p.Access.Session)
				}
				b.StartTimer()
			}
			if err := a.RevokeSession(ctx, "user-"+strconv.Itoa(i%1000), sids[i%batch]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
