package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// TestRetryRacesAcrossInstances: two Auth instances on one Redis, with a
// grace window. Four concurrent refreshes of one token, two on each
// instance, all answer the same successor (one rotation, the rest
// retries: no fork, no reuse). Then the successor's rotation on one
// instance races a retry of the replaced token on the other: either the
// retry comes first (it gets the successor, the rotation goes on and the
// session lives) or second (it is reuse: the session ends and what the
// rotation answered works nowhere). A retry never answers another ID.
// Bounded: 20 rounds.
func TestRetryRacesAcrossInstances(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	access, refresh := mustLocalRing(t), mustLocalRing(t)
	var reused atomic.Int64
	var auths [2]*paseto.Auth
	for i := range auths {
		store := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix, Clock: clock.Now})
		a, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: clock.Now,
			Logger: quiet, GracePeriod: 10 * time.Second,
			OnSecurityEvent: func(_ context.Context, e paseto.SecurityEvent) {
				if e.Kind == paseto.EventRefreshReused {
					reused.Add(1)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		auths[i] = a
	}
	rv, err := paseto.NewVerifier(refresh, paseto.TypeRefresh, paseto.VerifierConfig{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	jti := func(tok string) string {
		t.Helper()
		c, err := rv.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	type answer struct {
		p   *paseto.TokenPair
		err error
	}
	race := func(calls ...func() (*paseto.TokenPair, error)) []answer {
		out := make([]answer, len(calls))
		var wg sync.WaitGroup
		for i, f := range calls {
			wg.Add(1)
			go func() { defer wg.Done(); out[i].p, out[i].err = f() }()
		}
		wg.Wait()
		return out
	}
	for round := range 20 {
		reused.Store(0)
		first, err := auths[round%2].Login(ctx, "alice", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		on := func(i int, tok string) func() (*paseto.TokenPair, error) {
			return func() (*paseto.TokenPair, error) { return auths[i].Refresh(ctx, tok) }
		}
		answers := race(on(0, first.RefreshToken), on(1, first.RefreshToken), on(0, first.RefreshToken), on(1, first.RefreshToken))
		succID := ""
		var succ string
		for i, a := range answers {
			if a.err != nil {
				t.Fatalf("round %d: concurrent refresh %d: %v", round, i, a.err)
			}
			if id := jti(a.p.RefreshToken); succID == "" {
				succID, succ = id, a.p.RefreshToken
			} else if id != succID {
				t.Fatalf("round %d: concurrent refreshes forked: successors %s and %s", round, succID, id)
			}
		}
		if reused.Load() != 0 {
			t.Fatalf("round %d: reuse reported for concurrent refreshes within the window", round)
		}

		clock.Advance(time.Second)
		answers = race(on(round%2, succ), on(1-round%2, first.RefreshToken))
		next, retry := answers[0], answers[1]
		if next.err != nil {
			// The successor is the head whichever call Redis runs first:
			// its rotation succeeds (a reuse after it ends the session,
			// but cannot undo the answer already given).
			t.Fatalf("round %d: rotating the successor: %v", round, next.err)
		}
		switch {
		case retry.err == nil:
			if id := jti(retry.p.RefreshToken); id != succID {
				t.Fatalf("round %d: retry answered %s, want the successor %s", round, id, succID)
			}
			if reused.Load() != 0 {
				t.Fatalf("round %d: reuse reported and the retry answered", round)
			}
			for _, a := range auths {
				if _, err := a.VerifyAccess(ctx, next.p.AccessToken); err != nil {
					t.Fatalf("round %d: session after a retry before the rotation: %v", round, err)
				}
			}
		case errors.Is(retry.err, paseto.ErrRefreshReused):
			for i, a := range auths {
				if _, err := a.VerifyAccess(ctx, next.p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
					t.Fatalf("round %d: the rotation's answer on instance %d after reuse: %v", round, i, err)
				}
				if p, err := a.Refresh(ctx, next.p.RefreshToken); p != nil || err == nil {
					t.Fatalf("round %d: the rotation's refresh token rotates on instance %d after reuse", round, i)
				}
			}
		default:
			t.Fatalf("round %d: retry racing the rotation: %v", round, retry.err)
		}
		clock.Advance(time.Minute) // past the window: the next round starts clean
		if err := auths[0].RevokeSubject(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
	}
}

func mustLocalRing(t *testing.T) *paseto.KeyRing {
	t.Helper()
	r, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	return r
}
