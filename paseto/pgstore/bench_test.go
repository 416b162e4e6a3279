package pgstore_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The benchmarks measure the PostgreSQL store through paseto.Auth on the
// test binary's own cluster (loopback TCP), as the Redis store's measure
// it on a local redis-server. The figures in docs/benchmarks.md were taken
// with PASETOAUTH_PG_FSYNC=on (the server's default durability: each write
// waits for the WAL to reach the disk); without it the cluster runs with
// fsync off, as the tests do. Run with -benchmem.

// realisticDevice is the device the storetest benchmarks use too.
var realisticDevice = paseto.Device{
	UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	IP:        "203.0.113.7",
	Label:     "Firefox on Linux",
}

// BenchmarkVerifyAccessPostgres: Auth.VerifyAccess of a valid access
// token: the cryptography, the claims and the store's session check (one
// primary-key lookup).
func BenchmarkVerifyAccessPostgres(b *testing.B) {
	auth := newAuth(b, newStore(b, time.Now, 0), nil)
	p, err := auth.Login(ctx, "user-1234", paseto.LoginOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.VerifyAccess(ctx, p.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionLivePostgres: the store's per-request check alone, for
// a live session of a subject with 10 sessions.
func BenchmarkSessionLivePostgres(b *testing.B) {
	store := newStore(b, time.Now, 0)
	auth := newAuth(b, store, nil)
	var p *paseto.TokenPair
	for range 10 {
		var err error
		if p, err = auth.Login(ctx, "user-1234", paseto.LoginOptions{Device: realisticDevice}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if live, err := store.SessionLive(ctx, "user-1234", p.Access.Session, time.Now()); err != nil || !live {
			b.Fatalf("SessionLive: %v, %v", live, err)
		}
	}
}

// BenchmarkRefreshRotationPostgres: one login, then a chain of refreshes,
// each presenting the refresh token the previous one returned.
func BenchmarkRefreshRotationPostgres(b *testing.B) {
	auth := newAuth(b, newStore(b, time.Now, 0), nil)
	p, err := auth.Login(ctx, "user-1234", paseto.LoginOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rt := p.RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		p, err := auth.Refresh(ctx, rt)
		if err != nil {
			b.Fatal(err)
		}
		rt = p.RefreshToken
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
}

// BenchmarkRotationThroughputPostgres: clients refreshing at once, each
// its own session's chain, through one Auth and one pool of as many
// connections: the rotation throughput of the store, in refreshes/s.
func BenchmarkRotationThroughputPostgres(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			auth := newAuth(b, newStore(b, time.Now, int32(clients)), nil)
			rts := make([]string, clients)
			for i := range rts {
				p, err := auth.Login(ctx, "user-"+strconv.Itoa(i), paseto.LoginOptions{})
				if err != nil {
					b.Fatal(err)
				}
				rts[i] = p.RefreshToken
			}
			var (
				next atomic.Int64
				wg   sync.WaitGroup
				fail atomic.Value
			)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rt := rts[i]
					for next.Add(1) <= int64(b.N) {
						p, err := auth.Refresh(ctx, rt)
						if err != nil {
							fail.Store(err)
							return
						}
						rt = p.RefreshToken
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if err := fail.Load(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
		})
	}
}

// BenchmarkSessionsPostgres: session management through paseto.Auth (see
// storetest.Benchmark): a login with a realistic device, listing 1, 10 and
// 100 sessions, revoking one.
func BenchmarkSessionsPostgres(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B, now func() time.Time) paseto.Store {
		return newStore(b, now, 0)
	})
}
