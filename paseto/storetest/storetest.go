// Package storetest is the conformance suite for paseto.Store
// implementations. The in-memory and Redis stores in this module run it; a
// store of your own should too:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{New: func(t *testing.T, now func() time.Time) paseto.Store {
//			return mystore.New(..., now)
//		}})
//	}
//
// The suite drives the store through paseto.Auth with a fake clock, so it
// checks the behaviour users see: rotation, the grace window, reuse
// detection, absolute and idle expiry, logout, revocation, concurrent
// refreshes, and session management (listing a subject's sessions with
// their devices, revoking one, revoking the others, the cap on sessions
// per subject, also under concurrent logins). It also checks that the store fails closed: a store that has
// forgotten everything (a restart) accepts nothing, and, when the harness
// can delete single records (Keys and Forget), that losing any one record in
// any session state never brings a revoked token back, never hides a live
// session from the list, and never lets one survive "revoke the others".
package storetest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// Harness tells Run how to build the store under test.
type Harness struct {
	// New returns a store over fresh, empty state whose notion of time is
	// now (the suite's fake clock).
	New func(t *testing.T, now func() time.Time) paseto.Store
	// Twin, when set, returns a second store that shares s's state through
	// its own connection, as a second application instance would. The
	// concurrency test then refreshes through both.
	Twin func(t *testing.T, s paseto.Store) paseto.Store
	// Keys, when set with Forget, lists the records s holds (for Redis, its
	// key names), so that the suite can lose them one at a time as an
	// evicting cache would.
	Keys func(t *testing.T, s paseto.Store) []string
	// Forget deletes the one record key (as listed by Keys) from s.
	Forget func(t *testing.T, s paseto.Store, key string)
}

// Clock is the repository's fake clock, safe for concurrent use: Now, and
// Advance to move it.
type Clock = fakeclock.Clock

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return fakeclock.New(t) }

// env is one test's world: keys, clock, store and the Auth over them.
type env struct {
	t       *testing.T
	clock   *Clock
	store   paseto.Store
	auth    *paseto.Auth
	events  atomic.Int64 // reuse events
	retries atomic.Int64 // grace retries
	// revocations counts the events of revocations asked for: one
	// session, the others, the subject, and the session cap.
	revocations atomic.Int64
	cfg         paseto.Config
}

func newEnv(t *testing.T, h Harness, tweak func(*paseto.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))}
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	e.store = h.New(t, e.clock.Now)
	e.cfg = paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: e.store,
		Clock:       e.clock.Now,
		IdleTimeout: -1,
		OnSecurityEvent: func(_ context.Context, ev paseto.SecurityEvent) {
			switch ev.Kind {
			case paseto.EventRefreshReused:
				e.events.Add(1)
			case paseto.EventRefreshRetried:
				e.retries.Add(1)
			case paseto.EventSessionRevoked, paseto.EventOtherSessionRevoked, paseto.EventSubjectRevoked,
				paseto.EventSessionLimitEnded, paseto.EventSessionLimitRefused:
				e.revocations.Add(1)
			default:
				t.Errorf("unknown security event %q", ev.Kind)
			}
		},
		Logger: quietLogger(),
	}
	if tweak != nil {
		tweak(&e.cfg)
	}
	e.auth = e.newAuth(e.store)
	return e
}

func (e *env) newAuth(s paseto.Store) *paseto.Auth {
	cfg := e.cfg
	cfg.Store = s
	a, err := paseto.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) login(sub string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{})
	if err != nil {
		e.t.Fatalf("Login: %v", err)
	}
	return p
}

func (e *env) refresh(rt string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Refresh(context.Background(), rt)
	if err != nil {
		e.t.Fatalf("Refresh: %v", err)
	}
	return p
}

// refreshClaims verifies a refresh token as the Auth would, without
// rotating it.
func (e *env) refreshClaims(rt string) *paseto.Claims {
	e.t.Helper()
	v, err := paseto.NewVerifier(e.cfg.RefreshKeys, paseto.TypeRefresh, paseto.VerifierConfig{Clock: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), rt)
	if err != nil {
		e.t.Fatalf("refresh token does not verify: %v", err)
	}
	return c
}

// sameRefreshToken reports whether two refresh tokens are the same token:
// a retry within the grace window mints the successor again, with the
// same ID and claims, in another string (a v4.local token has a fresh
// nonce).
func (e *env) sameRefreshToken(a, b string) bool {
	e.t.Helper()
	x, y := e.refreshClaims(a), e.refreshClaims(b)
	return x.ID == y.ID && x.Subject == y.Subject && x.Session == y.Session &&
		x.IssuedAt.Equal(y.IssuedAt) && x.NotBefore.Equal(y.NotBefore) && x.Expiration.Equal(y.Expiration) &&
		x.AuthTime.Equal(y.AuthTime) && slices.Equal(x.Scopes, y.Scopes) && x.CSRF == y.CSRF &&
		x.Issuer == y.Issuer && x.Audience == y.Audience
}

func (e *env) refreshFails(rt string, want error) {
	e.t.Helper()
	p, err := e.auth.Refresh(context.Background(), rt)
	if !errors.Is(err, want) || p != nil {
		e.t.Fatalf("Refresh: got %v (pair %v), want %v", err, p != nil, want)
	}
}

func (e *env) accessOK(at string) *paseto.Claims {
	e.t.Helper()
	c, err := e.auth.VerifyAccess(context.Background(), at)
	if err != nil {
		e.t.Fatalf("VerifyAccess: %v", err)
	}
	return c
}

func (e *env) accessFails(at string, want error) {
	e.t.Helper()
	if _, err := e.auth.VerifyAccess(context.Background(), at); !errors.Is(err, want) {
		e.t.Fatalf("VerifyAccess: got %v, want %v", err, want)
	}
}

// Run runs the whole suite against the store h builds.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"Rotation", testRotation},
		{"ReplayWithinGraceGetsSameSuccessor", testReplayWithinGrace},
		{"ReplayAfterGraceIsReuse", testReplayAfterGrace},
		{"SecondToLastWithinGraceIsReuse", testSecondToLast},
		{"StrictModeReplayIsReuse", testStrict},
		{"ReuseRevokesHeadAndAccessTokens", testReuseRevokesHead},
		{"AbsoluteExpiry", testAbsoluteExpiry},
		{"IdleExpiry", testIdleExpiry},
		{"Logout", testLogout},
		{"RevokeSubject", testRevokeSubject},
		{"LogoutWithRefreshToken", testLogoutWithRefresh},
		{"RevokeSubjectThenLogin", testRevokeSubjectThenLogin},
		{"ForgottenStoreAcceptsNothing", testForgottenStore},
		{"LosingAnyOneRecordFailsClosed", testKeyLoss},
		{"ExpiredRefreshTokenMakesNoStoreCall", testExpiredNoStoreCall},
		{"TamperedRefreshTokenMakesNoStoreCall", testTamperedNoStoreCall},
		{"RefreshKeepsClaimsNeverFresh", testRefreshKeepsClaims},
		{"ConcurrentRefreshOneRotation", testConcurrent},
	}
	for _, tc := range append(tests, sessionTests...) {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func testRotation(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	p1 := e.login("alice")
	e.accessOK(p1.AccessToken)
	e.clock.Advance(time.Minute)
	p2 := e.refresh(p1.RefreshToken)
	if p2.RefreshToken == p1.RefreshToken || p2.AccessToken == p1.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if p2.TokenType != "Bearer" || p2.ExpiresIn != int64(paseto.DefaultAccessLifetime/time.Second) {
		t.Fatalf("pair: type %q, expires_in %d", p2.TokenType, p2.ExpiresIn)
	}
	e.accessOK(p2.AccessToken)
	e.clock.Advance(time.Minute)
	p3 := e.refresh(p2.RefreshToken)
	e.accessOK(p3.AccessToken)
	if e.events.Load() != 0 {
		t.Fatal("security event on a clean rotation")
	}
}

func testReplayWithinGrace(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 10 * time.Second })
	p1 := e.login("alice")
	p2 := e.refresh(p1.RefreshToken)
	e.clock.Advance(10 * time.Second) // the edge of the window is inside it
	again := e.refresh(p1.RefreshToken)
	if !e.sameRefreshToken(again.RefreshToken, p2.RefreshToken) {
		t.Fatal("retry within grace did not return the same successor")
	}
	if e.refreshClaims(again.RefreshToken).ID == e.refreshClaims(p1.RefreshToken).ID {
		t.Fatal("retry returned the old token")
	}
	e.accessOK(again.AccessToken)
	// The session is intact: the successor, as the retry answered it,
	// rotates normally; and the first answer is now the token just
	// replaced, a retry too within the window.
	p3 := e.refresh(again.RefreshToken)
	e.accessOK(p3.AccessToken)
	if !e.sameRefreshToken(e.refresh(p2.RefreshToken).RefreshToken, p3.RefreshToken) {
		t.Fatal("the first answer of a retried refresh is not the successor's retry")
	}
	if e.events.Load() != 0 {
		t.Fatal("reuse event for a benign retry")
	}
	if e.retries.Load() != 2 {
		t.Fatalf("retried events = %d, want 2: a retry within grace must leave a trace", e.retries.Load())
	}
}

func testReplayAfterGrace(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 10 * time.Second })
	p1 := e.login("alice")
	p2 := e.refresh(p1.RefreshToken)
	e.clock.Advance(10*time.Second + time.Millisecond)
	e.refreshFails(p1.RefreshToken, paseto.ErrRefreshReused)
	e.refreshFails(p2.RefreshToken, paseto.ErrRevoked)
	e.accessFails(p2.AccessToken, paseto.ErrRevoked)
	if e.events.Load() != 1 {
		t.Fatalf("security events = %d, want 1", e.events.Load())
	}
}

func testSecondToLast(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 30 * time.Second })
	p1 := e.login("alice")
	p2 := e.refresh(p1.RefreshToken)
	e.clock.Advance(time.Second)
	p3 := e.refresh(p2.RefreshToken)
	e.clock.Advance(time.Second)
	e.refreshFails(p1.RefreshToken, paseto.ErrRefreshReused)
	e.refreshFails(p3.RefreshToken, paseto.ErrRevoked)
}

func testStrict(t *testing.T, h Harness) {
	e := newEnv(t, h, nil) // GracePeriod 0
	p1 := e.login("alice")
	p2 := e.refresh(p1.RefreshToken)
	e.refreshFails(p1.RefreshToken, paseto.ErrRefreshReused)
	e.refreshFails(p2.RefreshToken, paseto.ErrRevoked)
}

func testReuseRevokesHead(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	p1 := e.login("alice")
	other := e.login("alice") // another device: a different session
	p2 := e.refresh(p1.RefreshToken)
	p3 := e.refresh(p2.RefreshToken)
	e.refreshFails(p1.RefreshToken, paseto.ErrRefreshReused) // an attacker's stolen copy
	for _, at := range []string{p1.AccessToken, p2.AccessToken, p3.AccessToken} {
		e.accessFails(at, paseto.ErrRevoked)
	}
	e.refreshFails(p3.RefreshToken, paseto.ErrRevoked)
	e.accessOK(other.AccessToken)
	e.refresh(other.RefreshToken)
	// Once every access token of the session has expired, the deny entry
	// may go; the tokens themselves are then expired.
	e.clock.Advance(paseto.DefaultAccessLifetime + time.Minute)
	e.accessFails(p3.AccessToken, paseto.ErrExpired)
}

func testAbsoluteExpiry(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.SessionLifetime = time.Hour })
	p := e.login("alice")
	e.clock.Advance(59 * time.Minute)
	p = e.refresh(p.RefreshToken)
	e.clock.Advance(time.Minute)
	e.refreshFails(p.RefreshToken, paseto.ErrSessionExpired)
}

func testIdleExpiry(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.IdleTimeout = 10 * time.Minute })
	p := e.login("alice")
	e.clock.Advance(9 * time.Minute)
	p = e.refresh(p.RefreshToken)
	e.clock.Advance(10 * time.Minute) // exactly idle timeout: still alive
	p = e.refresh(p.RefreshToken)
	e.clock.Advance(10*time.Minute + time.Second)
	e.refreshFails(p.RefreshToken, paseto.ErrSessionExpired)
}

func testLogout(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	p := e.login("alice")
	other := e.login("alice")
	c := e.accessOK(p.AccessToken)
	if err := e.auth.Logout(context.Background(), c); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	e.accessFails(p.AccessToken, paseto.ErrRevoked)
	e.refreshFails(p.RefreshToken, paseto.ErrRevoked)
	e.accessOK(other.AccessToken)
	e.refresh(other.RefreshToken)
	if e.events.Load() != 0 {
		t.Fatal("logout raised a security event")
	}
}

func testRevokeSubject(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	a1, a2, bob := e.login("alice"), e.login("alice"), e.login("bob")
	a1r := e.refresh(a1.RefreshToken)
	if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	for _, p := range []*paseto.TokenPair{a1r, a2} {
		e.accessFails(p.AccessToken, paseto.ErrRevoked)
		e.refreshFails(p.RefreshToken, paseto.ErrRevoked)
	}
	e.accessOK(bob.AccessToken)
	e.refresh(bob.RefreshToken)
	// Logging in again after "log out everywhere" works at once.
	fresh := e.login("alice")
	e.accessOK(fresh.AccessToken)
}

// testLogoutWithRefresh: the claims of a refresh token end the session too
// (a browser whose access cookie has expired logs out with its refresh
// cookie).
func testLogoutWithRefresh(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	p := e.login("alice")
	other := e.login("alice")
	next := e.refresh(p.RefreshToken)
	claims := e.accessOK(next.AccessToken)
	claims.Type = paseto.TypeRefresh // Logout reads only sub and sid
	if err := e.auth.Logout(context.Background(), claims); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	e.accessFails(next.AccessToken, paseto.ErrRevoked)
	e.refreshFails(next.RefreshToken, paseto.ErrRevoked)
	e.accessOK(other.AccessToken)
	// Logging out a session that is already over succeeds.
	if err := e.auth.Logout(context.Background(), claims); err != nil {
		t.Fatalf("second Logout: %v", err)
	}
}

// testRevokeSubjectThenLogin: "log out everywhere" ends every session of the
// subject, including refreshed ones, and a login after it is live.
func testRevokeSubjectThenLogin(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 10 * time.Second })
	var pairs []*paseto.TokenPair
	for range 5 {
		p := e.login("alice")
		pairs = append(pairs, e.refresh(p.RefreshToken))
	}
	if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		e.accessFails(p.AccessToken, paseto.ErrRevoked)
		e.refreshFails(p.RefreshToken, paseto.ErrRevoked)
	}
	again := e.login("alice")
	e.accessOK(e.refresh(again.RefreshToken).AccessToken)
	if err := e.auth.RevokeSubject(context.Background(), "nobody"); err != nil {
		t.Fatalf("RevokeSubject of a subject without sessions: %v", err)
	}
	if e.events.Load() != 0 {
		t.Fatal("revocation raised a reuse event")
	}
}

// testForgottenStore: tokens minted against one store are presented to an
// empty one with the same keys, as after a restart that lost everything.
// Nothing is accepted, and nothing counts as reuse: the store has never seen
// these tokens.
func testForgottenStore(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 10 * time.Second })
	live := e.login("alice")
	rotated := e.refresh(e.login("alice").RefreshToken)
	out := e.login("bob")
	if err := e.auth.Logout(context.Background(), e.accessOK(out.AccessToken)); err != nil {
		t.Fatal(err)
	}
	e.store = h.New(t, e.clock.Now)
	e.auth = e.newAuth(e.store)
	for _, p := range []*paseto.TokenPair{live, rotated, out} {
		e.accessFails(p.AccessToken, paseto.ErrRevoked)
		e.refreshFails(p.RefreshToken, paseto.ErrRevoked)
	}
	if e.events.Load() != 0 {
		t.Fatalf("%d reuse events for tokens the store never saw", e.events.Load())
	}
	e.accessOK(e.login("alice").AccessToken)
}

// keyLossState is a session state the key-loss test sets up. It returns
// every pair it made, in a fixed order (the records of a session are
// recognised by its sid, so that the same record is lost in each fresh
// world), and the pairs whose tokens must never be accepted again.
type keyLossState struct {
	name  string
	setup func(e *env) (all, dead []*paseto.TokenPair)
}

var keyLossStates = []keyLossState{
	{"live", func(e *env) (all, dead []*paseto.TokenPair) {
		p := e.login("alice")
		return []*paseto.TokenPair{p, e.refresh(p.RefreshToken), e.login("alice")}, nil
	}},
	{"logged out", func(e *env) (all, dead []*paseto.TokenPair) {
		p := e.login("alice")
		p2 := e.refresh(p.RefreshToken)
		q := e.login("alice") // another device, still live
		if err := e.auth.Logout(context.Background(), e.accessOK(p2.AccessToken)); err != nil {
			e.t.Fatal(err)
		}
		return []*paseto.TokenPair{p, p2, q}, []*paseto.TokenPair{p, p2}
	}},
	{"reuse revoked", func(e *env) (all, dead []*paseto.TokenPair) {
		p := e.login("alice")
		p2 := e.refresh(p.RefreshToken)
		q := e.login("alice")
		e.clock.Advance(11 * time.Second) // past the grace window
		e.refreshFails(p.RefreshToken, paseto.ErrRefreshReused)
		return []*paseto.TokenPair{p, p2, q}, []*paseto.TokenPair{p, p2}
	}},
	{"subject revoked", func(e *env) (all, dead []*paseto.TokenPair) {
		p := e.login("alice")
		p2 := e.refresh(p.RefreshToken)
		q := e.login("alice")
		if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
			e.t.Fatal(err)
		}
		return []*paseto.TokenPair{p, p2, q}, []*paseto.TokenPair{p, p2, q}
	}},
}

// roleKeys returns the records of s keyed by their role: each record name
// with the sids of all (numbered in order) replaced by their number, so that
// two worlds set up alike name their records alike.
func roleKeys(t *testing.T, h Harness, s paseto.Store, all []*paseto.TokenPair) map[string]string {
	t.Helper()
	var sids []string
	for _, p := range all {
		if sid := p.Access.Session; !slices.Contains(sids, sid) {
			sids = append(sids, sid)
		}
	}
	keys := h.Keys(t, s)
	named := make([]string, len(keys))
	for k, key := range keys {
		named[k] = key
		for i, sid := range sids {
			named[k] = strings.ReplaceAll(named[k], sid, "<session "+strconv.Itoa(i)+">")
		}
	}
	// What every name shares (a per-store namespace, say) is no part of a
	// role.
	common := ""
	if len(named) > 1 {
		common = named[0]
		for _, n := range named[1:] {
			for !strings.HasPrefix(n, common) {
				common = common[:len(common)-1]
			}
		}
	}
	roles := map[string]string{}
	for k, n := range named {
		role := strings.TrimPrefix(n, common)
		if _, dup := roles[role]; dup {
			t.Fatalf("two records with the role %q", role)
		}
		roles[role] = keys[k]
	}
	return roles
}

// testKeyLoss deletes, in each session state, each record the store holds,
// one at a time in a fresh world: no revoked token is accepted again, and
// RevokeSubject never reports success while a session of the subject still
// works.
func testKeyLoss(t *testing.T, h Harness) {
	if h.Keys == nil || h.Forget == nil {
		t.Skip("the harness cannot delete single records (Keys, Forget)")
	}
	grace := func(c *paseto.Config) { c.GracePeriod = 10 * time.Second }
	for _, st := range keyLossStates {
		t.Run(st.name, func(t *testing.T) {
			probe := newEnv(t, h, grace)
			all, dead := st.setup(probe)
			var roles []string
			for role := range roleKeys(t, h, probe.store, all) {
				roles = append(roles, role)
			}
			switch {
			case len(roles) == 0 && len(dead) < len(all):
				t.Fatal("the store lists no records, with a session live")
			case len(roles) == 0:
				// Every session ended and the store has forgotten them
				// all: no record is left to lose.
				t.Log("no record left in this state")
				return
			}
			slices.Sort(roles)
			for _, role := range roles {
				e := newEnv(t, h, grace)
				all, dead := st.setup(e)
				keys := roleKeys(t, h, e.store, all)
				lost, ok := keys[role]
				if !ok || len(keys) != len(roles) {
					t.Fatalf("the same state holds other records: %v, then %v", roles, keys)
				}
				h.Forget(t, e.store, lost)
				reuse := e.events.Load()
				for _, p := range dead {
					if _, err := e.auth.VerifyAccess(context.Background(), p.AccessToken); err == nil {
						t.Fatalf("without %s: a revoked access token is accepted", role)
					}
					if _, err := e.auth.Refresh(context.Background(), p.RefreshToken); err == nil {
						t.Fatalf("without %s: a revoked refresh token is accepted", role)
					}
				}
				if e.events.Load() != reuse {
					t.Fatalf("without %s: tokens of an ended session raised a reuse event", role)
				}
				e.listingHolds(role, all)
				e.revokeSubjectHolds(role, all)
			}
			t.Logf("%d records lost one at a time", len(roles))
		})
	}
}

// revokeSubjectHolds logs alice out everywhere and checks that, if that
// reports success, none of her sessions works: neither the state's own
// (all, set up before the record was lost) nor two opened since.
func (e *env) revokeSubjectHolds(lost string, all []*paseto.TokenPair) {
	e.t.Helper()
	pairs := slices.Clone(all)
	for range 2 {
		pairs = append(pairs, e.login("alice"))
	}
	pairs = append(pairs, e.refresh(pairs[len(all)].RefreshToken))
	if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
		return // reported failure: nothing is claimed
	}
	for _, p := range pairs {
		if _, err := e.auth.VerifyAccess(context.Background(), p.AccessToken); err == nil {
			e.t.Fatalf("without record %q: RevokeSubject succeeded and an access token still works", lost)
		}
		if _, err := e.auth.Refresh(context.Background(), p.RefreshToken); err == nil {
			e.t.Fatalf("without record %q: RevokeSubject succeeded and a refresh token still works", lost)
		}
	}
}

func testExpiredNoStoreCall(t *testing.T, h Harness) {
	var counting *pasetotest.FaultyStore // counts every call that reaches the store
	e := newEnv(t, h, func(c *paseto.Config) {
		counting = pasetotest.NewFaultyStore(c.Store)
		c.Store = counting
		c.RefreshLifetime = time.Hour
		c.SessionLifetime = 48 * time.Hour
	})
	p := e.login("alice")
	e.clock.Advance(time.Hour + time.Second)
	before := counting.Calls()
	e.refreshFails(p.RefreshToken, paseto.ErrExpired)
	if n := counting.Calls() - before; n != 0 {
		t.Fatalf("expired refresh token made %d store calls", n)
	}
}

func testTamperedNoStoreCall(t *testing.T, h Harness) {
	var counting *pasetotest.FaultyStore // counts every call that reaches the store
	e := newEnv(t, h, func(c *paseto.Config) {
		counting = pasetotest.NewFaultyStore(c.Store)
		c.Store = counting
	})
	p := e.login("alice")
	b := []byte(p.RefreshToken)
	i := len("v4.local.") + 40
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	before := counting.Calls()
	e.refreshFails(string(b), paseto.ErrInvalid)
	e.refreshFails(p.AccessToken, paseto.ErrInvalid) // access token on the refresh path
	e.refreshFails(p.RefreshToken+".", paseto.ErrMalformed)
	if n := counting.Calls() - before; n != 0 {
		t.Fatalf("tampered refresh tokens made %d store calls", n)
	}
	e.refresh(p.RefreshToken) // and the genuine one still works
}

func testRefreshKeepsClaims(t *testing.T, h Harness) {
	e := newEnv(t, h, nil)
	login, err := e.auth.Login(context.Background(), "alice", paseto.LoginOptions{Claims: map[string]any{"role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	first := e.accessOK(login.AccessToken)
	if !first.Fresh || !first.AuthTime.Equal(e.clock.Now().Truncate(time.Second)) {
		t.Fatalf("login token: fresh %v, auth_time %v", first.Fresh, first.AuthTime)
	}
	e.clock.Advance(5 * time.Minute)
	refreshed := e.refresh(login.RefreshToken)
	next := e.accessOK(refreshed.AccessToken)
	if next.Fresh {
		t.Fatal("token minted by refresh is fresh")
	}
	if !next.AuthTime.Equal(first.AuthTime) || next.Session != first.Session || next.Subject != "alice" {
		t.Fatalf("refresh changed auth_time/sid/sub: %+v", next)
	}
	if role, err := paseto.Claim[string](next, "role"); err != nil || role != "admin" {
		t.Fatalf("custom claim after refresh: %q, %v", role, err)
	}
	if _, err := e.auth.VerifyAccess(context.Background(), e.refresh(refreshed.RefreshToken).AccessToken, paseto.RequireFresh(0)); err == nil {
		t.Fatal("refreshed token passed RequireFresh")
	}
}

// testConcurrent: 100 refreshes of one token at once, through one or two
// store connections. Exactly one rotation; every success carries the same
// successor; the session is not forked and not revoked.
func testConcurrent(t *testing.T, h Harness) {
	e := newEnv(t, h, func(c *paseto.Config) { c.GracePeriod = 30 * time.Second })
	auths := []*paseto.Auth{e.auth}
	if h.Twin != nil {
		auths = append(auths, e.newAuth(h.Twin(t, e.store)))
	}
	p := e.login("alice")
	const n = 100
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		got   = map[string]int{}
		fails []error
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			pair, err := auths[i%len(auths)].Refresh(context.Background(), p.RefreshToken)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails = append(fails, err)
				return
			}
			got[pair.RefreshToken]++
		}()
	}
	close(start)
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("%d of %d concurrent refreshes failed, first: %v", len(fails), n, fails[0])
	}
	// One successor: a retry within the window mints it again, in another
	// string (a fresh nonce) with the same ID and claims.
	var first string
	for succ := range got {
		if first == "" {
			first = succ
		} else if !e.sameRefreshToken(succ, first) {
			t.Fatal("concurrent refreshes produced different successors, want 1")
		}
	}
	next := e.refresh(first)
	e.accessOK(next.AccessToken)
	if e.events.Load() != 0 {
		t.Fatal("concurrent refreshes raised a security event")
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
