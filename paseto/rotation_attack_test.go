package paseto

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestRetiredKeyRefusedDuringConcurrentVerification: while goroutines
// verify a token under k1 as fast as they can (filling the verified-token
// cache), SetAccessKeys drops k1. Every verification that starts after
// SetAccessKeys has returned refuses the token, cache or not.
func TestRetiredKeyRefusedDuringConcurrentVerification(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	a, err := New(Config{AccessKeys: mustPublicRing(t, k1), RefreshKeys: mustLocalRing(t), CacheSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var retired atomic.Bool
	var late atomic.Int64 // verifications started after the rotation that passed
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 200_000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				after := retired.Load()
				_, err := a.VerifyAccess(ctx, p.AccessToken)
				if after && err == nil {
					late.Add(1)
				}
				if after && err != nil && !errors.Is(err, ErrInvalid) {
					t.Errorf("after the rotation: %v, want ErrInvalid", err)
					return
				}
			}
		})
	}
	// Let the cache fill, then rotate k1 out.
	for i := 0; i < 1000; i++ {
		if _, err := a.VerifyAccess(ctx, p.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetAccessKeys(mustPublicRing(t, k2)); err != nil {
		t.Fatal(err)
	}
	retired.Store(true)
	for i := 0; i < 1000; i++ {
		if _, err := a.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, ErrInvalid) {
			t.Fatalf("verification %d after the rotation: %v, want ErrInvalid", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if n := late.Load(); n != 0 {
		t.Errorf("%d verifications started after the rotation accepted the k1 token", n)
	}
}

// TestConcurrentSetAccessKeysAgree: two rotations racing (a reload on a
// signal and one on a timer) leave the Auth minting with the ring it
// verifies with, and publishing it: never the issuer on one ring and the
// verifier on the other, where the Auth would refuse its own tokens.
func TestConcurrentSetAccessKeysAgree(t *testing.T) {
	a, err := New(Config{AccessKeys: mustPublicRing(t, GenerateSecretKey()), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	rings := make([]*KeyRing, 8)
	for i := range rings {
		rings[i] = mustPublicRing(t, GenerateSecretKey())
	}
	for round := range 2000 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, r := range rings[round%4 : round%4+4] {
			wg.Go(func() {
				<-start
				if err := a.SetAccessKeys(r); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if a.AccessKeys() != a.AccessVerifier().Keys() {
			t.Fatalf("round %d: the Auth mints under %s and verifies under %s", round, a.AccessKeys().CurrentID(), a.AccessVerifier().Keys().CurrentID())
		}
	}
}
