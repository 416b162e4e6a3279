package paseto_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The memory store's cost, measured two ways:
//
//   - BenchmarkMemoryStore: one call at a time on a store holding
//     memBenchSessions sessions (go test -bench MemoryStore -benchmem).
//   - TestMemoryStoreScale, only with PASETOAUTH_MEMSTORE_SCALE=1: the
//     latency of SessionLive from several goroutines on a store of a million
//     sessions while half of them end and a writer logs users in and
//     refreshes, which is when a store that sweeps would freeze readers,
//     next to the same load on a store that does nothing (the floor).
//
// Both reach the store only through memScaleStore, so that the same code
// measures another version of the store behind an adapter of its own.

// memScaleStore is what the measurements call.
type memScaleStore struct {
	live   func(subject, sid string, now time.Time) bool
	create func(r paseto.SessionRecord) error
	rotate func(r paseto.Rotation) error
	len    func() int
}

func newMemScaleStore(clock func() time.Time, maxEntries int) memScaleStore {
	m := paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock, MaxEntries: maxEntries})
	ctx := context.Background()
	return memScaleStore{
		live: func(subject, sid string, now time.Time) bool {
			live, _ := m.SessionLive(ctx, subject, sid, now)
			return live
		},
		create: func(r paseto.SessionRecord) error { _, err := m.CreateSession(ctx, r); return err },
		rotate: func(r paseto.Rotation) error { _, err := m.Rotate(ctx, r); return err },
		len:    m.Len,
	}
}

const memBenchSessions = 100_000

// memIDs are n sessions' IDs and subjects (two sessions each), shaped like
// the real ones.
func memIDs(prefix string, n int) (sids, subjects []string) {
	sids, subjects = make([]string, n), make([]string, n)
	for i := range n {
		sids[i] = fmt.Sprintf("%s%021d", prefix, i)
		subjects[i] = fmt.Sprintf("user-%d", i/2)
	}
	return sids, subjects
}

// memHashA and memHashB are shaped like refresh-token IDs' hashes.
var memHashA, memHashB = strings.Repeat("A", 43), strings.Repeat("B", 43)

func BenchmarkMemoryStore(b *testing.B) {
	// preload returns a store holding memBenchSessions sessions, live for
	// a month.
	preload := func(b *testing.B) (memScaleStore, *storetest.Clock, []string, []string) {
		clock := storetest.NewClock(memT0)
		s := newMemScaleStore(clock.Now, 50_000_000)
		sids, subjects := memIDs("s", memBenchSessions)
		for i := range sids {
			err := s.create(paseto.SessionRecord{ID: sids[i], Subject: subjects[i], Current: memHashA,
				CreatedAt: memT0, ExpiresAt: memT0.Add(paseto.DefaultSessionLifetime), IdleTimeout: paseto.DefaultIdleTimeout})
			if err != nil {
				b.Fatal(err)
			}
		}
		return s, clock, sids, subjects
	}
	b.Run("SessionLive", func(b *testing.B) {
		s, clock, sids, subjects := preload(b)
		now := clock.Now()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if !s.live(subjects[i], sids[i], now) {
				b.Fatal("session not live")
			}
			if i++; i == len(sids) {
				i = 0
			}
		}
	})
	b.Run("SessionLive-parallel", func(b *testing.B) {
		s, clock, sids, subjects := preload(b)
		now := clock.Now()
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(7919)) % len(sids)
			for pb.Next() {
				if !s.live(subjects[i], sids[i], now) {
					panic("session not live")
				}
				if i++; i == len(sids) {
					i = 0
				}
			}
		})
	})
	b.Run("CreateSession", func(b *testing.B) {
		// Sessions last 100 s and the clock moves 1 ms a login, so about
		// 100,000 are held and as many end as begin: expiry is part of the
		// cost.
		s, clock, _, _ := preload(b)
		sids, subjects := memIDs("n", b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			clock.Advance(time.Millisecond)
			now := clock.Now()
			err := s.create(paseto.SessionRecord{ID: sids[i], Subject: subjects[i], Current: memHashA,
				CreatedAt: now, ExpiresAt: now.Add(100 * time.Second)})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, grace := range []time.Duration{0, 10 * time.Second} {
		name := "Rotate"
		wrapped := ""
		if grace > 0 {
			name += "-grace"
			wrapped = strings.Repeat("w", 760) // the size of a wrapped successor
		}
		b.Run(name, func(b *testing.B) {
			s, clock, sids, subjects := preload(b)
			hashes := [2]string{memHashA, memHashB}
			turn := make([]uint8, len(sids)) // which hash is current
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				clock.Advance(time.Millisecond)
				err := s.rotate(paseto.Rotation{Subject: subjects[i], Session: sids[i],
					Presented: hashes[turn[i]], Successor: hashes[1-turn[i]], WrappedSuccessor: wrapped,
					Now: clock.Now(), Grace: grace})
				if err != nil {
					b.Fatal(err)
				}
				turn[i] = 1 - turn[i]
				if i++; i == len(sids) {
					i = 0
				}
			}
		})
	}
}

// TestMemoryStoreScale measures SessionLive's latency at a million
// sessions while half of them end. It takes about 10 s and 1 GB, so it
// runs only when asked:
//
//	PASETOAUTH_MEMSTORE_SCALE=1 go test ./paseto/ -run MemoryStoreScale -v
func TestMemoryStoreScale(t *testing.T) {
	if os.Getenv("PASETOAUTH_MEMSTORE_SCALE") == "" {
		t.Skip("set PASETOAUTH_MEMSTORE_SCALE=1 to measure the memory store at a million sessions")
	}
	// The floor first: the same load on a store that does nothing, so what
	// is left is the machine's own scheduling and the load generator.
	f := runMemScale(t, newNoopScaleStore)
	t.Log("no-op store (floor):", f)
	runtime.GC() // the floor's garbage is not the store's
	r := runMemScale(t, newMemScaleStore)
	t.Log("memory store:", r)
	t.Logf("request p99: %v against the floor's %v (%.2fx)", r.p99, f.p99, float64(r.p99)/float64(max(f.p99, 1)))
}

// newNoopScaleStore answers every call at once: the floor of runMemScale.
func newNoopScaleStore(func() time.Time, int) memScaleStore {
	var n atomic.Int64
	return memScaleStore{
		live:   func(string, string, time.Time) bool { return true },
		create: func(paseto.SessionRecord) error { n.Add(1); return nil },
		rotate: func(paseto.Rotation) error { return nil },
		len:    func() int { return int(n.Load()) },
	}
}

const (
	memScaleSessions = 1_000_000
	memScaleReaders  = 2                      // besides the writer, on a 2-core machine
	memScaleArrival  = 100 * time.Microsecond // between requests to one reader
	memScaleWrites   = 100_000                // logins and refreshes, paced over memScaleFor
	memScaleFor      = 5 * time.Second        // of real time
	memScaleMoves    = 3 * time.Minute        // of the fake clock over the run
)

type memScaleResult struct {
	requests, writes      int
	p50, p99, p999, max   time.Duration // of a request, from its arrival
	rawP99, rawP999       time.Duration // of a SessionLive call
	writeP99, writeMax    time.Duration
	heldBefore, heldAfter int
	elapsed               time.Duration
}

func (r memScaleResult) String() string {
	return fmt.Sprintf("%d requests to %d goroutines calling SessionLive: p50 %v p99 %v p99.9 %v max %v (per call: p99 %v p99.9 %v) | "+
		"%d writes: p99 %v max %v | records %d -> %d | %v",
		r.requests, memScaleReaders, r.p50, r.p99, r.p999, r.max, r.rawP99, r.rawP999,
		r.writes, r.writeP99, r.writeMax, r.heldBefore, r.heldAfter, r.elapsed.Round(time.Millisecond))
}

// runMemScale: a million sessions, half of them ending between one and two
// minutes from the start, the other half in a month. memScaleReaders
// goroutines call SessionLive on random sessions while a writer logs in
// new users and refreshes old sessions at a steady pace and moves the fake
// clock three minutes forward, past the end of the first half. Every call
// is timed.
func runMemScale(t *testing.T, newStore func(clock func() time.Time, maxEntries int) memScaleStore) memScaleResult {
	clock := storetest.NewClock(memT0)
	s := newStore(clock.Now, 4*memScaleSessions)
	sids, subjects := memIDs("s", memScaleSessions)
	for i := range sids {
		end := memT0.Add(paseto.DefaultSessionLifetime)
		if i%2 == 0 {
			end = memT0.Add(time.Minute + time.Duration(i)*time.Minute/memScaleSessions)
		}
		err := s.create(paseto.SessionRecord{ID: sids[i], Subject: subjects[i], Current: memHashA,
			CreatedAt: memT0, ExpiresAt: end, IdleTimeout: paseto.DefaultIdleTimeout})
		if err != nil {
			t.Fatal(err)
		}
	}
	newSids, newSubjects := memIDs("n", memScaleWrites)
	res := memScaleResult{heldBefore: s.len()}
	runtime.GC()

	// Readers verify without pause, and requests arrive at each reader every
	// memScaleArrival: a request's latency runs from its arrival to the end
	// of the first call that starts after it. So requests that arrive while
	// the store holds readers back all wait, and all count, at the same
	// rate whatever the store (no coordinated omission).
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		perCall = make([][]int32, memScaleReaders) // ns, at most 2 s
		perReq  = make([][]int32, memScaleReaders)
		begin   = time.Now()
	)
	for g := range memScaleReaders {
		wg.Go(func() {
			calls := make([]int32, 0, 1<<24)
			reqs := make([]int32, 0, 2*int(memScaleFor/memScaleArrival))
			arrival := begin
			x := uint64(g)*0x9E3779B97F4A7C15 + 1
			for !stop.Load() {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				i := int(x % memScaleSessions)
				now := clock.Now()
				start := time.Now()
				s.live(subjects[i], sids[i], now)
				end := time.Now()
				if len(calls) < cap(calls) {
					calls = append(calls, int32(min(end.Sub(start), math.MaxInt32)))
				}
				for ; !arrival.After(start) && len(reqs) < cap(reqs); arrival = arrival.Add(memScaleArrival) {
					reqs = append(reqs, int32(min(end.Sub(arrival), math.MaxInt32)))
				}
				// As a server's goroutines do, let the writer in between
				// calls rather than when the scheduler preempts a reader
				// after 10 ms.
				runtime.Gosched()
			}
			perCall[g], perReq[g] = calls, reqs
		})
	}

	step := memScaleMoves / memScaleWrites
	pace := memScaleFor / memScaleWrites
	writes := make([]time.Duration, 0, memScaleWrites)
	for k := range memScaleWrites {
		if k%64 == 0 {
			if ahead := time.Duration(k)*pace - time.Since(begin); ahead > 0 {
				time.Sleep(ahead) // pacing the writer in real time, not expiry
			}
		}
		clock.Advance(step)
		now := clock.Now()
		start := time.Now()
		var err error
		if k%2 == 0 {
			err = s.create(paseto.SessionRecord{ID: newSids[k], Subject: newSubjects[k], Current: memHashA,
				CreatedAt: now, ExpiresAt: now.Add(paseto.DefaultSessionLifetime), IdleTimeout: paseto.DefaultIdleTimeout})
		} else {
			i := 2*k + 1 // a long-lived session, refreshed once
			err = s.rotate(paseto.Rotation{Subject: subjects[i], Session: sids[i], Presented: memHashA, Successor: memHashB, Now: now})
		}
		writes = append(writes, time.Since(start))
		if err != nil {
			t.Fatalf("write %d: %v", k, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	res.elapsed = time.Since(begin)

	var raw, all []time.Duration
	for g := range memScaleReaders {
		for _, ns := range perCall[g] {
			raw = append(raw, time.Duration(ns))
		}
		for _, ns := range perReq[g] {
			all = append(all, time.Duration(ns))
		}
	}
	slices.Sort(raw)
	slices.Sort(all)
	slices.Sort(writes)
	q := func(l []time.Duration, p float64) time.Duration { return l[int(p*float64(len(l)-1))] }
	res.requests = len(all)
	res.rawP99, res.rawP999 = q(raw, 0.99), q(raw, 0.999)
	res.p50, res.p99, res.p999, res.max = q(all, 0.5), q(all, 0.99), q(all, 0.999), all[len(all)-1]
	res.writes, res.writeP99, res.writeMax = len(writes), q(writes, 0.99), writes[len(writes)-1]
	res.heldAfter = s.len()
	return res
}

// BenchmarkMemoryStoreSessions: login with a device, listing and revoking
// one session, through Auth (storetest.Benchmark, shared with the Redis
// store's benchmarks).
func BenchmarkMemoryStoreSessions(b *testing.B) {
	storetest.Benchmark(b, func(_ *testing.B, now func() time.Time) paseto.Store {
		return paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: now})
	})
}
