package redisstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The benchmarks put the Redis store next to the memory store on the same
// work, in one run. Run with -benchmem. Against a local redis-server the
// Redis figures are dominated by the loopback round trip (one pipeline of
// HMGET and ZSCORE per verification, one EVALSHA per refresh, a login or a
// logout, two round trips per listing).

func redisBenchStore(b *testing.B) paseto.Store {
	srv := startServer(b)
	return newStore(b, srv.client(b), redisstore.Options{Prefix: srv.uniquePrefix(b)})
}

func memoryBenchStore(*testing.B) paseto.Store {
	return paseto.NewMemoryStore(paseto.MemoryStoreOptions{})
}

// benchVerifyAccess: Auth.VerifyAccess of a valid v4.local access token,
// that is the cryptography, the claims and the store's session check.
func benchVerifyAccess(b *testing.B, store paseto.Store) {
	auth := newAuth(b, store, time.Now, nil)
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

// benchRefreshRotation: one login, then a chain of refreshes, each
// presenting the refresh token the previous one returned.
func benchRefreshRotation(b *testing.B, store paseto.Store) {
	auth := newAuth(b, store, time.Now, nil)
	p, err := auth.Login(ctx, "user-1234", paseto.LoginOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rt := p.RefreshToken
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		p, err := auth.Refresh(ctx, rt)
		if err != nil {
			b.Fatal(err)
		}
		rt = p.RefreshToken
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "refreshes/s")
}

// BenchmarkSessionsRedis: session management through paseto.Auth (see
// storetest.Benchmark): a login with a realistic device, listing 1, 10 and
// 100 sessions, revoking one.
func BenchmarkSessionsRedis(b *testing.B) {
	srv := startServer(b)
	storetest.Benchmark(b, func(b *testing.B, now func() time.Time) paseto.Store {
		return newStore(b, srv.client(b), redisstore.Options{Prefix: srv.uniquePrefix(b), Clock: now})
	})
}

// BenchmarkSessionLiveRedis: the store's per-request check alone, for a
// live session of a subject with 10 sessions.
func BenchmarkSessionLiveRedis(b *testing.B) {
	store := redisBenchStore(b)
	auth := newAuth(b, store, time.Now, nil)
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

func BenchmarkVerifyAccessRedis(b *testing.B)     { benchVerifyAccess(b, redisBenchStore(b)) }
func BenchmarkVerifyAccessMemory(b *testing.B)    { benchVerifyAccess(b, memoryBenchStore(b)) }
func BenchmarkRefreshRotationRedis(b *testing.B)  { benchRefreshRotation(b, redisBenchStore(b)) }
func BenchmarkRefreshRotationMemory(b *testing.B) { benchRefreshRotation(b, memoryBenchStore(b)) }

// BenchmarkSessionMemoryRedis measures what a session costs Redis (MEMORY
// USAGE of every key the store holds, per session) for sessions of one
// subject each, logged in and refreshed once, with the default prefix,
// without a device and with a realistic one. B/session is the steady
// state, once the grace window has passed and the kept successor (PX =
// grace) is gone; B/session-in-grace counts it too. The timed loop is
// empty: only the metrics mean anything.
func BenchmarkSessionMemoryRedis(b *testing.B) {
	for _, tc := range []struct {
		grace  time.Duration
		device paseto.Device
	}{{0, paseto.Device{}}, {5 * time.Second, paseto.Device{}}, {0, realisticDevice}} {
		name := fmt.Sprintf("grace=%v", tc.grace)
		if tc.device != (paseto.Device{}) {
			name += "/device"
		}
		b.Run(name, func(b *testing.B) {
			srv := startOwnServer(b)
			client := srv.client(b)
			store := newStore(b, client, redisstore.Options{})
			auth := newAuth(b, store, time.Now, func(c *paseto.Config) {
				c.GracePeriod = tc.grace
				c.KeepIP = paseto.IPTruncated
			})
			const n = 200
			for i := range n {
				p, err := auth.Login(ctx, fmt.Sprintf("user-%06d", i), paseto.LoginOptions{Device: tc.device})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
					b.Fatal(err)
				}
			}
			var all, kept int64
			for _, k := range keysOf(b, client, redisstore.DefaultPrefix) {
				m, err := client.MemoryUsage(ctx, k, 0).Result()
				if err != nil {
					b.Fatal(err)
				}
				all += m
				if strings.Contains(k, "}:w:") {
					kept += m
				}
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(all-kept)/n, "B/session")
			b.ReportMetric(float64(all)/n, "B/session-in-grace")
		})
	}
}
