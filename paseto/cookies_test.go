package paseto

import (
	"context"
	"errors"
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
