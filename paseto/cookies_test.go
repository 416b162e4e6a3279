package paseto

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// A browser sends every cookie of one name that matches the request, the
// longest path first; a __Secure- refresh cookie may carry a Domain, so a
// sibling subdomain can plant ones that sort ahead of the browser's own.
// None of them, empty or valid for another session, may block the refresh
// or the logout of the browser's own session.
func TestPlantedRefreshCookies(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), GracePeriod: MaxGracePeriod})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{RefreshPath: "/session"}})
	if err != nil {
		t.Fatal(err)
	}
	names := g.Config().Cookies
	ctx := context.Background()
	login := func(sub string) *CookieSession {
		cs, err := g.LoginWithCookies(ctx, newFakeRequest("POST"), sub, LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	var planted []string
	for range maxSameNameCookies - 1 {
		planted = append(planted, names.RefreshName+"="+login("mallory").Pair.RefreshToken)
	}
	cases := map[string][]string{
		"empty":                    {names.RefreshName + "="},
		"empty quotes":             {names.RefreshName + `=""`},
		"another session's":        planted[:1],
		"as many as can be placed": append([]string{names.RefreshName + "="}, planted...),
	}
	for name, ahead := range cases {
		t.Run(name, func(t *testing.T) {
			own := login("alice")
			request := func() *fakeRequest {
				r := newFakeRequest("POST")
				r.headers.Set("Cookie", strings.Join(append(ahead[:len(ahead):len(ahead)],
					names.RefreshName+"="+own.Pair.RefreshToken, names.CSRFName+"="+own.CSRF), "; "))
				r.headers.Set(names.CSRFHeader, own.CSRF)
				// The framework's own lookup returns the first cookie of the
				// name, as net/http and fasthttp do.
				first, _, _ := strings.Cut(strings.TrimPrefix(ahead[0], names.RefreshName+"="), ";")
				r.cookies[names.RefreshName] = strings.Trim(first, `"`)
				r.cookies[names.CSRFName] = own.CSRF
				return r
			}
			res, err := g.Authenticate(request(), request(), &Policy{refresh: true})
			if err != nil || res.Pair == nil || res.Claims.Subject != "alice" {
				t.Fatalf("refresh: %v (claims %+v)", err, res.Claims)
			}
			r := request()
			if _, err := g.Logout(r, r, &Policy{}); err != nil {
				t.Fatalf("logout: %v", err)
			}
			if _, err := a.Refresh(ctx, res.Pair.RefreshToken); !errors.Is(err, ErrRevoked) {
				t.Fatalf("after logout the session still refreshes: %v", err)
			}
			if got := r.out.Values("Set-Cookie"); len(got) != 3 {
				t.Fatalf("logout Set-Cookie = %q, want the three cookies expired", got)
			}
		})
	}
}

// A browser silently drops a cookie larger than 4096 bytes, so a login
// whose tokens would not fit is refused with no cookie set, and the
// session it started is ended: nothing usable is left behind.
func TestLoginWithCookiesRefusesOversizeCookies(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		claim   int // bytes of one custom claim
		refused bool
	}{
		{"small claims", 100, false},
		{"claims near the limit", 2500, false},
		{"claims past the limit", 3200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeRequest("POST")
			cs, err := g.LoginWithCookies(ctx, w, "alice", LoginOptions{Claims: map[string]any{"note": strings.Repeat("x", tc.claim)}})
			cookies := w.out.Values("Set-Cookie")
			if !tc.refused {
				if err != nil || len(cookies) != 3 {
					t.Fatalf("login: %v, %d cookies", err, len(cookies))
				}
				for _, ck := range cookies {
					if len(ck) > 4096 {
						t.Fatalf("a %d-byte cookie was set", len(ck))
					}
				}
				return
			}
			if !errors.Is(err, ErrCookieTooLarge) || !errors.Is(err, ErrConfig) || cs != nil {
				t.Fatalf("login = %v, %v; want ErrCookieTooLarge", cs, err)
			}
			if len(cookies) != 0 || w.out.Get("Cache-Control") != "" {
				t.Fatalf("a refused login set headers: %q", w.out)
			}
			if p := g.ProblemFor(err, nil); p.Status != 500 || p.Body.Error != "server_error" {
				t.Fatalf("problem = %+v, want 500 server_error", p)
			}
			list, err := a.ListSessions(ctx, "alice", "")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(list); n != 2 {
				t.Fatalf("alice has %d live sessions, want the 2 earlier ones: the refused one must be ended", n)
			}
		})
	}
}

func TestSameSiteNoneNeedsSecure(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{SameSite: http.SameSiteNoneMode, Insecure: true}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("SameSite=None with Insecure: %v, want ErrConfig", err)
	}
	if _, err := NewGuard(a, GuardConfig{Cookies: &CookieConfig{SameSite: http.SameSiteNoneMode}}); err != nil {
		t.Fatalf("SameSite=None with Secure: %v", err)
	}
}
