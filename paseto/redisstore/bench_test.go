package redisstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// The benchmarks put the Redis store next to the memory store on the same
// work, in one run. Run with -benchmem. Against a local redis-server the
// Redis figures are dominated by the loopback round trip (one pipeline of
// HMGET and GET per verification, one EVALSHA per refresh).

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

func BenchmarkVerifyAccessRedis(b *testing.B)     { benchVerifyAccess(b, redisBenchStore(b)) }
func BenchmarkVerifyAccessMemory(b *testing.B)    { benchVerifyAccess(b, memoryBenchStore(b)) }
func BenchmarkRefreshRotationRedis(b *testing.B)  { benchRefreshRotation(b, redisBenchStore(b)) }
func BenchmarkRefreshRotationMemory(b *testing.B) { benchRefreshRotation(b, memoryBenchStore(b)) }

// BenchmarkSessionMemoryRedis measures what a session costs Redis (MEMORY
// USAGE of every key the store holds, per session) for sessions of one
// subject each, logged in and refreshed once, with the default prefix.
// B/session is the steady state, once the grace window has passed and the
// kept successor (PX = grace) is gone; B/session-in-grace counts it too.
// The timed loop is empty: only the metrics mean anything.
func BenchmarkSessionMemoryRedis(b *testing.B) {
	for _, grace := range []time.Duration{0, 5 * time.Second} {
		b.Run(fmt.Sprintf("grace=%v", grace), func(b *testing.B) {
			srv := startOwnServer(b)
			client := srv.client(b)
			store := newStore(b, client, redisstore.Options{})
			auth := newAuth(b, store, time.Now, func(c *paseto.Config) { c.GracePeriod = grace })
			const n = 200
			for i := range n {
				p, err := auth.Login(ctx, fmt.Sprintf("user-%06d", i), paseto.LoginOptions{})
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
