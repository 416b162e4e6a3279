package redisstore_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// TestRevokeSubjectRacesTwoInstances: "log out everywhere" on one instance
// while the other, on the same Redis, logs the subject in, rotates one of
// its sessions and retries another's refresh within the grace window.
// Once RevokeSubject has returned nil, nothing that existed before it
// began works on either instance: no access token, no refresh token, no
// retry of a replaced one (whose kept successor would otherwise mint), and
// no pair a concurrent refresh answered; the ended sessions' keys are
// gone. A login that began after it returned works. Bounded: 12 rounds.
func TestRevokeSubjectRacesTwoInstances(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	var auths [2]*paseto.Auth
	for i := range auths {
		store := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix, Clock: clock.Now})
		a, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: clock.Now,
			Logger: quiet, GracePeriod: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		auths[i] = a
	}
	client := srv.client(t)
	const subject = "alice"
	tag := prefix + "{" + tagOf(subject) + "}:"

	for round := range 12 {
		// Three sessions, each rotated once (so each keeps a successor).
		type sess struct{ first, second *paseto.TokenPair }
		var before []sess
		for i := range 3 {
			p, err := auths[i%2].Login(ctx, subject, paseto.LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			q, err := auths[(i+1)%2].Refresh(ctx, p.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			before = append(before, sess{p, q})
		}

		var (
			wg            sync.WaitGroup
			revokeErr     error
			concurrent    []*paseto.TokenPair
			mu            sync.Mutex
			keepIfGranted = func(p *paseto.TokenPair, err error) {
				if err == nil {
					mu.Lock()
					concurrent = append(concurrent, p)
					mu.Unlock()
				}
			}
		)
		wg.Add(4)
		go func() { defer wg.Done(); revokeErr = auths[0].RevokeSubject(ctx, subject) }()
		go func() { defer wg.Done(); _, _ = auths[1].Login(ctx, subject, paseto.LoginOptions{}) }()
		go func() { defer wg.Done(); keepIfGranted(auths[1].Refresh(ctx, before[0].first.RefreshToken)) }()
		go func() { defer wg.Done(); keepIfGranted(auths[1].Refresh(ctx, before[1].second.RefreshToken)) }()
		wg.Wait()
		if revokeErr != nil {
			t.Fatalf("round %d: RevokeSubject: %v", round, revokeErr)
		}

		for i, s := range before {
			for j, a := range auths {
				if _, err := a.VerifyAccess(ctx, s.second.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
					t.Fatalf("round %d: session %d's access token on instance %d after RevokeSubject: %v", round, i, j, err)
				}
				for _, tok := range []string{s.first.RefreshToken, s.second.RefreshToken} {
					if p, err := a.Refresh(ctx, tok); p != nil || err == nil {
						t.Fatalf("round %d: session %d refreshed on instance %d after RevokeSubject", round, i, j)
					}
				}
			}
			for _, suffix := range []string{"h:", "w:"} {
				if n := client.Exists(ctx, tag+suffix+s.second.Access.Session).Val(); n != 0 {
					t.Fatalf("round %d: session %d's %s key survives RevokeSubject", round, i, strings.TrimSuffix(suffix, ":"))
				}
			}
		}
		for _, p := range concurrent {
			for j, a := range auths {
				if _, err := a.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
					t.Fatalf("round %d: a pair a concurrent refresh answered still works on instance %d: %v", round, j, err)
				}
				if q, err := a.Refresh(ctx, p.RefreshToken); q != nil || err == nil {
					t.Fatalf("round %d: a refresh token a concurrent refresh answered still rotates on instance %d", round, j)
				}
			}
		}

		after, err := auths[1].Login(ctx, subject, paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auths[0].VerifyAccess(ctx, after.AccessToken); err != nil {
			t.Fatalf("round %d: a login after RevokeSubject: %v", round, err)
		}
		// A clean slate for the next round, within MaxSessions.
		if err := auths[1].RevokeSubject(ctx, subject); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
}
