package paseto

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"
)

// newHookAuth returns an Auth whose OnRefresh calls *hook.
func newHookAuth(t *testing.T, hook *RefreshHook, events *[]SecurityEvent) (*Auth, *testClock) {
	t.Helper()
	clock := newTestClock(epoch)
	a, err := New(Config{
		AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now,
		Logger:    slog.New(slog.DiscardHandler),
		OnRefresh: func(ctx context.Context, c *Claims) (RefreshUpdate, error) { return (*hook)(ctx, c) },
		OnSecurityEvent: func(_ context.Context, ev SecurityEvent) {
			if events != nil {
				*events = append(*events, ev)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, clock
}

func TestRefreshHookDenyEndsTheSession(t *testing.T) {
	var events []SecurityEvent
	type ctxKey struct{}
	var sawCtx, sawType string
	hook := RefreshHook(func(ctx context.Context, c *Claims) (RefreshUpdate, error) {
		sawCtx, _ = ctx.Value(ctxKey{}).(string)
		sawType = c.Type
		return RefreshUpdate{}, errors.Join(errors.New("account disabled"), ErrRefreshDenied)
	})
	a, _ := newHookAuth(t, &hook, &events)
	ctx := context.WithValue(context.Background(), ctxKey{}, "request")
	pair, err := a.Login(ctx, "mallory", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, denied := a.Refresh(ctx, pair.RefreshToken)
	if err := denied; !errors.Is(err, ErrRefreshDenied) || Code(err) != "denied_refresh" {
		t.Fatalf("refresh: %v (code %s), want ErrRefreshDenied with its code", err, Code(err))
	}
	if sawCtx != "request" || sawType != TypeRefresh {
		t.Fatalf("hook saw ctx value %q and a %q token, want the caller's context and the refresh token", sawCtx, sawType)
	}
	if _, err := a.VerifyAccess(ctx, pair.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("access token after a refusal: %v, want ErrRevoked", err)
	}
	if len(events) != 1 || events[0].Kind != EventRefreshDenied || events[0].Subject != "mallory" {
		t.Fatalf("events = %+v, want one EventRefreshDenied", events)
	}
	g, err := NewGuard(a, GuardConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p := g.ProblemFor(denied, nil); p.Status != http.StatusUnauthorized || p.Body.Error != "denied_refresh" ||
		p.Challenge != `Bearer realm="api", error="invalid_token", error_description="refresh denied; session ended"` {
		t.Fatalf("ProblemFor(refusal) = %+v", p)
	}
}

// Any other failure of the hook is the application's: 500, whatever it
// wraps, and the session and the presented token are as they were.
func TestRefreshHookFailureChangesNothing(t *testing.T) {
	var fail error
	hook := RefreshHook(func(context.Context, *Claims) (RefreshUpdate, error) { return RefreshUpdate{}, fail })
	a, _ := newHookAuth(t, &hook, nil)
	g, _ := NewGuard(a, GuardConfig{})
	ctx := context.Background()
	pair, _ := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"reports:read"}})
	for _, c := range []struct {
		name string
		err  error
		up   RefreshUpdate
	}{
		{"plain error", errors.New("database down"), RefreshUpdate{}},
		{"error wrapping a 401 sentinel", ErrRevoked, RefreshUpdate{}},
		{"error wrapping a store failure", ErrStoreUnavailable, RefreshUpdate{}},
		{"widening", nil, RefreshUpdate{Scopes: []string{"admin:users"}}},
		{"reserved claim", nil, RefreshUpdate{Claims: map[string]any{"sub": "bob"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fail = c.err
			up := c.up
			hook = func(context.Context, *Claims) (RefreshUpdate, error) { return up, fail }
			_, err := a.Refresh(ctx, pair.RefreshToken)
			if err == nil {
				t.Fatal("refresh succeeded")
			}
			if p := g.ProblemFor(err, nil); p.Status != http.StatusInternalServerError || p.Body.Error != "server_error" {
				t.Fatalf("ProblemFor(%v) = %+v, want 500 server_error", err, p)
			}
			if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil {
				t.Fatalf("the session ended: %v", err)
			}
		})
	}
	hook = func(context.Context, *Claims) (RefreshUpdate, error) { return RefreshUpdate{}, nil }
	if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatalf("the presented refresh token no longer refreshes: %v", err)
	}
}

// The hook narrows scopes within the login grant and changes custom claims
// of the access token only; the refresh token keeps the grant, so a later
// refresh restores it.
func TestRefreshHookUpdate(t *testing.T) {
	var up RefreshUpdate
	hook := RefreshHook(func(_ context.Context, c *Claims) (RefreshUpdate, error) {
		if !slices.Equal(c.Scopes, []string{"admin:*", "reports:read"}) {
			return RefreshUpdate{}, errors.New("hook saw scopes other than the grant")
		}
		if role, _ := Claim[string](c, "role"); role != "user" {
			return RefreshUpdate{}, errors.New("hook saw claims other than the login's")
		}
		return up, nil
	})
	a, _ := newHookAuth(t, &hook, nil)
	ctx := context.Background()
	pair, _ := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"admin:*", "reports:read"}, Claims: map[string]any{"role": "user", "team": "a"}})

	up = RefreshUpdate{Scopes: []string{"admin:users"}, Claims: map[string]any{"role": "admin"}}
	next, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(next.Access.Scopes, []string{"admin:users"}) {
		t.Fatalf("narrowed scopes = %q", next.Access.Scopes)
	}
	if role, _ := Claim[string](next.Access, "role"); role != "admin" || next.Access.Has("team") {
		t.Fatalf("claims not replaced: role %q, team %v", role, next.Access.Has("team"))
	}
	up = RefreshUpdate{Scopes: []string{}}
	if next, err = a.Refresh(ctx, next.RefreshToken); err != nil || len(next.Access.Scopes) != 0 {
		t.Fatalf("empty scopes: %v, %q", err, next.Access.Scopes)
	}
	up = RefreshUpdate{}
	if next, err = a.Refresh(ctx, next.RefreshToken); err != nil || !slices.Equal(next.Access.Scopes, []string{"admin:*", "reports:read"}) {
		t.Fatalf("restored scopes: %v, %q", err, next.Access.Scopes)
	}
	if role, _ := Claim[string](next.Access, "role"); role != "user" {
		t.Fatalf("restored role = %q", role)
	}
}

// A Requirement receives the context given to Verify.
func TestRequirementContext(t *testing.T) {
	type key struct{}
	ring := mustLocalRing(t)
	tok := mustIssue(t, mustIssuer(t, ring, TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{})
	var got any
	req := func(ctx context.Context, _ *Claims, _ time.Time) error {
		got = ctx.Value(key{})
		return ctx.Err()
	}
	if _, err := v.Verify(context.WithValue(context.Background(), key{}, "db"), tok, req); err != nil || got != "db" {
		t.Fatalf("Verify: %v, requirement saw %v", err, got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, tok, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// From the review of issue 13: chained fresh logins add freshness, never
// time, so they can neither outlive the session nor dodge the refresh hook;
// a hook that scribbles on the claims it is shown cannot widen the grant;
// a refusal that also wraps a store error is still a refusal.
func TestRefreshHookCannotBeDodgedOrWidened(t *testing.T) {
	t.Run("chained fresh logins never extend the access token", func(t *testing.T) {
		hook := RefreshHook(func(context.Context, *Claims) (RefreshUpdate, error) { return RefreshUpdate{}, nil })
		a, clock := newHookAuth(t, &hook, nil)
		ctx := context.Background()
		pair, err := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"admin:*"}})
		if err != nil {
			t.Fatal(err)
		}
		end := pair.AccessExpiresAt
		access, last := pair.Access, pair.AccessToken
		for range 5 {
			clock.add(2 * time.Minute)
			fresh, err := a.FreshLogin(ctx, access, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if fresh.ExpiresAt.After(end) {
				t.Fatalf("fresh login at %v expires %v, after the presented token's %v", clock.now(), fresh.ExpiresAt, end)
			}
			last = fresh.AccessToken
			if access, err = a.VerifyAccess(ctx, last); err != nil || !access.Fresh {
				t.Fatalf("fresh token: %v, fresh %v", err, access != nil && access.Fresh)
			}
		}
		clock.add(end.Sub(clock.now()) + time.Second)
		if _, err := a.VerifyAccess(ctx, last); !errors.Is(err, ErrExpired) {
			t.Fatal("a chain of fresh logins outlived the first access token")
		}
	})
	t.Run("a hook editing its claims cannot widen the grant", func(t *testing.T) {
		hook := RefreshHook(func(_ context.Context, c *Claims) (RefreshUpdate, error) {
			c.Scopes[0] = "admin:*"
			return RefreshUpdate{Scopes: c.Scopes}, nil
		})
		a, _ := newHookAuth(t, &hook, nil)
		ctx := context.Background()
		pair, err := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"profile"}})
		if err != nil {
			t.Fatal(err)
		}
		next, err := a.Refresh(ctx, pair.RefreshToken)
		if err == nil && slices.Contains(next.Access.Scopes, "admin:*") {
			t.Fatalf("hook widened the grant: %v", next.Access.Scopes)
		}
		if err != nil && Code(err) != "server_error" && !errors.As(err, new(*hookFailed)) {
			t.Fatalf("widening attempt: %v, want a hook failure (500)", err)
		}
	})
	t.Run("a refusal wrapping a store error answers the refusal", func(t *testing.T) {
		hook := RefreshHook(func(context.Context, *Claims) (RefreshUpdate, error) {
			return RefreshUpdate{}, errors.Join(ErrRefreshDenied, ErrStoreUnavailable)
		})
		a, _ := newHookAuth(t, &hook, nil)
		ctx := context.Background()
		pair, err := a.Login(ctx, "mallory", LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Refresh(ctx, pair.RefreshToken)
		g, gerr := NewGuard(a, GuardConfig{})
		if gerr != nil {
			t.Fatal(gerr)
		}
		if p := g.ProblemFor(err, nil); p.Status != http.StatusUnauthorized || p.Body.Error != "denied_refresh" {
			t.Fatalf("refusal wrapping a store error answered %d %s, want 401 denied_refresh", p.Status, p.Body.Error)
		}
	})
}
