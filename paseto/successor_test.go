package paseto

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// rotationRecorder is a MemoryStore that keeps every Rotation it is given.
type rotationRecorder struct {
	*MemoryStore
	rotations []Rotation
}

func (r *rotationRecorder) Rotate(ctx context.Context, rot Rotation) (RotationResult, error) {
	r.rotations = append(r.rotations, rot)
	return r.MemoryStore.Rotate(ctx, rot)
}

// Without a grace period nothing can read a kept successor, so a refresh
// neither encrypts one nor hands one to the store; with one, it does.
func TestRefreshWrapsSuccessorOnlyWithGrace(t *testing.T) {
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		t.Run(grace.String(), func(t *testing.T) {
			clock := newTestClock(epoch)
			store := &rotationRecorder{MemoryStore: NewMemoryStore(MemoryStoreOptions{Clock: clock.now})}
			a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Store: store,
				GracePeriod: grace, Clock: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			pair, err := a.Login(ctx, "alice", LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			clock.add(time.Second)
			if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
				t.Fatal(err)
			}
			if len(store.rotations) != 1 {
				t.Fatalf("%d rotations, want 1", len(store.rotations))
			}
			if got := store.rotations[0].WrappedSuccessor != ""; got != (grace > 0) {
				t.Fatalf("grace %v: successor wrapped and stored: %v", grace, got)
			}
			// The retry within the window works only with a kept successor.
			_, err = a.Refresh(ctx, pair.RefreshToken)
			if (err == nil) != (grace > 0) {
				t.Fatalf("grace %v: retry answered %v", grace, err)
			}
		})
	}
}

// BenchmarkRefresh measures Auth.Refresh on a MemoryStore, so that the
// figure is the core's work (verifying the presented token, minting the
// pair, sealing the kept successor) and not a server's round trip:
// "rotate" refreshes a chain of tokens, each the one the previous refresh
// returned, with and without a grace period; "retry" presents the same
// replaced token again and again inside the window, which answers the
// kept successor.
func BenchmarkRefresh(b *testing.B) {
	for _, grace := range []time.Duration{0, 5 * time.Second} {
		b.Run("rotate/grace="+grace.String(), func(b *testing.B) {
			clock := newTestClock(epoch)
			a := benchAuth(b, clock, grace)
			ctx := context.Background()
			pair, err := a.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}, Scopes: []string{"read", "write"}})
			if err != nil {
				b.Fatal(err)
			}
			rt := pair.RefreshToken
			b.ReportAllocs()
			for b.Loop() {
				p, err := a.Refresh(ctx, rt)
				if err != nil {
					b.Fatal(err)
				}
				rt = p.RefreshToken
			}
		})
	}
	b.Run("retry/grace=5s", func(b *testing.B) {
		clock := newTestClock(epoch)
		a := benchAuth(b, clock, 5*time.Second)
		ctx := context.Background()
		pair, err := a.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}, Scopes: []string{"read", "write"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			// The clock stands still: every retry is inside the window.
			if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchAuth(b *testing.B, clock *testClock, grace time.Duration) *Auth {
	b.Helper()
	a, err := New(Config{AccessKeys: mustLocalRing(b), RefreshKeys: mustLocalRing(b),
		Store: NewMemoryStore(MemoryStoreOptions{Clock: clock.now}), GracePeriod: grace, Clock: clock.now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return a
}
