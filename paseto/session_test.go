package paseto

import (
	"context"
	"errors"
	"testing"
	"time"
)

// No token outlives its session: near the session's absolute end, refresh
// mints tokens that expire with it, so once a store forgets an ended
// session ("log out everywhere" no longer sees it) none of its tokens is
// alive.
func TestTokensNeverOutliveTheSession(t *testing.T) {
	clock := newTestClock(epoch)
	a, err := New(Config{
		AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now,
		SessionLifetime: time.Hour, AccessLifetime: 15 * time.Minute, RefreshLifetime: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	end := epoch.Add(time.Hour)
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !pair.RefreshExpiresAt.Equal(end) || !pair.AccessExpiresAt.Equal(epoch.Add(15*time.Minute)) {
		t.Fatalf("login: access exp %v, refresh exp %v; want %v and the session end %v",
			pair.AccessExpiresAt, pair.RefreshExpiresAt, epoch.Add(15*time.Minute), end)
	}
	for _, step := range []time.Duration{20 * time.Minute, 30 * time.Minute, 5*time.Minute + 500*time.Millisecond} {
		clock.add(step)
		if pair, err = a.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatalf("refresh at +%v: %v", clock.now().Sub(epoch), err)
		}
		if pair.AccessExpiresAt.After(end) || pair.RefreshExpiresAt.After(end) {
			t.Fatalf("refresh at +%v: access exp %v, refresh exp %v, after the session end %v",
				clock.now().Sub(epoch), pair.AccessExpiresAt, pair.RefreshExpiresAt, end)
		}
		if pair.ExpiresIn <= 0 || pair.RefreshExpiresIn <= 0 {
			t.Fatalf("expires_in %d, refresh_expires_in %d", pair.ExpiresIn, pair.RefreshExpiresIn)
		}
	}
	// Far from the end the configured lifetimes apply.
	b, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := b.Login(ctx, "bob", LoginOptions{})
	clock.add(time.Minute)
	p, err = b.Refresh(ctx, p.RefreshToken)
	if err != nil || p.AccessExpiresAt.Sub(p.Access.IssuedAt) != DefaultAccessLifetime ||
		!p.RefreshExpiresAt.Equal(p.Access.AuthTime.Add(DefaultSessionLifetime)) {
		t.Fatalf("default lifetimes: %v, access %v..%v, refresh exp %v", err, p.Access.IssuedAt, p.AccessExpiresAt, p.RefreshExpiresAt)
	}
}

// Two instances whose clocks are a few seconds apart, within Leeway: a
// refresh on the slower one right after a login on the faster one answers a
// pair, not an internal error, and the new tokens verify on both.
func TestRefreshUnderClockSkew(t *testing.T) {
	access, refresh := mustLocalRing(t), mustLocalRing(t)
	ahead, behind := newTestClock(epoch.Add(3*time.Second)), newTestClock(epoch)
	store := NewMemoryStore(MemoryStoreConfig{Clock: behind.now})
	instance := func(c *testClock) *Auth {
		a, err := New(Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: c.now, Leeway: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	fast, slow := instance(ahead), instance(behind)
	ctx := context.Background()
	pair, err := fast.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := slow.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatalf("refresh on the instance 3 s behind: %v (code %s)", err, Code(err))
	}
	if next.Access.AuthTime.After(next.Access.IssuedAt) {
		t.Fatalf("auth_time %v after iat %v", next.Access.AuthTime, next.Access.IssuedAt)
	}
	for name, a := range map[string]*Auth{"fast": fast, "slow": slow} {
		if _, err := a.VerifyAccess(ctx, next.AccessToken); err != nil {
			t.Errorf("%s instance refuses the refreshed access token: %v", name, err)
		}
	}
	// Beyond Leeway the refresh token itself is not valid yet: a 401 with
	// its code, still not a 500.
	far := instance(newTestClock(epoch.Add(-time.Minute)))
	if _, err := far.Refresh(ctx, next.RefreshToken); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("refresh a minute behind: %v, want ErrNotYetValid", err)
	}
}
