package paseto_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// BenchmarkMemoryStoreSessionSize reports what one session costs in a
// MemoryStore, as B/session: n users each log in once and refresh once
// through Auth, and the heap the store holds afterwards (after a GC,
// runtime.MemStats.HeapAlloc before and after) is divided by n. The tokens
// are dropped as they are minted. With a grace period the store also keeps
// each session's wrapped successor until the window closes.
//
// It fills the store once, whatever b.N: run it with -benchtime 1x.
func BenchmarkMemoryStoreSessionSize(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name   string
		grace  time.Duration
		device paseto.Device
	}{
		{"grace=0s", 0, paseto.Device{}},
		{"grace=30s", 30 * time.Second, paseto.Device{}},
		// A browser's user agent (about 110 bytes) and a label.
		{"grace=0s,device", 0, paseto.Device{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Label:     "Chrome on Linux"}},
	} {
		grace := tc.grace
		b.Run(tc.name, func(b *testing.B) {
			clock := fakeclock.New(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
			store := paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock.Now})
			access, refresh := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
			ar, err := paseto.NewLocalKeyRing(access)
			if err != nil {
				b.Fatal(err)
			}
			rr, err := paseto.NewLocalKeyRing(refresh)
			if err != nil {
				b.Fatal(err)
			}
			a, err := paseto.New(paseto.Config{AccessKeys: ar, RefreshKeys: rr, Store: store, GracePeriod: grace, Clock: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var perSession float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range n {
					pair, err := a.Login(ctx, fmt.Sprintf("user-%d", i), paseto.LoginOptions{Device: tc.device})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if got := store.Len(); got < n {
					b.Fatalf("store holds %d records, want at least %d", got, n)
				}
				perSession = float64(after.HeapAlloc-before.HeapAlloc) / n
				b.StopTimer()
				store = nil // the next round (if any) measures a fresh store
				b.StartTimer()
			}
			b.ReportMetric(perSession, "B/session")
		})
	}
}
