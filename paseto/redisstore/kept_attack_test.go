package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// TestKeptSuccessorMovedInRedis: someone who can write Redis moves sealed
// successors between the keys of sessions and rotations (another session
// of the same subject, another subject's, an earlier rotation's of the
// same session, a revoked session's key), or keeps one past its window.
// None of it mints a token, revives a session or extends a window: a moved
// value answers ErrStoreUnavailable and changes nothing, a revoked session
// stays revoked, and a retry after the window is reuse whatever the kept
// key's TTL says.
func TestKeptSuccessorMovedInRedis(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, client, redisstore.Config{Prefix: prefix, Clock: clock.Now})
	var (
		mu     sync.Mutex
		events []paseto.SecurityEvent
	)
	auth := newAuth(t, store, clock.Now, func(c *paseto.Config) {
		c.GracePeriod = 5 * time.Second
		c.OnSecurityEvent = func(_ context.Context, e paseto.SecurityEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}
	})
	eventCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(events)
	}
	kept := func(subject, sid string) string {
		return prefix + "{" + tagOf(subject) + "}:w:" + sid
	}
	type sess struct {
		subject, sid string
		tokens       []*paseto.TokenPair // login, then each refresh
	}
	login := func(subject string) *sess {
		p, err := auth.Login(ctx, subject, paseto.LoginOptions{Scopes: []string{"read"}})
		if err != nil {
			t.Fatal(err)
		}
		return &sess{subject: subject, sid: p.Access.Session, tokens: []*paseto.TokenPair{p}}
	}
	refresh := func(s *sess) {
		t.Helper()
		p, err := auth.Refresh(ctx, s.tokens[len(s.tokens)-1].RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens = append(s.tokens, p)
	}
	live := func(s *sess) bool {
		t.Helper()
		ok, err := store.SessionLive(ctx, s.subject, s.sid, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	get := func(key string) string {
		t.Helper()
		v, err := client.Get(ctx, key).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", key, err)
		}
		return v
	}
	plant := func(key, v string, ttl time.Duration) {
		t.Helper()
		if err := client.Set(ctx, key, v, ttl).Err(); err != nil {
			t.Fatal(err)
		}
	}

	a, b, bob := login("alice"), login("alice"), login("bob")
	refresh(a) // a.tokens[0] -> a.tokens[1]
	earlierOfA := get(kept(a.subject, a.sid))
	refresh(a) // a.tokens[1] -> a.tokens[2]
	refresh(b)
	refresh(bob)
	genuineA, genuineB := get(kept(a.subject, a.sid)), get(kept(b.subject, b.sid))

	// Each case: the value planted in the key of session s, whose retry of
	// its previous token must answer ErrStoreUnavailable and change nothing.
	cases := []struct {
		name  string
		s     *sess
		value string
	}{
		{"another session's of the same subject", a, genuineB},
		{"another subject's", b, get(kept(bob.subject, bob.sid))},
		{"an earlier rotation's of the same session", a, earlierOfA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := kept(tc.s.subject, tc.s.sid)
			genuine := get(key)
			plant(key, tc.value, 5*time.Second)
			before := eventCount()
			previous := tc.s.tokens[len(tc.s.tokens)-2].RefreshToken
			if p, err := auth.Refresh(ctx, previous); p != nil || !errors.Is(err, paseto.ErrStoreUnavailable) {
				t.Fatalf("retry with a moved kept successor: pair %v, err %v; want ErrStoreUnavailable", p != nil, err)
			}
			if eventCount() != before {
				t.Fatal("a moved kept successor raised a security event")
			}
			for _, s := range []*sess{a, b, bob} {
				if !live(s) {
					t.Fatalf("session %s of %s ended by a moved kept successor", s.sid, s.subject)
				}
			}
			plant(key, genuine, 5*time.Second)
			p, err := auth.Refresh(ctx, previous)
			if err != nil {
				t.Fatalf("genuine retry after the attack: %v", err)
			}
			if p.Access.Session != tc.s.sid || p.Access.Subject != tc.s.subject {
				t.Fatalf("retry answered session %s of %s", p.Access.Session, p.Access.Subject)
			}
		})
	}

	// A revoked session is not revived by a kept successor planted in its
	// key: membership of the index decides before anything is read.
	if err := auth.Logout(ctx, b.tokens[len(b.tokens)-1].Access); err != nil {
		t.Fatal(err)
	}
	plant(kept(b.subject, b.sid), genuineB, time.Hour)
	if p, err := auth.Refresh(ctx, b.tokens[len(b.tokens)-2].RefreshToken); p != nil || !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("retry of a logged-out session with its kept successor planted back: pair %v, err %v", p != nil, err)
	}
	if live(b) {
		t.Fatal("logged-out session live again")
	}

	// A kept successor whose TTL is extended does not extend the window:
	// past it, the previous token is reuse and ends the session.
	plant(kept(a.subject, a.sid), genuineA, time.Hour)
	clock.Advance(6 * time.Second)
	if p, err := auth.Refresh(ctx, a.tokens[1].RefreshToken); p != nil || !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("retry after the window with the kept key's TTL extended: pair %v, err %v; want ErrRefreshReused", p != nil, err)
	}
	if live(a) {
		t.Fatal("session live after reuse")
	}
	if n := client.Exists(ctx, kept(a.subject, a.sid)).Val(); n != 0 {
		t.Fatal("kept successor survives the reuse that ended its session")
	}
	if !live(bob) {
		t.Fatal("bob's session ended")
	}
}
