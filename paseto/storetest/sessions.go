package storetest

// The suites for session and device management: listing a subject's
// sessions, revoking one, revoking the others, and the cap on sessions per
// subject, all through paseto.Auth, plus their fail-closed property under
// the loss of any one record.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

var sessionTests = []struct {
	name string
	fn   func(*testing.T, Harness)
}{
	{"ListSessions", testListSessions},
	{"ListSessionsLeavesOutEnded", testListLeavesOutEnded},
	{"RevokeOneSession", testRevokeOne},
	{"RevokeOneSessionOfAnotherSubject", testRevokeAnothers},
	{"RevokeOtherSessions", testRevokeOthers},
	{"SessionCapEndsOldest", testCapEndsOldest},
	{"SessionCapRefuses", testCapRefuses},
	{"SessionCapConcurrentLogins", testCapConcurrent},
}

func (e *env) loginWith(sub string, d paseto.Device) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{Device: d})
	if err != nil {
		e.t.Fatalf("Login: %v", err)
	}
	return p
}

func (e *env) list(sub, current string) []paseto.SessionInfo {
	e.t.Helper()
	l, err := e.auth.ListSessions(context.Background(), sub, current)
	if err != nil {
		e.t.Fatalf("ListSessions: %v", err)
	}
	return l
}

// ids returns the sessions' IDs, in order.
func ids(l []paseto.SessionInfo) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.ID
	}
	return out
}

func sidsOf(ps ...*paseto.TokenPair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Access.Session
	}
	return out
}

func (e *env) dead(ps ...*paseto.TokenPair) {
	e.t.Helper()
	for _, p := range ps {
		e.accessFails(p.AccessToken, paseto.ErrRevoked)
		e.refreshFails(p.RefreshToken, paseto.ErrRevoked)
	}
}

func testListSessions(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) {
		c.KeepIP = paseto.IPFull
		c.IdleTimeout = 24 * time.Hour
	})
	start := e.clock.Now().UTC().Truncate(time.Second)
	firefox := paseto.Device{UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", IP: "203.0.113.7", Label: "Firefox on Linux"}
	a1 := e.loginWith("alice", firefox)
	e.clock.Advance(time.Minute)
	a2 := e.loginWith("alice", paseto.Device{UserAgent: "curl/8.5.0", IP: "2001:db8::1"})
	e.clock.Advance(time.Minute)
	bob := e.loginWith("bob", paseto.Device{UserAgent: "bob's phone"})
	e.clock.Advance(time.Minute)
	a1 = e.refresh(a1.RefreshToken) // last used now

	l := e.list("alice", a2.Access.Session)
	if got, want := ids(l), sidsOf(a2, a1); !slices.Equal(got, want) {
		t.Fatalf("alice's sessions %v, want %v (newest first)", got, want)
	}
	if !l[0].Current || l[1].Current {
		t.Fatalf("current marks %v %v, want the second login's only", l[0].Current, l[1].Current)
	}
	if l[1].Device != firefox {
		t.Fatalf("device %+v, want %+v", l[1].Device, firefox)
	}
	if l[0].Device.IP != "2001:db8::1" || l[0].Device.UserAgent != "curl/8.5.0" {
		t.Fatalf("device %+v", l[0].Device)
	}
	if !l[1].CreatedAt.Equal(start) || !l[0].CreatedAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("created at %v and %v, want %v and a minute later", l[1].CreatedAt, l[0].CreatedAt, start)
	}
	if !l[0].LastUsedAt.Equal(l[0].CreatedAt) {
		t.Fatalf("unused session last used %v, created %v", l[0].LastUsedAt, l[0].CreatedAt)
	}
	if want := start.Add(3 * time.Minute); !l[1].LastUsedAt.Equal(e.clock.Now()) && !l[1].LastUsedAt.Equal(want) {
		t.Fatalf("refreshed session last used %v, want %v", l[1].LastUsedAt, e.clock.Now())
	}
	// Idle end (a day after the last use) comes before the absolute end.
	if want := l[1].LastUsedAt.Add(24 * time.Hour); !l[1].ExpiresAt.Equal(want) {
		t.Fatalf("expires at %v, want the idle end %v", l[1].ExpiresAt, want)
	}
	if got := ids(e.list("bob", "")); !slices.Equal(got, sidsOf(bob)) {
		t.Fatalf("bob's sessions %v, want %v", got, sidsOf(bob))
	}
	if l := e.list("carol", ""); len(l) != 0 {
		t.Fatalf("a subject that never logged in has sessions %v", ids(l))
	}
}

func testListLeavesOutEnded(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.IdleTimeout = time.Hour })
	idle := e.login("alice")
	e.clock.Advance(30 * time.Minute)
	out, reused, live := e.login("alice"), e.login("alice"), e.login("alice")
	if err := e.auth.Logout(context.Background(), e.accessOK(out.AccessToken)); err != nil {
		t.Fatal(err)
	}
	e.refresh(reused.RefreshToken)
	e.refreshFails(reused.RefreshToken, paseto.ErrRefreshReused)
	e.clock.Advance(31 * time.Minute) // idle is past its idle end, live is not
	if got, want := ids(e.list("alice", "")), sidsOf(live); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want only %v (idle %s, logged out %s, reused %s)", got, want,
			idle.Access.Session, out.Access.Session, reused.Access.Session)
	}
	if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if l := e.list("alice", ""); len(l) != 0 {
		t.Fatalf("after RevokeSubject: %v", ids(l))
	}
	fresh := e.login("alice")
	if got := ids(e.list("alice", "")); !slices.Equal(got, sidsOf(fresh)) {
		t.Fatalf("after a new login: %v, want %v", got, sidsOf(fresh))
	}
}

func testRevokeOne(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	me, lost := e.login("alice"), e.login("alice")
	ctx := context.Background()
	if err := e.auth.RevokeSession(ctx, "alice", lost.Access.Session); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	e.dead(lost)
	e.accessOK(me.AccessToken)
	e.refresh(me.RefreshToken)
	if got := ids(e.list("alice", "")); !slices.Equal(got, sidsOf(me)) {
		t.Fatalf("listed %v, want %v", got, sidsOf(me))
	}
	if n := e.revocations.Load(); n != 1 {
		t.Fatalf("%d revocation events, want 1", n)
	}
	for _, sid := range []string{lost.Access.Session, "no-such-session", "", "{x}:i", "a b", strings.Repeat("A", 65)} {
		if err := e.auth.RevokeSession(ctx, "alice", sid); !errors.Is(err, paseto.ErrSessionNotFound) {
			t.Fatalf("RevokeSession(%q): %v, want ErrSessionNotFound", sid, err)
		}
	}
	if e.events.Load() != 0 {
		t.Fatal("revoking a session raised a reuse event")
	}
}

func testRevokeAnothers(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	alice := e.login("alice")
	mallory := e.login("mallory")
	err := e.auth.RevokeSession(context.Background(), "mallory", alice.Access.Session)
	if !errors.Is(err, paseto.ErrSessionNotFound) {
		t.Fatalf("mallory revoking alice's session: %v, want ErrSessionNotFound", err)
	}
	e.accessOK(alice.AccessToken)
	e.accessOK(mallory.AccessToken)
	e.refresh(alice.RefreshToken)
	if n := e.revocations.Load(); n != 0 {
		t.Fatalf("%d revocation events for a refused revocation", n)
	}
}

func testRevokeOthers(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 10 * time.Second })
	o1, me, o2 := e.login("alice"), e.login("alice"), e.login("alice")
	o1 = e.refresh(o1.RefreshToken)
	out := e.login("alice")
	if err := e.auth.Logout(context.Background(), e.accessOK(out.AccessToken)); err != nil {
		t.Fatal(err)
	}
	bob := e.login("bob")
	n, err := e.auth.RevokeOtherSessions(context.Background(), "alice", me.Access.Session)
	if err != nil || n != 2 {
		t.Fatalf("RevokeOtherSessions: %d, %v; want the 2 live others", n, err)
	}
	e.dead(o1, o2, out)
	e.accessOK(me.AccessToken)
	me = e.refresh(me.RefreshToken)
	e.accessOK(bob.AccessToken)
	if got := ids(e.list("alice", me.Access.Session)); !slices.Equal(got, sidsOf(me)) {
		t.Fatalf("listed %v, want %v", got, sidsOf(me))
	}
	if got := e.revocations.Load(); got != 2 {
		t.Fatalf("%d revocation events, want one per session ended (2)", got)
	}
	// Again: nothing left to end.
	if n, err := e.auth.RevokeOtherSessions(context.Background(), "alice", me.Access.Session); err != nil || n != 0 {
		t.Fatalf("second RevokeOtherSessions: %d, %v", n, err)
	}
	// Sessions created afterwards are live.
	later := e.login("alice")
	e.accessOK(later.AccessToken)
	e.accessOK(me.AccessToken)
}

func testCapEndsOldest(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.MaxSessions = 2 })
	first := e.login("alice")
	e.clock.Advance(time.Second)
	second := e.login("alice")
	e.clock.Advance(time.Second)
	bob := e.login("bob")
	third := e.login("alice")
	e.dead(first)
	e.accessOK(second.AccessToken)
	e.accessOK(third.AccessToken)
	e.accessOK(bob.AccessToken)
	if got := e.revocations.Load(); got != 1 {
		t.Fatalf("%d revocation events, want 1 (the oldest ended)", got)
	}
	// Ended sessions do not count: after a logout there is room again.
	if err := e.auth.Logout(context.Background(), e.accessOK(second.AccessToken)); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	fourth := e.login("alice")
	e.accessOK(third.AccessToken)
	e.accessOK(fourth.AccessToken)
	if got := e.revocations.Load(); got != 1 {
		t.Fatalf("%d revocation events after a login with room, want still 1", got)
	}
	if got, want := ids(e.list("alice", "")), sidsOf(fourth, third); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func testCapRefuses(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) {
		c.MaxSessions = 2
		c.AtMaxSessions = paseto.RefuseNewSession
	})
	first, second := e.login("alice"), e.login("alice")
	p, err := e.auth.Login(context.Background(), "alice", paseto.LoginOptions{})
	if !errors.Is(err, paseto.ErrSessionLimit) || p != nil {
		t.Fatalf("third login: %v, want ErrSessionLimit", err)
	}
	e.accessOK(first.AccessToken)
	e.accessOK(second.AccessToken)
	if got := len(e.list("alice", "")); got != 2 {
		t.Fatalf("%d sessions after a refused login, want 2", got)
	}
	e.login("bob") // another subject has its own count
	if err := e.auth.RevokeSession(context.Background(), "alice", first.Access.Session); err != nil {
		t.Fatal(err)
	}
	e.login("alice")
}

// testCapConcurrent: 2k logins of one subject at once, through one or two
// store connections, with MaxSessions k: at most k of them are live
// afterwards, and the listing agrees with what verifies.
func testCapConcurrent(t *testing.T, h Harness) {
	const k, n = 3, 24
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse=%v", refuse), func(t *testing.T) {
			e := newEnv(t, h, func(c *paseto.Config) {
				c.MaxSessions = k
				if refuse {
					c.AtMaxSessions = paseto.RefuseNewSession
				}
			})
			auths := []*paseto.Auth{e.auth}
			if h.Twin != nil {
				auths = append(auths, e.newAuth(h.Twin(t, e.store)))
			}
			var (
				wg          sync.WaitGroup
				mu          sync.Mutex
				pairs       []*paseto.TokenPair
				unavailable int
				start       = make(chan struct{})
			)
			for i := range n {
				wg.Go(func() {
					<-start
					p, err := auths[i%len(auths)].Login(context.Background(), "alice", paseto.LoginOptions{})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						pairs = append(pairs, p)
					case refuse && errors.Is(err, paseto.ErrSessionLimit):
					case errors.Is(err, paseto.ErrStoreUnavailable):
						// A store may give up under contention (503): safe.
						// The session may exist all the same (the reply
						// was lost, not the write), with no token anyone
						// holds.
						unavailable++
					default:
						t.Errorf("Login: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			var live []string
			for _, p := range pairs {
				if _, err := e.auth.VerifyAccess(context.Background(), p.AccessToken); err == nil {
					live = append(live, p.Access.Session)
				}
			}
			if len(live) > k || len(live) == 0 {
				t.Fatalf("%d of %d logins live, want 1..%d", len(live), len(pairs), k)
			}
			if refuse && len(pairs) > k {
				t.Fatalf("%d logins succeeded with RefuseNewSession, want at most %d", len(pairs), k)
			}
			// Every live session is listed; beyond them, at most the
			// sessions of logins answered 503, and never more than the cap.
			listed := ids(e.list("alice", ""))
			for _, sid := range live {
				if !slices.Contains(listed, sid) {
					t.Fatalf("session %s is live but not listed (listed %v)", sid, listed)
				}
			}
			if extra := len(listed) - len(live); extra > unavailable || len(listed) > k {
				t.Fatalf("listed %v, but live %v (%d logins answered 503, cap %d)", listed, live, unavailable, k)
			}
		})
	}
}

// listingHolds checks, after a record was lost, what the session list
// promises: every session of alice the store accepts is listed, and
// RevokeOtherSessions, when it reports success, leaves only the session it
// keeps accepted.
func (e *env) listingHolds(lost string, all []*paseto.TokenPair) {
	e.t.Helper()
	ctx := context.Background()
	listed, err := e.auth.ListSessions(ctx, "alice", "")
	if err != nil {
		return // reported failure: nothing is claimed
	}
	var keep string
	for _, p := range all {
		if _, err := e.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
			continue
		}
		if !slices.Contains(ids(listed), p.Access.Session) {
			e.t.Fatalf("without record %q: session %s is accepted but not listed", lost, p.Access.Session)
		}
		keep = p.Access.Session
	}
	if _, err := e.auth.RevokeOtherSessions(ctx, "alice", keep); err != nil {
		return
	}
	for _, p := range all {
		if p.Access.Session == keep {
			continue
		}
		if _, err := e.auth.VerifyAccess(ctx, p.AccessToken); err == nil {
			e.t.Fatalf("without record %q: RevokeOtherSessions succeeded and session %s still works", lost, p.Access.Session)
		}
		if _, err := e.auth.Refresh(ctx, p.RefreshToken); err == nil {
			e.t.Fatalf("without record %q: RevokeOtherSessions succeeded and session %s still refreshes", lost, p.Access.Session)
		}
	}
}
