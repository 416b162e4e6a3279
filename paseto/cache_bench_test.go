package paseto

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCacheAtScale fills a Verifier's cache with n real access
// tokens, each verified once (a miss that caches it), and measures:
//
//   - B/entry: the heap the filled cache holds, per entry, after a GC
//     (runtime.MemStats.HeapAlloc before and after the fill; the tokens
//     themselves are dropped as they are verified);
//   - get: a hit on the cache alone, the token's hashing included;
//   - verify: a hit through Verifier.Verify, with its claim checks.
//
// The fill of 1M entries takes a while (about a minute on a busy machine):
// select sizes with -bench 'CacheAtScale/n=1000$'.
func BenchmarkCacheAtScale(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := filledCaches[n]
			if f == nil {
				f = fillCache(b, n)
				filledCaches[n] = f // -count repeats time hits, not the fill
			}
			v, hits, perEntry, ctx := f.v, f.hits, f.perEntry, context.Background()
			b.Run("get", func(b *testing.B) {
				b.ReportAllocs()
				defer cpuPerOp(b)()
				i := 0
				for b.Loop() {
					k := cacheKeyOf(hits[i%len(hits)])
					if v.currentCache().get(&k) == nil {
						b.Fatal("miss")
					}
					i++
				}
				b.ReportMetric(perEntry, "B/entry")
			})
			b.Run("verify", func(b *testing.B) {
				b.ReportAllocs()
				defer cpuPerOp(b)()
				i := 0
				for b.Loop() {
					if _, err := v.Verify(ctx, hits[i%len(hits)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			runtime.KeepAlive(v)
		})
	}
}

// filledCaches keeps each size's filled Verifier for the rest of the run.
var filledCaches = map[int]*filledCache{}

type filledCache struct {
	v        *Verifier
	hits     []string
	perEntry float64
}

func fillCache(b *testing.B, n int) *filledCache {
	clock := func() time.Time { return epoch }
	ring := mustLocalRing(b)
	iss := mustIssuer(b, ring, TypeAccess, IssuerConfig{Clock: clock, Issuer: "https://api.example.com"})
	v := mustVerifier(b, ring, TypeAccess, VerifierConfig{Clock: clock, Issuer: "https://api.example.com", CacheSize: n})
	ctx := context.Background()
	const sample = 1024
	var hits []string

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		tok, _, err := iss.Issue(Template{Subject: fmt.Sprintf("user-%d", i), Fresh: true, Session: "s-AAAAAAAAAAAAAAAAAAAAAA"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		if i >= n-sample {
			hits = append(hits, tok)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// Shards fill unevenly, so a few entries were already evicted.
	held := after.HeapAlloc - before.HeapAlloc
	for _, tok := range hits {
		held -= uint64(len(tok)) // the sample is not the cache's
	}
	perEntry := float64(held) / float64(v.currentCache().len())
	b.Logf("%d entries held of %d inserted", v.currentCache().len(), n)

	// The hits are the last tokens verified; a few of them may
	// have been evicted since, and are left out.
	hits = slices.DeleteFunc(hits, func(tok string) bool {
		k := cacheKeyOf(tok)
		return v.currentCache().get(&k) == nil
	})
	return &filledCache{v: v, hits: hits, perEntry: perEntry}
}

// cpuPerOp starts measuring the thread's CPU time; the function it returns
// reports it per operation as cpu-ns/op, which a busy machine inflates far
// less than ns/op.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		if end, ok2 := threadCPU(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

// BenchmarkCacheMissVerify times a miss as a request meets it: Verify of a
// token the cache has never seen (decoded, checked and inserted), on a
// cache with room for every insert ("empty") and on one holding n entries,
// where every insert evicts one ("full"). Compare full-N with empty-N.
// BenchmarkCacheMiss times the cache's own share of a miss alone.
//
// Each iteration needs a token of its own, minted before the timer starts:
// run it with a fixed count, -benchtime 20000x.
func BenchmarkCacheMissVerify(b *testing.B) {
	clock := func() time.Time { return epoch }
	ring := mustLocalRing(b)
	iss := mustIssuer(b, ring, TypeAccess, IssuerConfig{Clock: clock, Issuer: "https://api.example.com"})
	filler := &Claims{Issuer: "https://api.example.com", Subject: "user-0", ID: "j", Type: TypeAccess,
		Session: "s-AAAAAAAAAAAAAAAAAAAAAA", Expiration: epoch.Add(time.Hour), IssuedAt: epoch, NotBefore: epoch}
	for _, n := range []int{100_000, 1_000_000} {
		for _, full := range []bool{false, true} {
			name := fmt.Sprintf("empty-%d", n)
			if full {
				name = fmt.Sprintf("full-%d", n)
			}
			b.Run(name, func(b *testing.B) {
				size := 10_000_000
				if full {
					size = n
				}
				v := mustVerifier(b, ring, TypeAccess, VerifierConfig{Clock: clock, Issuer: "https://api.example.com", CacheSize: size})
				if full {
					for i := range n {
						v.currentCache().put(ptr(cacheKeyOf("v4.local.fill"+strconv.Itoa(i))), filler, epoch)
					}
				}
				tokens := make([]string, b.N)
				for i := range tokens {
					tok, _, err := iss.Issue(Template{Subject: fmt.Sprintf("user-%d", i), Fresh: true, Session: "s-AAAAAAAAAAAAAAAAAAAAAA"})
					if err != nil {
						b.Fatal(err)
					}
					tokens[i] = tok
				}
				ctx := context.Background()
				runtime.GC() // the fill's garbage is not the misses'
				b.ReportAllocs()
				b.ResetTimer()
				defer cpuPerOp(b)()
				for _, tok := range tokens {
					if _, err := v.Verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if full && v.currentCache().len() > n {
					b.Fatalf("cache holds %d entries, bound %d", v.currentCache().len(), n)
				}
			})
		}
	}
}
