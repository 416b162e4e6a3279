package paseto

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The session endpoints as the Guard answers them; every adapter copies
// these replies (the root conformance suite checks them over HTTP).
func TestSessionRoutes(t *testing.T) {
	g, clock := newTestGuard(t, GuardConfig{})
	ctx := context.Background()
	a := g.Auth()
	mine, err := a.Login(ctx, "alice", LoginOptions{Device: Device{UserAgent: "laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	other, _ := a.Login(ctx, "alice", LoginOptions{Device: Device{UserAgent: "phone"}})
	bob, _ := a.Login(ctx, "bob", LoginOptions{})
	req := func(method string, p *TokenPair) *fakeRequest { return newFakeRequest(method, "Bearer "+p.AccessToken) }

	r := req("GET", mine)
	reply, err := g.ListSessions(r, r, g.Required())
	if err != nil || reply.Status != http.StatusOK {
		t.Fatalf("ListSessions: %d %v", reply.Status, err)
	}
	if h := reply.Header; len(h) != 2 || h[1] != (Header{"Cache-Control", "no-store"}) {
		t.Fatalf("headers %v, want JSON, not cacheable", h)
	}
	var body struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal(reply.Body, &body); err != nil {
		t.Fatalf("%v: %s", err, reply.Body)
	}
	if len(body.Sessions) != 2 || body.Sessions[0]["id"] != other.Access.Session || body.Sessions[0]["current"] != false ||
		body.Sessions[1]["current"] != true || body.Sessions[1]["user_agent"] != "laptop" {
		t.Fatalf("body %s", reply.Body)
	}
	for _, f := range []string{"created_at", "last_used_at", "expires_at"} {
		if _, err := time.Parse(time.RFC3339, body.Sessions[0][f].(string)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, ok := body.Sessions[0]["ip"]; ok {
		t.Fatalf("an IP with KeepIP off: %s", reply.Body)
	}

	// Another user's session and an unknown one are answered alike.
	for _, sid := range []string{bob.Access.Session, "unknown"} {
		r = req("DELETE", mine)
		if _, err := g.RevokeSession(r, r, g.Required(), sid); !errors.Is(err, ErrSessionNotFound) {
			t.Fatalf("RevokeSession(%s): %v", sid, err)
		}
	}
	if _, err := a.VerifyAccess(ctx, bob.AccessToken); err != nil {
		t.Fatalf("bob's session after alice tried to end it: %v", err)
	}
	r = req("DELETE", mine)
	if reply, err := g.RevokeSession(r, r, g.Required(), other.Access.Session); err != nil || reply.Status != http.StatusNoContent {
		t.Fatalf("RevokeSession: %d %v", reply.Status, err)
	}
	if _, err := a.VerifyAccess(ctx, other.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked session's token: %v", err)
	}

	third, _ := a.Login(ctx, "alice", LoginOptions{})
	r = req("POST", mine)
	if reply, err := g.RevokeOtherSessions(r, r, g.Required()); err != nil || reply.Status != http.StatusNoContent {
		t.Fatalf("RevokeOtherSessions: %d %v", reply.Status, err)
	}
	if _, err := a.VerifyAccess(ctx, third.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("other session's token: %v", err)
	}
	if _, err := a.VerifyAccess(ctx, mine.AccessToken); err != nil {
		t.Fatalf("own session: %v", err)
	}

	// No token: refused before anything else.
	r = newFakeRequest("GET")
	if _, err := g.ListSessions(r, r, g.Required()); !errors.Is(err, ErrMissingToken) {
		t.Fatalf("no token: %v", err)
	}
	r = newFakeRequest("GET")
	if _, err := g.ListSessions(r, r, g.Optional()); !errors.Is(err, ErrMissingToken) {
		t.Fatalf("no token on an Optional policy: %v", err)
	}
}

// Revoking the request's own cookie session expires its cookies, as a
// logout does.
func TestRevokeOwnCookieSessionClearsCookies(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{Cookies: &CookieConfig{}})
	w := newFakeRequest("POST")
	s, err := g.LoginWithCookies(context.Background(), w, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := newFakeRequest("DELETE")
	for _, sc := range w.out.Values("Set-Cookie") {
		ck, _ := http.ParseSetCookie(sc)
		r.cookies[ck.Name] = ck.Value
	}
	r.headers.Set("X-CSRF-Token", s.CSRF)
	if _, err := g.RevokeSession(r, r, g.Required(), s.Pair.Access.Session); err != nil {
		t.Fatal(err)
	}
	cleared := 0
	for _, sc := range r.out.Values("Set-Cookie") {
		if ck, _ := http.ParseSetCookie(sc); ck != nil && ck.MaxAge < 0 {
			cleared++
		}
	}
	if cleared != 3 {
		t.Fatalf("%d cookies expired, want 3: %v", cleared, r.out.Values("Set-Cookie"))
	}
}

// FreshLoginFor answers the token in the body for a bearer session and
// leaves it out for a cookie session, whose access cookie it sets.
func TestFreshLoginFor(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{Cookies: &CookieConfig{}})
	ctx := context.Background()
	pair, _ := g.Auth().Login(ctx, "alice", LoginOptions{})
	w := newFakeRequest("POST")
	reply, err := g.FreshLoginFor(ctx, w, pair.Access, "alice")
	if err != nil || reply.Status != http.StatusOK || !json.Valid(reply.Body) ||
		!strings.Contains(string(reply.Body), `"access_token":"v4.`) || len(w.out.Values("Set-Cookie")) != 0 {
		t.Fatalf("bearer session: %d %s %v, cookies %v", reply.Status, reply.Body, err, w.out.Values("Set-Cookie"))
	}
	lw := newFakeRequest("POST")
	s, _ := g.LoginWithCookies(ctx, lw, "alice", LoginOptions{})
	w = newFakeRequest("POST")
	reply, err = g.FreshLoginFor(ctx, w, s.Pair.Access, "alice")
	if err != nil || strings.Contains(string(reply.Body), "access_token") || !strings.Contains(string(reply.Body), `"token_type":"Bearer"`) ||
		len(w.out.Values("Set-Cookie")) != 1 {
		t.Fatalf("cookie session: %s %v, cookies %v", reply.Body, err, w.out.Values("Set-Cookie"))
	}
	if _, err := g.FreshLoginFor(ctx, w, pair.Access, "bob"); !errors.Is(err, ErrSubjectMismatch) {
		t.Fatalf("another user's credentials: %v", err)
	}
}
