package pasetoauth_test

// The session list endpoints (SessionsHandler, RevokeSessionHandler,
// RevokeOtherSessionsHandler), the Device the adapters read for a login,
// and the cap on sessions per user (Config.MaxSessions).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// unknownSID has the shape of a session ID and names none.
const unknownSID = "AAAAAAAAAAAAAAAAAAAAAA"

var revoked = deny(401, invalid("token has been revoked"), "revoked_token")

var sessionRows = []row{
	// The list.
	{
		name: "sessions: a user's sessions, newest first, the caller's current, with their user agents",
		req: func(e *env) *http.Request {
			e.loginAs("phone", "alice", "phone-agent")
			e.clock.Advance(time.Minute)
			laptop := e.loginAs("laptop", "alice", "laptop-agent")
			e.keep("bob", e.login("bob"))
			return req("GET", "/sessions", bearer(laptop.AccessToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			if cc := res.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			phone, laptop := e.sid(e.pairs["phone"]), e.sid(e.pairs["laptop"])
			list := listedSessions(t, res)
			if len(list) != 2 {
				t.Fatalf("listed %s, want alice's two sessions", res.body)
			}
			l, p := list[0], list[1]
			if l.ID != laptop || !l.Current || l.UserAgent != "laptop-agent" ||
				p.ID != phone || p.Current || p.UserAgent != "phone-agent" {
				t.Errorf("listed %s\nwant the laptop's session %s (current), then the phone's %s", res.body, laptop, phone)
			}
			for _, s := range list {
				if s.IP != nil || s.Label != nil {
					t.Errorf("session %s lists ip %v, label %v; Config.KeepIP is off and no label was given", s.ID, s.IP, s.Label)
				}
				if !s.LastUsedAt.Equal(s.CreatedAt) || !s.ExpiresAt.After(s.CreatedAt) {
					t.Errorf("session %s: created %v, last used %v, expires %v", s.ID, s.CreatedAt, s.LastUsedAt, s.ExpiresAt)
				}
			}
			if !l.CreatedAt.After(p.CreatedAt) {
				t.Errorf("the laptop's session created %v, not after the phone's %v", l.CreatedAt, p.CreatedAt)
			}
			if bob := e.sid(e.pairs["bob"]); bytes.Contains(res.body, []byte(bob)) {
				t.Errorf("alice's list shows bob's session %s: %s", bob, res.body)
			}

			// And bob sees his own only.
			bobs := e.expect(t, req("GET", "/sessions", bearer(e.pairs["bob"].AccessToken)...), endpoint(200))
			if list := listedSessions(t, bobs); len(list) != 1 || list[0].ID != e.sid(e.pairs["bob"]) || !list[0].Current {
				t.Errorf("bob's list %s, want his one session, current", bobs.body)
			}
		},
	},
	{
		name:   "sessions: the client IP the adapter read, kept whole with KeepIP IPFull",
		config: func(c *paseto.Config) { c.KeepIP = paseto.IPFull },
		req: func(e *env) *http.Request {
			return req("GET", "/sessions", bearer(e.loginAs("me", "alice", "agent").AccessToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			list := listedSessions(t, res)
			// Every framework sees the loopback peer: no proxy header is sent.
			if len(list) != 1 || list[0].IP == nil || *list[0].IP != "127.0.0.1" || list[0].UserAgent != "agent" {
				t.Errorf("listed %s, want one session from 127.0.0.1 with user agent \"agent\"", res.body)
			}
		},
	},
	{
		name: "sessions without token",
		req:  func(e *env) *http.Request { return req("GET", "/sessions") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "sessions with a refresh token",
		req: func(e *env) *http.Request {
			return req("GET", "/sessions", bearer(e.login("alice").RefreshToken)...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "sessions with store down",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.Set(pasetotest.Unavailable)
			return req("GET", "/sessions", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},

	// Revoking one session.
	{
		name: "revoke a session: its tokens are refused, the caller's still work",
		req: func(e *env) *http.Request {
			phone := e.keep("phone", e.login("alice"))
			laptop := e.keep("laptop", e.login("alice"))
			return req("DELETE", "/sessions/"+e.sid(phone), bearer(laptop.AccessToken)...)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			if len(res.body) != 0 {
				t.Errorf("body %q on a 204", res.body)
			}
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a bearer revoke set cookies: %q", sc)
			}
			phone, laptop := e.pairs["phone"], e.pairs["laptop"]
			e.expect(t, req("GET", "/protected", bearer(phone.AccessToken)...), revoked)
			e.expect(t, req("POST", "/refresh", bearer(phone.RefreshToken)...), revoked)
			e.expect(t, req("GET", "/sessions", bearer(phone.AccessToken)...), revoked)
			e.expect(t, req("GET", "/protected", bearer(laptop.AccessToken)...), ok("alice"))
			left := e.expect(t, req("GET", "/sessions", bearer(laptop.AccessToken)...), endpoint(200))
			if list := listedSessions(t, left); len(list) != 1 || list[0].ID != e.sid(laptop) {
				t.Errorf("after the revoke, listed %s; want the laptop's session only", left.body)
			}
		},
	},
	{
		name: "revoke the caller's own session by bearer token",
		req: func(e *env) *http.Request {
			p := e.keep("me", e.login("alice"))
			return req("DELETE", "/sessions/"+e.sid(p), bearer(p.AccessToken)...)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a bearer revoke set cookies: %q", sc)
			}
			e.expect(t, req("GET", "/protected", bearer(e.pairs["me"].AccessToken)...), revoked)
			e.expect(t, req("POST", "/refresh", bearer(e.pairs["me"].RefreshToken)...), revoked)
		},
	},
	{
		name: "revoke another user's session: 404 as for an unknown one, and it lives on",
		req: func(e *env) *http.Request {
			bob := e.keep("bob", e.login("bob"))
			alice := e.keep("alice", e.login("alice"))
			return req("DELETE", "/sessions/"+e.sid(bob), bearer(alice.AccessToken)...)
		},
		want: deny(404, "", "unknown_session"),
		then: func(t *testing.T, e *env, res *result) {
			unknown := e.expect(t, req("DELETE", "/sessions/"+unknownSID, bearer(e.pairs["alice"].AccessToken)...), deny(404, "", "unknown_session"))
			sameAnswer(t, "another user's session", res, "an unknown one", unknown)
			bob := e.pairs["bob"]
			e.expect(t, req("GET", "/protected", bearer(bob.AccessToken)...), ok("bob"))
			e.expect(t, req("POST", "/refresh", bearer(bob.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "revoke a session already ended: 404 as for an unknown one",
		req: func(e *env) *http.Request {
			ended, me := e.login("alice"), e.keep("me", e.login("alice"))
			sid := e.sid(ended)
			e.expect(e.t, req("DELETE", "/sessions/"+sid, bearer(me.AccessToken)...), endpoint(204))
			return req("DELETE", "/sessions/"+sid, bearer(me.AccessToken)...)
		},
		want: deny(404, "", "unknown_session"),
		then: func(t *testing.T, e *env, res *result) {
			unknown := e.expect(t, req("DELETE", "/sessions/"+unknownSID, bearer(e.pairs["me"].AccessToken)...), deny(404, "", "unknown_session"))
			sameAnswer(t, "an ended session", res, "an unknown one", unknown)
			e.expect(t, req("GET", "/protected", bearer(e.pairs["me"].AccessToken)...), ok("alice"))
		},
	},
	{
		name: "revoke a session without token",
		req: func(e *env) *http.Request {
			return req("DELETE", "/sessions/"+e.sid(e.keep("mine", e.login("alice"))))
		},
		want: deny(401, realm, "missing_token"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", bearer(e.pairs["mine"].AccessToken)...), ok("alice"))
		},
	},
	{
		name: "revoke a session with store down",
		req: func(e *env) *http.Request {
			other, me := e.keep("other", e.login("alice")), e.login("alice")
			sid := e.sid(other)
			e.store.Set(pasetotest.Unavailable)
			return req("DELETE", "/sessions/"+sid, bearer(me.AccessToken)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
		then: func(t *testing.T, e *env, res *result) {
			e.store.Set(pasetotest.NoFault)
			e.expect(t, req("GET", "/protected", bearer(e.pairs["other"].AccessToken)...), ok("alice"))
		},
	},

	// Signing out everywhere else.
	{
		name: "revoke other sessions: theirs refused, the caller's and other users' still work",
		req: func(e *env) *http.Request {
			e.keep("phone", e.login("alice"))
			e.keep("tablet", e.login("alice"))
			e.keep("bob", e.login("bob"))
			me := e.keep("me", e.login("alice"))
			return req("POST", "/sessions/revoke-others", bearer(me.AccessToken)...)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			if len(res.body) != 0 {
				t.Errorf("body %q on a 204", res.body)
			}
			for _, name := range []string{"phone", "tablet"} {
				e.expect(t, req("GET", "/protected", bearer(e.pairs[name].AccessToken)...), revoked)
				e.expect(t, req("POST", "/refresh", bearer(e.pairs[name].RefreshToken)...), revoked)
			}
			e.expect(t, req("GET", "/protected", bearer(e.pairs["me"].AccessToken)...), ok("alice"))
			e.expect(t, req("GET", "/protected", bearer(e.pairs["bob"].AccessToken)...), ok("bob"))
			left := e.expect(t, req("GET", "/sessions", bearer(e.pairs["me"].AccessToken)...), endpoint(200))
			if list := listedSessions(t, left); len(list) != 1 || !list[0].Current {
				t.Errorf("after revoke-others, listed %s; want the caller's session only", left.body)
			}
		},
	},
	{
		name: "revoke other sessions without token",
		req:  func(e *env) *http.Request { return req("POST", "/sessions/revoke-others") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "revoke other sessions with store down",
		req: func(e *env) *http.Request {
			e.keep("other", e.login("alice"))
			tok := e.login("alice").AccessToken
			e.store.Set(pasetotest.Unavailable)
			return req("POST", "/sessions/revoke-others", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
		then: func(t *testing.T, e *env, res *result) {
			e.store.Set(pasetotest.NoFault)
			e.expect(t, req("GET", "/protected", bearer(e.pairs["other"].AccessToken)...), ok("alice"))
		},
	},

	// Cookie sessions: DELETE and POST are unsafe methods.
	{
		name: "cookie revoke without CSRF header ends nothing",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			return req("DELETE", "/sessions/"+e.sid(&paseto.TokenPair{AccessToken: b.access}), "Cookie", b.cookies(true))
		},
		want: deny(403, "", "invalid_csrf_token"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(true)), ok("alice"))
		},
	},
	{
		name: "cookie revoke other sessions without CSRF header ends nothing",
		req: func(e *env) *http.Request {
			e.keep("other", e.login("alice"))
			return req("POST", "/sessions/revoke-others", "Cookie", e.cookieLogin("alice").cookies(true))
		},
		want: deny(403, "", "invalid_csrf_token"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", bearer(e.pairs["other"].AccessToken)...), ok("alice"))
		},
	},
	{
		name: "cookie revoke of the browser's own session expires its cookies",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			sid := e.sid(&paseto.TokenPair{AccessToken: b.access})
			return req("DELETE", "/sessions/"+sid, "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			expectCleared(t, e, res)
			b := e.browser
			e.expect(t, req("GET", "/protected", "Cookie", b.cookies(true)), revoked)
			e.expect(t, req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf), revoked)
		},
	},
	{
		name: "cookie revoke of another session keeps the browser's cookies",
		req: func(e *env) *http.Request {
			other := e.keep("other", e.login("alice"))
			b := e.cookieLogin("alice")
			e.browser = b
			return req("DELETE", "/sessions/"+e.sid(other), "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("revoking another session set cookies: %q", sc)
			}
			e.expect(t, req("GET", "/protected", bearer(e.pairs["other"].AccessToken)...), revoked)
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(true)), ok("alice"))
		},
	},

	// The cap on sessions per user.
	{
		name:   "session cap: a login at the cap ends the oldest session",
		config: func(c *paseto.Config) { c.MaxSessions = 2 },
		req: func(e *env) *http.Request {
			e.keep("oldest", e.login("alice"))
			e.clock.Advance(time.Minute)
			e.keep("older", e.login("alice"))
			e.clock.Advance(time.Minute)
			e.keep("bob", e.login("bob"))
			return reqBody("POST", "/login", credentials("alice"), "User-Agent", "newest-agent")
		},
		want: want{status: 200, ran: true},
		then: func(t *testing.T, e *env, res *result) {
			oldest, older := e.pairs["oldest"], e.pairs["older"]
			e.expect(t, req("GET", "/protected", bearer(oldest.AccessToken)...), revoked)
			e.expect(t, req("POST", "/refresh", bearer(oldest.RefreshToken)...), revoked)
			e.expect(t, req("GET", "/protected", bearer(older.AccessToken)...), ok("alice"))
			e.expect(t, req("GET", "/protected", bearer(e.pairs["bob"].AccessToken)...), ok("bob"))
			newest := &paseto.TokenPair{AccessToken: res.reply.AccessToken}
			list := e.expect(t, req("GET", "/sessions", bearer(newest.AccessToken)...), endpoint(200))
			got := listedSessions(t, list)
			if len(got) != 2 || got[0].ID != e.sid(newest) || got[0].UserAgent != "newest-agent" || got[1].ID != e.sid(older) {
				t.Errorf("listed %s; want the new session, then the older one", list.body)
			}
		},
	},
	{
		name: "session cap: with RefuseNewSession a login at the cap is refused",
		config: func(c *paseto.Config) {
			c.MaxSessions = 2
			c.AtMaxSessions = paseto.RefuseNewSession
		},
		req: func(e *env) *http.Request {
			e.keep("first", e.login("alice"))
			e.keep("second", e.login("alice"))
			return reqBody("POST", "/login", credentials("alice"))
		},
		// The app's login handler ran and answered the Guard's Problem.
		want: want{status: 403, code: "too_many_sessions", ran: true},
		then: func(t *testing.T, e *env, res *result) {
			_, err := e.auth.Login(context.Background(), "alice", paseto.LoginOptions{})
			if !errors.Is(err, paseto.ErrSessionLimit) {
				t.Errorf("Login at the cap: %v, want ErrSessionLimit", err)
			}
			if p := e.guard.ProblemFor(err, nil); p.Status != 403 || p.Body.Error != "too_many_sessions" || len(p.Header()) != 0 {
				t.Errorf("ProblemFor(ErrSessionLimit) = %d %q, header %v; want 403 too_many_sessions without a challenge", p.Status, p.Body.Error, p.Header())
			}
			for _, name := range []string{"first", "second"} {
				e.expect(t, req("GET", "/protected", bearer(e.pairs[name].AccessToken)...), ok("alice"))
			}
			e.expect(t, reqBody("POST", "/login", credentials("bob")), want{status: 200, ran: true})
		},
	},
}

// listed is one session of a session list, as a client reads it; IP and
// Label are nil when the JSON leaves them out.
type listed struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         *string   `json:"ip"`
	Label      *string   `json:"label"`
	Current    bool      `json:"current"`
}

func listedSessions(t *testing.T, res *result) []listed {
	t.Helper()
	var v struct {
		Sessions []listed `json:"sessions"`
	}
	if err := json.Unmarshal(res.body, &v); err != nil || v.Sessions == nil {
		t.Fatalf("session list %s: %v", res.body, err)
	}
	return v.Sessions
}

// sameAnswer checks that two answers cannot be told apart: status, body,
// and the headers a client reads.
func sameAnswer(t *testing.T, what string, a *result, other string, b *result) {
	t.Helper()
	if a.status != b.status || !bytes.Equal(a.body, b.body) {
		t.Errorf("%s answered %d %s, %s %d %s: they must not differ", what, a.status, a.body, other, b.status, b.body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "WWW-Authenticate", "Cache-Control"} {
		if x, y := a.header.Values(h), b.header.Values(h); strings.Join(x, ",") != strings.Join(y, ",") {
			t.Errorf("%s: %s %q for %s, %q for %s", h, h, x, what, y, other)
		}
	}
}
