package paseto

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// FuzzVerify runs the whole verifier, claims included, on tokens whose
// payload and footer the fuzzer chooses and which are genuinely sealed
// under the verifier's key, so every input gets past the crypto and into
// the footer bounds, the strict JSON claims parser and the time, type and
// revocation checks. A second input is verified as a raw token string.
// Invariants: no panic; an error is always one of the package's sentinels
// and never comes with claims; accepted claims satisfy the checks the
// verifier promises.
func FuzzVerify(f *testing.F) {
	ring := mustLocalRing(f)
	issuer := mustIssuer(f, ring, TypeAccess, WithClock(func() time.Time { return epoch }))
	tok, claims, err := issuer.Issue(Template{Subject: "alice", Fresh: true, Claims: map[string]any{"role": "admin"}})
	if err != nil {
		f.Fatal(err)
	}
	payload := string(claims.payload)
	footer := `{"kid":"` + ring.CurrentID() + `"}`
	f.Add(payload, footer, tok)
	f.Add(`{"sub":"a","type":"access","exp":"2026-11-23T12:10:00Z","exp":"2026-11-23T12:20:00Z"}`, footer, "v4.local.")
	f.Add(`{"sub":"a","type":"access","exp":1}`, footer, "v4.public.AAAA")
	f.Add(`{"sub":"a","type":"access","exp":"2026-11-23T12:10:00Z","aud":["x"]}`, `{"kid":"k4.lid.AAAA"}`, tok+"A")
	f.Add(`[]`, `{"kid":{"kid":[]}}`, "")
	f.Add(`{"sub":"a","type":"access","exp":"2026-11-23T12:10:00+01:00","nbf":"x"}`, ``, "v4.local..")

	rev := &fakeSessions{ended: map[string]bool{}}
	v := mustVerifier(f, ring, TypeAccess, WithClock(func() time.Time { return epoch.Add(time.Minute) }), WithLeeway(time.Second), WithSessionCheck(rev))
	f.Fuzz(func(t *testing.T, payload, footer, raw string) {
		for _, token := range []string{seal(ring, payload, footer), raw} {
			c, err := v.Verify(context.Background(), token)
			if err != nil {
				var e *Error
				if c != nil || !errors.As(err, &e) {
					t.Fatalf("Verify = %v, %v: want nil claims and a *paseto.Error", c, err)
				}
				continue
			}
			now := epoch.Add(time.Minute)
			switch {
			case c.Type != TypeAccess:
				t.Fatalf("accepted type %q", c.Type)
			case c.Expiration.IsZero() || !now.Before(c.Expiration.Add(time.Second)):
				t.Fatalf("accepted exp %v at %v", c.Expiration, now)
			case c.NotBefore.After(now.Add(time.Second)):
				t.Fatalf("accepted nbf %v at %v", c.NotBefore, now)
			}
		}
	})
}

// FuzzAuthenticate sends arbitrary requests (method, Authorization header
// values, cookies, a refresh body) through the Guard's access and refresh
// policies. Invariants: no panic; a rejection always maps to a 4xx or 503
// problem with a stable code, never a 500 for anything a client sends; a
// success always carries claims.
func FuzzAuthenticate(f *testing.F) {
	g, _ := newTestGuard(f, GuardConfig{Cookies: &CookieConfig{}})
	pair, err := g.Auth().Login(context.Background(), "alice")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "Bearer "+pair.AccessToken, "", "", "")
	f.Add("POST", "bearer "+pair.RefreshToken, "", "", `{"refresh_token":"`+pair.RefreshToken+`"}`)
	f.Add("POST", "Bearer", "Basic abc", pair.AccessToken, `{"refresh_token":1}`)
	f.Add("DELETE", "", "", pair.AccessToken, `{"refresh_token":"x","refresh_token":"y"}`)
	f.Add("GET", "Bearer  "+pair.AccessToken+" ", "Bearer x", "", "")
	policies := []*Policy{g.Required(), g.Fresh(time.Minute), g.Optional(), g.Required(WithScopes("admin:*")), g.Refresh()}
	names := g.Config().Cookies
	f.Fuzz(func(t *testing.T, method, auth1, auth2, cookie, body string) {
		for _, p := range policies {
			r := newFakeRequest(method)
			for _, a := range []string{auth1, auth2} {
				if a != "" {
					r.headers.Add("Authorization", a)
				}
			}
			r.cookies[names.AccessName], r.cookies[names.RefreshName], r.cookies[names.CSRFName] = cookie, cookie, cookie
			r.body = body
			res, err := g.Authenticate(r, r, p)
			if err != nil {
				pr := g.ProblemFor(err, p)
				if pr.Status == 500 || (pr.Status != 503 && (pr.Status < 400 || pr.Status > 499)) || pr.Body.Error == "" || pr.Body.Error == "internal_error" {
					t.Fatalf("rejection %v answered %d %q", err, pr.Status, pr.Body.Error)
				}
				continue
			}
			if res.Claims == nil && p != policies[2] {
				t.Fatalf("accepted without claims on policy %d", slices.Index(policies, p))
			}
		}
	})
}
