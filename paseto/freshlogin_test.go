package paseto

// Fresh re-login within a session: Auth.FreshLogin, and the Guard's
// fresh-login endpoint (FreshLogin, FreshLoginReply, FreshLoginFor).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestFreshLogin(t *testing.T) {
	clock := newTestClock(epoch)
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pair, _ := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"profile"}, Claims: map[string]any{"role": "user"}})
	clock.add(10 * time.Minute)
	next, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.FreshLogin(ctx, next.Access, "alice")
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.VerifyAccess(ctx, tok.AccessToken, RequireFresh(time.Minute))
	if err != nil {
		t.Fatalf("fresh re-login token: %v", err)
	}
	if c.Session != pair.Access.Session || !c.AuthTime.Equal(clock.now().Truncate(time.Second)) || tok.TokenType != "Bearer" ||
		tok.ExpiresIn != int64(DefaultAccessLifetime/time.Second) || !slices.Equal(c.Scopes, []string{"profile"}) {
		t.Fatalf("fresh token: sid %q (want %q), auth_time %v, %+v", c.Session, pair.Access.Session, c.AuthTime, tok)
	}
	if role, _ := Claim[string](c, "role"); role != "user" {
		t.Fatalf("role = %q", role)
	}
	// The refresh token is untouched: it still rotates.
	if _, err := a.Refresh(ctx, next.RefreshToken); err != nil {
		t.Fatalf("refresh after a fresh re-login: %v", err)
	}
	if _, err := a.FreshLogin(ctx, next.Access, "bob"); !errors.Is(err, ErrSubjectMismatch) {
		t.Fatalf("another subject: %v", err)
	}
	if _, err := a.FreshLogin(ctx, nil, "alice"); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil claims: %v", err)
	}
	rc, _ := a.refreshVerify.Verify(ctx, pair.RefreshToken)
	if _, err := a.FreshLogin(ctx, rc, "alice"); !errors.Is(err, ErrWrongType) {
		t.Fatalf("refresh claims: %v", err)
	}
	// Verified claims of a session that has since ended get nothing.
	if err := a.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FreshLogin(ctx, next.Access, "alice"); !errors.Is(err, ErrRevoked) {
		t.Fatalf("ended session: %v", err)
	}
}

type headerRecorder struct{ h http.Header }

func (r headerRecorder) AddHeader(name, value string) { r.h.Add(name, value) }

// For a cookie session, Guard.FreshLogin sets the new token as the access
// cookie; for a bearer session it sets nothing.
func TestGuardFreshLoginCookie(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs, err := g.LoginWithCookies(ctx, headerRecorder{http.Header{}}, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := headerRecorder{http.Header{}}
	tok, err := g.FreshLogin(ctx, w, cs.Pair.Access, "alice")
	if err != nil {
		t.Fatal(err)
	}
	cookies := (&http.Response{Header: http.Header{"Set-Cookie": w.h.Values("Set-Cookie")}}).Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-access_token" || cookies[0].Value != tok.AccessToken || !cookies[0].HttpOnly {
		t.Fatalf("Set-Cookie = %q, want the new access cookie only", w.h.Values("Set-Cookie"))
	}
	if tok.Access.CSRF != cs.Pair.Access.CSRF {
		t.Fatal("the fresh token lost the session's CSRF binding")
	}
	bearer, _ := a.Login(ctx, "bob", LoginOptions{})
	w = headerRecorder{http.Header{}}
	if _, err := g.FreshLogin(ctx, w, bearer.Access, "bob"); err != nil || len(w.h) != 0 {
		t.Fatalf("bearer session: %v, headers %v", err, w.h)
	}
}

// FreshLoginFor mints the token and returns the reply adapters copy: the
// token in the body for a bearer session; in the access cookie, and out
// of the body, for a cookie session; nothing written on a refusal.
// FreshLoginReply alone puts the token in the body whenever the Guard has
// no cookies, whatever the claims carry.
func TestGuardFreshLoginFor(t *testing.T) {
	clock := newTestClock(epoch)
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	withCookies, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	headerOnly, err := NewGuard(a, GuardConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs, err := withCookies.LoginWithCookies(ctx, headerRecorder{http.Header{}}, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(10 * time.Minute)
	left := int64((DefaultAccessLifetime - 10*time.Minute) / time.Second)
	wantHeader := []Header{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}

	tests := []struct {
		name       string
		g          *Guard
		access     *Claims
		subject    string
		wantErr    error
		wantCookie bool // the token in the access cookie, not the body
	}{
		{"bearer session", withCookies, bearer.Access, "alice", nil, false},
		{"cookie session", withCookies, cs.Pair.Access, "alice", nil, true},
		{"cookie session, Guard without cookies", headerOnly, cs.Pair.Access, "alice", nil, false},
		{"another user's credentials", withCookies, cs.Pair.Access, "bob", ErrSubjectMismatch, false},
		{"no claims", withCookies, nil, "alice", ErrConfig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := headerRecorder{http.Header{}}
			reply, err := tt.g.FreshLoginFor(ctx, w, tt.access, tt.subject)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || reply.Status != 0 || reply.Body != nil || len(w.h) != 0 {
					t.Fatalf("FreshLoginFor = %+v, %v, headers %v; want %v and nothing written", reply, err, w.h, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reply.Status != http.StatusOK || !slices.Equal(reply.Header, wantHeader) {
				t.Fatalf("reply %d %v, want 200 %v", reply.Status, reply.Header, wantHeader)
			}
			var body map[string]any
			if err := json.Unmarshal(reply.Body, &body); err != nil {
				t.Fatalf("body %s: %v", reply.Body, err)
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(left) {
				t.Fatalf("body %s, want token_type Bearer and expires_in %d", reply.Body, left)
			}
			cookies := (&http.Response{Header: w.h}).Cookies()
			var tok string
			if tt.wantCookie {
				if len(body) != 2 || len(cookies) != 1 || cookies[0].Name != "__Host-access_token" {
					t.Fatalf("body %s, Set-Cookie %q: want the token in the access cookie only", reply.Body, w.h.Values("Set-Cookie"))
				}
				tok = cookies[0].Value
			} else {
				if len(body) != 3 || len(w.h) != 0 {
					t.Fatalf("body %s, headers %v: want the token in the body only", reply.Body, w.h)
				}
				tok, _ = body["access_token"].(string)
			}
			c, err := a.VerifyAccess(ctx, tok, RequireFresh(time.Minute))
			if err != nil {
				t.Fatalf("fresh token: %v", err)
			}
			if c.Session != tt.access.Session {
				t.Errorf("fresh token of session %q, want %q", c.Session, tt.access.Session)
			}
		})
	}
}
