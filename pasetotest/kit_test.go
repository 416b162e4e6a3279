package pasetotest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// kitConfigs are the configurations the minting property is checked
// under: whatever the application's Config and GuardConfig, a token the
// test did not ask to be bad is accepted.
var kitConfigs = []struct {
	name string
	opts func() pasetotest.Config
}{
	{"default", func() pasetotest.Config { return pasetotest.Config{} }},
	{"seeded", func() pasetotest.Config { return pasetotest.Config{Seed: "seed"} }},
	{"public", func() pasetotest.Config { return pasetotest.Config{Public: true} }},
	{"seeded public", func() pasetotest.Config { return pasetotest.Config{Seed: "seed", Public: true} }},
	{"clock between seconds", func() pasetotest.Config {
		return pasetotest.Config{Clock: pasetotest.NewClock(time.Date(2030, 1, 1, 12, 0, 0, 999_000_000, time.UTC))}
	}},
	{"issuer, audience, leeway", func() pasetotest.Config {
		return pasetotest.Config{Auth: func(c *paseto.Config) {
			c.Issuer, c.Audience, c.Leeway = "https://issuer.test", "api.test", 30*time.Second
		}}
	}},
	{"short lifetimes", func() pasetotest.Config {
		return pasetotest.Config{Auth: func(c *paseto.Config) {
			c.AccessLifetime, c.RefreshLifetime = time.Minute, 5*time.Minute
			c.SessionLifetime, c.IdleTimeout = 10*time.Minute, 2*time.Minute
		}}
	}},
	{"cache, session cap", func() pasetotest.Config {
		return pasetotest.Config{Auth: func(c *paseto.Config) { c.CacheSize, c.MaxSessions = 64, 3 }}
	}},
	{"implicit refresh", func() pasetotest.Config {
		return pasetotest.Config{
			Auth:  func(c *paseto.Config) { c.GracePeriod = 10 * time.Second },
			Guard: func(g *paseto.GuardConfig) { g.ImplicitRefresh = 2 * time.Minute },
		}
	}},
	{"bearer only", func() pasetotest.Config {
		return pasetotest.Config{Guard: func(g *paseto.GuardConfig) { g.Cookies = nil }}
	}},
}

// mintCase is one way of calling Kit.AccessToken. want is nil when the
// test did not ask for a bad token: then the verifier must accept it.
type mintCase struct {
	name string
	opts func(tb testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption
	want error
}

func mintCases() []mintCase {
	leeway := func(k *pasetotest.Kit) time.Duration { return k.Auth.Config().Leeway }
	life := func(k *pasetotest.Kit) time.Duration { return k.Auth.Config().AccessLifetime }
	return []mintCase{
		{"no options", nil, nil},
		{"scopes", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Scopes("notes:read", "notes:write"), pasetotest.Scopes("admin")}
		}, nil},
		{"claims", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Claim("role", "admin"), pasetotest.Claim("teams", []string{"a", "b"}),
				pasetotest.Claim("profile", map[string]any{"name": "Alice", "age": 30})}
		}, nil},
		{"device", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Device(paseto.Device{UserAgent: "Firefox", Label: "laptop"})}
		}, nil},
		{"not fresh", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.NotFresh()}
		}, nil},
		{"auth time an hour ago", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.AuthTime(k.Clock.Now().Add(-time.Hour))}
		}, nil},
		{"not fresh, auth time a day ago", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.NotFresh(), pasetotest.AuthTime(k.Clock.Now().Add(-24 * time.Hour))}
		}, nil},
		{"lifetime a second", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Lifetime(time.Second)}
		}, nil},
		{"lifetime a year", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Lifetime(365 * 24 * time.Hour)}
		}, nil},
		{"issued half a lifetime ago", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.IssuedAt(k.Clock.Now().Add(-life(k) / 2))}
		}, nil},
		{"issued at the edge of the leeway", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.IssuedAt(k.Clock.Now().Add(leeway(k)))}
		}, nil},
		{"in a login's session", func(tb testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.InSession(k.Login(tb, "alice").Access.Session)}
		}, nil},
		{"everything good at once", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			now := k.Clock.Now()
			return []pasetotest.TokenOption{pasetotest.Scopes("s"), pasetotest.Claim("c", 1), pasetotest.NotFresh(),
				pasetotest.AuthTime(now.Add(-2 * time.Hour)), pasetotest.IssuedAt(now.Add(-time.Hour)), pasetotest.Lifetime(2 * time.Hour)}
		}, nil},
		{"expired", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Expired()}
		}, paseto.ErrExpired},
		{"expired, long lifetime", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.Lifetime(48 * time.Hour), pasetotest.Expired()}
		}, paseto.ErrExpired},
		{"not yet valid", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.NotYetValid()}
		}, paseto.ErrNotYetValid},
		{"not yet valid, not fresh", func(testing.TB, *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.NotFresh(), pasetotest.NotYetValid()}
		}, paseto.ErrNotYetValid},
		{"issued a lifetime past the leeway ago", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.IssuedAt(k.Clock.Now().Add(-life(k) - leeway(k) - time.Second))}
		}, paseto.ErrExpired},
		{"issued past the leeway ahead", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.IssuedAt(k.Clock.Now().Add(leeway(k) + time.Second))}
		}, paseto.ErrNotYetValid},
		{"the last time option wins", func(_ testing.TB, k *pasetotest.Kit) []pasetotest.TokenOption {
			return []pasetotest.TokenOption{pasetotest.NotYetValid(), pasetotest.IssuedAt(k.Clock.Now()), pasetotest.Expired()}
		}, paseto.ErrExpired},
	}
}

// TestMintedTokensVerify is the kit's promise: no helper mints a token
// the real verifier refuses unless the test asked for one. Every minting
// option, under every configuration, is checked with Auth.VerifyAccess
// and through a real adapter's Required route; so are the pairs of Login
// (refresh included) and the sessions of CookieLogin.
func TestMintedTokensVerify(t *testing.T) {
	for _, kc := range kitConfigs {
		t.Run(kc.name, func(t *testing.T) {
			t.Parallel()
			kit := pasetotest.New(t, kc.opts())
			h := app(kit.Guard)
			ctx := context.Background()
			for _, mc := range mintCases() {
				var opts []pasetotest.TokenOption
				if mc.opts != nil {
					opts = mc.opts(t, kit)
				}
				tok := kit.AccessToken(t, "alice", opts...)
				_, err := kit.Auth.VerifyAccess(ctx, tok)
				if !errors.Is(err, mc.want) || (mc.want == nil && err != nil) {
					t.Errorf("%s: VerifyAccess: %v, want %v", mc.name, err, mc.want)
				}
				wantStatus := http.StatusOK
				if mc.want != nil {
					wantStatus = http.StatusUnauthorized
				}
				if resp := serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok)); resp.StatusCode != wantStatus {
					t.Errorf("%s: GET /me: status %d, want %d", mc.name, resp.StatusCode, wantStatus)
				}
			}

			pair := kit.Login(t, "bob", pasetotest.Scopes("notes:write"), pasetotest.Claim("role", "admin"))
			if _, err := kit.Auth.VerifyAccess(ctx, pair.AccessToken, paseto.RequireFresh(0), paseto.RequireScopes("notes:write")); err != nil {
				t.Errorf("Login's access token: %v", err)
			}
			next, err := kit.Auth.Refresh(ctx, pair.RefreshToken)
			if err != nil {
				t.Fatalf("Login's refresh token: %v", err)
			}
			if resp := serve(h, pasetotest.Bearer(httptest.NewRequest("POST", "/notes", nil), next.AccessToken)); resp.StatusCode != http.StatusCreated {
				t.Errorf("refreshed access token on POST /notes: status %d", resp.StatusCode)
			}
			if kit.Guard.Config().Cookies == nil {
				return
			}
			cs := kit.CookieLogin(t, "carol", pasetotest.Scopes("notes:write"))
			for _, r := range []*http.Request{
				httptest.NewRequest("GET", "/me", nil),
				httptest.NewRequest("POST", "/notes", nil),
				httptest.NewRequest("DELETE", "/account", nil),
			} {
				if resp := serve(h, cs.Apply(r)); resp.StatusCode >= 300 {
					t.Errorf("cookie session on %s %s: status %d", r.Method, r.URL.Path, resp.StatusCode)
				}
			}
			resp := serve(h, cs.Apply(httptest.NewRequest("POST", "/auth/refresh", nil)))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("cookie refresh: status %d", resp.StatusCode)
			}
			cs.Update(resp.Header)
			if resp := serve(h, cs.Apply(httptest.NewRequest("POST", "/notes", nil))); resp.StatusCode != http.StatusCreated {
				t.Errorf("after the cookie refresh, POST /notes: status %d", resp.StatusCode)
			}
		})
	}
}

// Two kits with one seed share keys: over one store, each accepts the
// other's tokens. Different seeds, and no seed, do not.
func TestSeed(t *testing.T) {
	for _, public := range []bool{false, true} {
		a := pasetotest.New(t, pasetotest.Config{Seed: "one", Public: public})
		same := pasetotest.New(t, pasetotest.Config{Seed: "one", Public: public, Clock: a.Clock, Store: a.Store.Unwrap()})
		other := pasetotest.New(t, pasetotest.Config{Seed: "two", Public: public, Clock: a.Clock, Store: a.Store.Unwrap()})
		random := pasetotest.New(t, pasetotest.Config{Public: public, Clock: a.Clock, Store: a.Store.Unwrap()})
		ctx := context.Background()
		pair := a.Login(t, "alice")
		if _, err := same.Auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
			t.Errorf("public %v, same seed: %v", public, err)
		}
		if _, err := same.Auth.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Errorf("public %v, same seed, refresh: %v", public, err)
		}
		for name, k := range map[string]*pasetotest.Kit{"other seed": other, "no seed": random} {
			if _, err := k.Auth.VerifyAccess(ctx, a.AccessToken(t, "alice")); !errors.Is(err, paseto.ErrInvalid) {
				t.Errorf("public %v, %s: %v, want ErrInvalid", public, name, err)
			}
		}
	}
	r1 := pasetotest.New(t, pasetotest.Config{})
	r2 := pasetotest.New(t, pasetotest.Config{Clock: r1.Clock, Store: r1.Store.Unwrap()})
	if _, err := r2.Auth.VerifyAccess(context.Background(), r1.AccessToken(t, "alice")); !errors.Is(err, paseto.ErrInvalid) {
		t.Errorf("two kits without a seed share keys: %v", err)
	}
}

// fatalTB records the first Fatalf and ends the goroutine, as testing.T
// does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, a ...any) {
	f.msg = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// fails runs fn with a fatalTB and returns what it failed with ("" when it
// did not).
func fails(fn func(tb testing.TB)) string {
	tb := &fatalTB{}
	var wg sync.WaitGroup
	wg.Go(func() { fn(tb) })
	wg.Wait()
	return tb.msg
}

// What the kit cannot do fails the test, with a message that says why.
func TestHelpersFailTheTest(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	capped := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) {
		c.MaxSessions, c.AtMaxSessions = 1, paseto.RefuseNewSession
	}})
	noCookies := pasetotest.New(t, pasetotest.Config{Guard: func(g *paseto.GuardConfig) { g.Cookies = nil }})
	other := kit.Login(t, "bob").Access.Session
	ended := kit.Login(t, "alice")
	if err := kit.Auth.Logout(context.Background(), ended.Access); err != nil {
		t.Fatal(err)
	}
	capped.Login(t, "alice")
	for _, tc := range []struct {
		name string
		fn   func(tb testing.TB)
		want string
	}{
		{"reserved claim", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.Claim("sub", "mallory")) }, "reserved"},
		{"auth time after the issue time", func(tb testing.TB) {
			kit.AccessToken(tb, "alice", pasetotest.AuthTime(kit.Clock.Now().Add(time.Hour)))
		}, "auth time in the future"},
		{"bad scope", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.Scopes("two words")) }, "scope"},
		{"lifetime under a second", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.Lifetime(time.Millisecond)) }, "lifetime"},
		{"unknown session", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.InSession("nope")) }, "not a live session"},
		{"another subject's session", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.InSession(other)) }, "not a live session"},
		{"ended session", func(tb testing.TB) { kit.AccessToken(tb, "alice", pasetotest.InSession(ended.Access.Session)) }, "not a live session"},
		{"empty subject", func(tb testing.TB) { kit.Login(tb, "") }, "subject"},
		{"session cap, refuse", func(tb testing.TB) { capped.Login(tb, "alice") }, "session"},
		{"session cap, refuse, minting", func(tb testing.TB) { capped.AccessToken(tb, "alice") }, "session"},
		{"cookie login without cookies", func(tb testing.TB) { noCookies.CookieLogin(tb, "alice") }, "no cookies"},
		{"configuration refused", func(tb testing.TB) {
			pasetotest.New(tb, pasetotest.Config{Auth: func(c *paseto.Config) { c.GracePeriod = time.Hour }})
		}, "grace period"},
		{"guard configuration refused", func(tb testing.TB) {
			pasetotest.New(tb, pasetotest.Config{Guard: func(g *paseto.GuardConfig) { g.ImplicitRefresh = time.Minute }})
		}, "GracePeriod"},
	} {
		msg := fails(tc.fn)
		if !strings.HasPrefix(msg, "pasetotest: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: failed with %q, want a pasetotest message containing %q", tc.name, msg, tc.want)
		}
	}
	if msg := fails(func(tb testing.TB) { kit.AccessToken(tb, "alice") }); msg != "" {
		t.Errorf("a plain token failed: %s", msg)
	}
}

// storeCall calls op on s.
func storeCall(ctx context.Context, s paseto.Store, op pasetotest.Op, now time.Time) error {
	var err error
	switch op {
	case pasetotest.OpSessionLive:
		_, err = s.SessionLive(ctx, "alice", "sid", now)
	case pasetotest.OpCreateSession:
		_, err = s.CreateSession(ctx, paseto.SessionRecord{ID: "sid-" + now.String(), Subject: "alice", Current: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	case pasetotest.OpRotate:
		_, err = s.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "sid", Presented: "a", Successor: "b", Now: now})
		if errors.Is(err, paseto.ErrRevoked) {
			err = nil // the session is unknown: the call went through
		}
	case pasetotest.OpListSessions:
		_, err = s.ListSessions(ctx, "alice", now)
	case pasetotest.OpRevokeSession:
		_, err = s.RevokeSession(ctx, "alice", "sid", now)
	case pasetotest.OpRevokeOtherSessions:
		_, err = s.RevokeOtherSessions(ctx, "alice", "sid", now)
	case pasetotest.OpRevokeSubject:
		err = s.RevokeSubject(ctx, "alice")
	}
	return err
}

var allOps = []pasetotest.Op{
	pasetotest.OpSessionLive, pasetotest.OpCreateSession, pasetotest.OpRotate, pasetotest.OpListSessions,
	pasetotest.OpRevokeSession, pasetotest.OpRevokeOtherSessions, pasetotest.OpRevokeSubject,
}

// Every fault on every operation, alone: the operation fails as the
// fault says, the others pass, every call is counted.
func TestFaultyStore(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, op := range allOps {
		for _, tc := range []struct {
			fault pasetotest.Fault
			want  error
		}{
			{pasetotest.Unavailable, pasetotest.ErrUnavailable},
			{pasetotest.Corrupt, paseto.ErrStoreCorrupt},
			{pasetotest.Hang, context.DeadlineExceeded},
		} {
			s := pasetotest.NewFaultyStore(paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: func() time.Time { return now }}))
			s.Set(tc.fault, op)
			for _, o := range allOps {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				err := storeCall(ctx, s, o, now)
				cancel()
				if o == op && !errors.Is(err, tc.want) {
					t.Errorf("%v under %d: %v, want %v", o, tc.fault, err, tc.want)
				}
				if o == op && tc.fault == pasetotest.Corrupt && errors.Is(err, pasetotest.ErrUnavailable) {
					t.Errorf("%v corrupt: %v is also unavailable", o, err)
				}
				if o != op && err != nil {
					t.Errorf("%v with a fault on %v only: %v", o, op, err)
				}
			}
			if got := s.Calls(); got != int64(len(allOps)) {
				t.Errorf("%v: Calls() = %d, want %d", op, got, len(allOps))
			}
			if got := s.Calls(op); got != 1 {
				t.Errorf("Calls(%v) = %d, want 1", op, got)
			}
			if got := s.Calls(pasetotest.AllOps &^ op); got != int64(len(allOps)-1) {
				t.Errorf("Calls(all but %v) = %d, want %d", op, got, len(allOps)-1)
			}
			s.Set(pasetotest.NoFault)
			if err := storeCall(context.Background(), s, op, now); err != nil {
				t.Errorf("%v healed: %v", op, err)
			}
		}
	}
}

// A hung call without a deadline fails at once rather than hang the
// test; with one, it waits for it.
func TestHangDeadline(t *testing.T) {
	s := pasetotest.NewFaultyStore(paseto.NewMemoryStore(paseto.MemoryStoreConfig{}))
	s.Set(pasetotest.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.RevokeSubject(ctx, "alice"); !errors.Is(err, pasetotest.ErrNoDeadline) {
		t.Errorf("no deadline: %v, want ErrNoDeadline", err)
	}
	const d = 30 * time.Millisecond
	ctx, cancel = context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	if _, err := s.SessionLive(ctx, "alice", "sid", time.Now()); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < d {
		t.Errorf("deadline %v: %v after %v", d, err, time.Since(start))
	}
}

// The kit's own calls pass whatever the faults, uncounted; the app's
// calls through the Auth fail and are counted.
func TestKitBypassesFaults(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	kit.Store.Set(pasetotest.Unavailable)
	pair := kit.Login(t, "alice")
	tok := kit.AccessToken(t, "alice", pasetotest.InSession(pair.Access.Session))
	kit.CookieLogin(t, "alice")
	if n := kit.Store.Calls(); n != 0 {
		t.Errorf("the kit's calls were counted: %d", n)
	}
	if _, err := kit.Auth.VerifyAccess(context.Background(), tok); !errors.Is(err, paseto.ErrStoreUnavailable) || !errors.Is(err, pasetotest.ErrUnavailable) {
		t.Errorf("VerifyAccess with the store down: %v", err)
	}
	if _, err := kit.Auth.Login(context.Background(), "alice", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Errorf("the app's Login with the store down: %v", err)
	}
	if n := kit.Store.Calls(pasetotest.OpSessionLive | pasetotest.OpCreateSession); n != 2 {
		t.Errorf("the app's calls: %d counted, want 2", n)
	}
}

// Events are recorded, and the application's own OnSecurityEvent still
// runs.
func TestEventsChain(t *testing.T) {
	var mine []string
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) {
		c.OnSecurityEvent = func(_ context.Context, ev paseto.SecurityEvent) { mine = append(mine, ev.Kind) }
	}})
	if err := kit.Auth.RevokeSubject(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if ev := kit.Events(); len(ev) != 1 || ev[0].Kind != paseto.EventSubjectRevoked || len(mine) != 1 {
		t.Errorf("kit events %v, app events %v", ev, mine)
	}
}

// With the refresh cookie scoped to the refresh endpoint, Apply sends it
// there only, as a browser does; the refresh rotates it and Update keeps
// the new one.
func TestCookiePaths(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{Guard: func(g *paseto.GuardConfig) {
		g.Cookies = &paseto.CookieConfig{RefreshPath: "/auth"}
	}})
	h := app(kit.Guard)
	cs := kit.CookieLogin(t, "alice")
	refreshName := kit.Guard.Config().Cookies.RefreshName
	for path, want := range map[string]bool{"/me": false, "/": false, "/authx": false, "/auth": true, "/auth/refresh": true} {
		r := cs.Apply(httptest.NewRequest("GET", path, nil))
		if _, err := r.Cookie(refreshName); (err == nil) != want {
			t.Errorf("%s: refresh cookie sent %v, want %v", path, err == nil, want)
		}
		if r.Header.Get("X-CSRF-Token") != cs.CSRF {
			t.Errorf("%s: no CSRF header", path)
		}
	}
	old := cs.Pair.RefreshToken
	resp := serve(h, cs.Apply(httptest.NewRequest("POST", "/auth/refresh", nil)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: status %d", resp.StatusCode)
	}
	cs.Update(resp.Header)
	r := cs.Apply(httptest.NewRequest("POST", "/auth/refresh", nil))
	if c, err := r.Cookie(refreshName); err != nil || c.Value == old || len(r.Cookies()) != 3 {
		t.Errorf("after the refresh: cookies %v", r.Cookies())
	}
	if resp := serve(h, r); resp.StatusCode != http.StatusOK {
		t.Errorf("second refresh with the rotated cookie: status %d", resp.StatusCode)
	}
}

// Time moves only when the test moves it: the session's absolute end,
// its idle timeout and a route's freshness window, through the Guard.
func TestClockDrivesSessions(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) {
		c.IdleTimeout, c.SessionLifetime = time.Hour, 3*time.Hour
	}})
	h := app(kit.Guard)
	refresh := func(rt string) *http.Response {
		return serve(h, pasetotest.Bearer(httptest.NewRequest("POST", "/auth/refresh", nil), rt))
	}

	pair := kit.Login(t, "alice")
	for i := range 4 { // refreshed within the idle timeout, until the session's end
		kit.Clock.Advance(50 * time.Minute)
		next, err := kit.Auth.Refresh(context.Background(), pair.RefreshToken)
		if i < 3 && err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if i == 3 && err == nil {
			t.Fatalf("refresh after the session's end (%v after login) succeeded", kit.Clock.Now().Sub(pair.Access.IssuedAt))
		}
		if err == nil {
			pair = next
		}
	}

	idle := kit.Login(t, "bob")
	kit.Clock.Advance(time.Hour + time.Second)
	if resp := refresh(idle.RefreshToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh after the idle timeout: status %d", resp.StatusCode)
	}

	tok := kit.AccessToken(t, "carol")
	del := func() int {
		return serve(h, pasetotest.Bearer(httptest.NewRequest("DELETE", "/account", nil), tok)).StatusCode
	}
	if got := del(); got != http.StatusNoContent {
		t.Errorf("fresh token: status %d", got)
	}
	kit.Clock.Advance(5*time.Minute + time.Second)
	if got := del(); got != http.StatusUnauthorized {
		t.Errorf("fresh token past the route's max age: status %d", got)
	}
}
