package paseto

import (
	"context"
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
