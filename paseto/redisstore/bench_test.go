package redisstore_test

import (
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// The benchmarks put the Redis store next to the memory store on the same
// work, in one run. Run with -benchmem. Against a local redis-server the
// Redis figures are dominated by the loopback round trip (one MGET per
// verification, one EVALSHA per refresh).

func redisBenchStore(b *testing.B) paseto.Store {
	srv := startServer(b)
	return newStore(b, srv.client(b), redisstore.Options{Prefix: srv.uniquePrefix(b)})
}

func memoryBenchStore(*testing.B) paseto.Store {
	return paseto.NewMemoryStore(paseto.MemoryStoreOptions{})
}

// benchVerifyAccess: Auth.VerifyAccess of a valid v4.local access token,
// that is the cryptography, the claims and the store's revocation check.
func benchVerifyAccess(b *testing.B, store paseto.Store) {
	auth := newAuth(b, store, time.Now, nil)
	p, err := auth.Login(ctx, "user-1234")
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
	p, err := auth.Login(ctx, "user-1234")
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
