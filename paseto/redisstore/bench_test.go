package redisstore_test

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
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
	return newStore(b, srv.client(b), redisstore.Config{Prefix: srv.uniquePrefix(b)})
}

func memoryBenchStore(*testing.B) paseto.Store {
	return paseto.NewMemoryStore(paseto.MemoryStoreConfig{})
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
		return newStore(b, srv.client(b), redisstore.Config{Prefix: srv.uniquePrefix(b), Clock: now})
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

// BenchmarkRefreshRotationRedisNoFsync is BenchmarkRefreshRotationRedis on
// a Redis without persistence: the tests' Redis fsyncs its append-only
// file on every write (appendfsync always), which is most of a refresh's
// cost there.
func BenchmarkRefreshRotationRedisNoFsync(b *testing.B) {
	srv := startOwnServer(b, "--appendonly", "no")
	benchRefreshRotation(b, newStore(b, srv.client(b), redisstore.Config{Prefix: srv.uniquePrefix(b)}))
}

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
	}{{0, paseto.Device{}}, {5 * time.Second, paseto.Device{}}, {0, realisticDevice}, {5 * time.Second, realisticDevice}} {
		name := fmt.Sprintf("grace=%v", tc.grace)
		if tc.device != (paseto.Device{}) {
			name += "/device"
		}
		b.Run(name, func(b *testing.B) {
			srv := startOwnServer(b)
			client := srv.client(b)
			store := newStore(b, client, redisstore.Config{})
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

// BenchmarkSessionLiveRedisCached is BenchmarkSessionLiveRedis with the
// live cache (Config.LiveCache): a hit asks Redis nothing.
func BenchmarkSessionLiveRedisCached(b *testing.B) {
	srv := startServer(b)
	store := newStore(b, srv.client(b), redisstore.Config{Prefix: srv.uniquePrefix(b), LiveCache: time.Second})
	b.Cleanup(func() { _ = store.Close() })
	auth := newAuth(b, store, time.Now, nil)
	p, err := auth.Login(ctx, "user-1234", paseto.LoginOptions{Device: realisticDevice})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if live, err := store.SessionLive(ctx, "user-1234", p.Access.Session, time.Now()); err != nil || !live {
			b.Fatalf("SessionLive: %v, %v", live, err)
		}
	}
}

func BenchmarkVerifyAccessRedisCached(b *testing.B) {
	srv := startServer(b)
	store := newStore(b, srv.client(b), redisstore.Config{Prefix: srv.uniquePrefix(b), LiveCache: time.Second})
	b.Cleanup(func() { _ = store.Close() })
	benchVerifyAccess(b, store)
}

// BenchmarkRevocationReach measures how long a revocation made through
// one Store takes to be refused by another, on a client of its own (a
// second instance) with a live cache that holds the session: each
// iteration logs a session in through A, waits until B answers it from
// its cache, revokes it through A, and polls B until it refuses. Run with
// -benchtime 1000x; the metrics are distributions (p50, p99 and max):
// of the time from the moment A's RevokeSession returned (and,
// "-from-call", from when it was called) until B's first refusal came
// back, a Redis round trip included; and ("-stale") of how long after
// RevokeSession returned B's last live answer came back (0 when there was
// none), the window in which B still accepted the session. ns/op means
// nothing.
func BenchmarkRevocationReach(b *testing.B) {
	srv := startServer(b)
	prefix := srv.uniquePrefix(b)
	a := newStore(b, srv.client(b), redisstore.Config{Prefix: prefix})
	cb := srv.client(b)
	hook := &pipeHook{}
	cb.AddHook(hook)
	bs := newStore(b, cb, redisstore.Config{Prefix: prefix, LiveCache: redisstore.MaxLiveCache})
	b.Cleanup(func() { _ = bs.Close() })
	// The identity never ages: only the invalidation (or the channel's
	// loss) ends a cached answer, not a periodic INFO.
	redisstore.SetIdentityClock(bs, storetest.NewClock(time.Now()).Now)
	var fromReturn, fromCall, stale []time.Duration
	i := 0
	for b.Loop() {
		i++
		sid := fmt.Sprintf("s%06d", i)
		now := time.Now()
		if _, err := a.CreateSession(ctx, paseto.SessionRecord{ID: sid, Subject: "alice", Current: "h" + sid,
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		cached := false
		for range 1000 {
			before := hook.n.Load()
			if live, err := bs.SessionLive(ctx, "alice", sid, time.Now()); err != nil || !live {
				b.Fatalf("SessionLive on B: %v, %v", live, err)
			}
			if hook.n.Load() == before {
				cached = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !cached {
			b.Fatal("B never answered from its cache")
		}
		called := time.Now()
		if _, err := a.RevokeSession(ctx, "alice", sid, time.Now()); err != nil {
			b.Fatal(err)
		}
		returned := time.Now()
		lastLive := returned // the end of the last check that answered live
		for {
			live, err := bs.SessionLive(ctx, "alice", sid, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if !live {
				break
			}
			lastLive = time.Now()
			if lastLive.Sub(returned) > 10*time.Second {
				b.Fatal("B still answers live 10 s after the revocation")
			}
			runtime.Gosched()
		}
		done := time.Now()
		fromReturn = append(fromReturn, done.Sub(returned))
		fromCall = append(fromCall, done.Sub(called))
		stale = append(stale, lastLive.Sub(returned))
	}
	for _, d := range []struct {
		name string
		v    []time.Duration
	}{{"", fromReturn}, {"-from-call", fromCall}, {"-stale", stale}} {
		slices.Sort(d.v)
		q := func(p float64) float64 { return float64(d.v[min(len(d.v)-1, int(p*float64(len(d.v))))].Microseconds()) }
		b.ReportMetric(q(0.5), "p50-µs"+d.name)
		b.ReportMetric(q(0.99), "p99-µs"+d.name)
		b.ReportMetric(float64(d.v[len(d.v)-1].Microseconds()), "max-µs"+d.name)
	}
	b.ReportMetric(float64(len(fromReturn)), "revocations")
}

// BenchmarkSessionUsedMemoryRedis measures what sessions cost Redis as a
// whole: the growth of INFO's used_memory over 10,000 logins, each
// refreshed once, one or five sessions per subject, without a device and
// with a realistic one; with grace 0, and ("grace=1m") inside a grace
// window of a minute, which the run stays within, so that every session
// still has its kept successor. The timed loop is empty: only the metric
// means anything.
func BenchmarkSessionUsedMemoryRedis(b *testing.B) {
	type run struct {
		perSubject int
		device     paseto.Device
		grace      time.Duration
	}
	var runs []run
	for _, perSubject := range []int{1, 5} {
		for _, device := range []paseto.Device{{}, realisticDevice} {
			runs = append(runs, run{perSubject, device, 0})
		}
	}
	runs = append(runs, run{1, paseto.Device{}, time.Minute}, run{1, realisticDevice, time.Minute})
	for _, r := range runs {
		perSubject, device := r.perSubject, r.device
		{
			name := fmt.Sprintf("per-subject=%d", perSubject)
			if device != (paseto.Device{}) {
				name += "/device"
			}
			if r.grace > 0 {
				name += "/grace=" + r.grace.String()
			}
			b.Run(name, func(b *testing.B) {
				srv := startOwnServer(b, "--appendonly", "no")
				client := srv.client(b)
				store := newStore(b, client, redisstore.Config{})
				auth := newAuth(b, store, time.Now, func(c *paseto.Config) {
					c.KeepIP = paseto.IPTruncated
					c.GracePeriod = r.grace
				})
				start := time.Now()
				used := func() int64 {
					info, err := client.Info(ctx, "memory").Result()
					if err != nil {
						b.Fatal(err)
					}
					for _, l := range strings.Split(info, "\r\n") {
						if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
							n, err := strconv.ParseInt(v, 10, 64)
							if err != nil {
								b.Fatal(err)
							}
							return n
						}
					}
					b.Fatal("no used_memory in INFO")
					return 0
				}
				// One login first, so that the scripts are loaded.
				if _, err := auth.Login(ctx, "warm-up", paseto.LoginOptions{Device: device}); err != nil {
					b.Fatal(err)
				}
				before := used()
				const n = 10_000
				for i := range n {
					p, err := auth.Login(ctx, fmt.Sprintf("user-%06d", i/perSubject), paseto.LoginOptions{Device: device})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
						b.Fatal(err)
					}
				}
				grown := used() - before
				if r.grace > 0 && time.Since(start) >= r.grace {
					b.Fatalf("the run took %v, longer than the grace window: kept successors expired", time.Since(start))
				}
				for b.Loop() {
				}
				b.ReportMetric(float64(grown)/n, "B/session")
			})
		}
	}
}
