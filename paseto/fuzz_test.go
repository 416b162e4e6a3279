package paseto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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
	issuer := mustIssuer(f, ring, TypeAccess, IssuerConfig{Clock: func() time.Time { return epoch }})
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
	// Custom claims and scope: case variants, nesting, other whitespace.
	f.Add(payload[:len(payload)-1]+`,"ROLE":"user"}`, footer, "")
	f.Add(payload[:len(payload)-1]+`,"p":{"id":1,"ID":2,"\u212aey":[{"key":3}]}}`, footer, "")
	f.Add(payload[:len(payload)-1]+`,"scope":"read\u00a0write admin:*","x":"\ud83d\ude00"}`, footer, "")
	f.Add(payload[:len(payload)-1]+`,"p":{"a":{"b":[{"c":"\u0000","C":null}]}},"scope":"a b"}`, footer, "")

	if !foldedDuplicate([]byte(`{"a":[{"b":1,"c":{},"B":2}]}`)) || foldedDuplicate([]byte(`{"a":{"b":1},"b":2,"c":[{"b":3}]}`)) {
		f.Fatal("foldedDuplicate is wrong")
	}
	rev := &fakeSessions{ended: map[string]bool{}}
	v := mustVerifier(f, ring, TypeAccess, VerifierConfig{Clock: func() time.Time { return epoch.Add(time.Minute) }, Leeway: time.Second, Sessions: rev})
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
			case !utf8.Valid(c.payload):
				t.Fatalf("accepted invalid UTF-8: %q", c.payload)
			case foldedDuplicate(c.payload):
				t.Fatalf("accepted keys equal ignoring case: %q", c.payload)
			}
			for _, s := range c.Scopes {
				if !validScope(s) {
					t.Fatalf("accepted scope-token %q", s)
				}
			}
			// Every custom claim reads back, through both readers, as the
			// bytes encoding/json finds for it.
			var all map[string]json.RawMessage
			if err := json.Unmarshal(c.payload, &all); err != nil {
				t.Fatalf("encoding/json cannot read an accepted payload: %v", err)
			}
			for name, raw := range c.Custom() {
				var got json.RawMessage
				if err := c.Get(name, &got); err != nil || !bytes.Equal(got, raw) || !bytes.Equal(all[name], raw) || reserved(name) {
					t.Fatalf("custom claim %q: Get %s, %v; Custom %s; encoding/json %s", name, got, err, raw, all[name])
				}
			}
		}
	})
}

// foldedDuplicate reports whether some object in the JSON data, at any
// depth, has two keys equal ignoring case. It walks encoding/json's tokens,
// an implementation independent of strictjson.
func foldedDuplicate(data []byte) bool {
	type frame struct {
		obj, key bool
		keys     []string
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if s, ok := tok.(string); ok && top.obj && top.key {
				for _, k := range top.keys {
					if strings.EqualFold(k, s) {
						return true
					}
				}
				top.keys, top.key = append(top.keys, s), false
				continue
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
		} else if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			stack = append(stack, frame{obj: d == '{', key: true})
		}
	}
}

// FuzzAuthenticate sends arbitrary requests (method, Authorization header
// values, cookies, a refresh body) through the Guard's access and refresh
// policies. Invariants: no panic; a rejection always maps to a 4xx or 503
// problem with a stable code, never a 500 for anything a client sends; a
// success always carries claims.
func FuzzAuthenticate(f *testing.F) {
	g, _ := newTestGuard(f, GuardConfig{Cookies: &CookieConfig{}})
	pair, err := g.Auth().Login(context.Background(), "alice", LoginOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "Bearer "+pair.AccessToken, "", "", "")
	f.Add("POST", "bearer "+pair.RefreshToken, "", "", `{"refresh_token":"`+pair.RefreshToken+`"}`)
	f.Add("POST", "Bearer", "Basic abc", pair.AccessToken, `{"refresh_token":1}`)
	f.Add("DELETE", "", "", pair.AccessToken, `{"refresh_token":"x","refresh_token":"y"}`)
	f.Add("GET", "Bearer  "+pair.AccessToken+" ", "Bearer x", "", "")
	policies := []*Policy{g.Required(), g.FreshRequired(WithMaxAge(time.Minute)), g.Optional(), g.Required(WithScopes("admin:*")), g.RefreshRequired()}
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
				if pr.Status == 500 || (pr.Status != 503 && (pr.Status < 400 || pr.Status > 499)) || pr.Body.Error == "" || pr.Body.Error == "server_error" {
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
