package remotekeys_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
)

// issuerAndResource starts an issuer serving its key set at
// paseto.KeySetPath and returns it with a resource server's handler that
// verifies through a remotekeys.Source, sharing the issuer's store.
func issuerAndResource(t *testing.T, clock *fakeclock.Clock, ring *paseto.KeyRing) (*paseto.Auth, *httptest.Server, http.Handler, *bool, *remotekeys.Source) {
	t.Helper()
	store := paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock.Now})
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	issuer, err := paseto.New(paseto.Config{AccessKeys: ring, RefreshKeys: refresh, Store: store, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ig, _ := paseto.NewGuard(issuer, paseto.GuardConfig{KeySetMaxAge: time.Minute})
	mux := http.NewServeMux()
	mux.Handle("GET "+paseto.KeySetPath, httppaseto.New(ig, httppaseto.Config{}).KeySetHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	src, err := remotekeys.New(remotekeys.Config{URL: srv.URL + paseto.KeySetPath, Clock: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	resource, err := paseto.New(paseto.Config{AccessKeySource: src, Store: store, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rg, _ := paseto.NewGuard(resource, paseto.GuardConfig{})
	ran := new(bool)
	h := httppaseto.New(rg, httppaseto.Config{}).Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*ran = true
		io.WriteString(w, "ok")
	}))
	return issuer, srv, h, ran, src
}

func get(h http.Handler, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/data", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestGuardUnreachableKeySetIs503: a real request to a resource server
// whose key set cannot be fetched gets 503 with Retry-After, and the
// handler does not run; once the last good set has gone stale, likewise.
func TestGuardUnreachableKeySetIs503(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	ring, _ := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	issuer, srv, h, ran, _ := issuerAndResource(t, clock, ring)
	pair, err := issuer.Login(context.Background(), "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(h, pair.AccessToken); rec.Code != http.StatusOK || !*ran {
		t.Fatalf("with the key set up: %d %s", rec.Code, rec.Body)
	}
	srv.Close() // the issuer goes away
	*ran = false
	clock.Advance(remotekeys.DefaultMaxStale + 2*time.Minute)
	rec := get(h, pair.AccessToken)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || *ran {
		t.Fatalf("key set unreachable: %d, Retry-After %q, handler ran %v; want 503 with Retry-After, not run",
			rec.Code, rec.Header().Get("Retry-After"), *ran)
	}
	if !strings.Contains(rec.Body.String(), "temporarily_unavailable") || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("body %s, challenge %q: a 503, not a token problem", rec.Body, rec.Header().Get("WWW-Authenticate"))
	}
}

// TestGuardRotationThroughKeySet: the issuer publishes k2 as upcoming,
// the resource server's cache expires, the issuer promotes k2; tokens of
// both keys pass at every step, and k1's stop after it is retired.
func TestGuardRotationThroughKeySet(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	k1, k2 := paseto.GenerateSecretKey(), paseto.GenerateSecretKey()
	ring1, _ := paseto.NewPublicKeyRing(k1)
	issuer, _, h, _, src := issuerAndResource(t, clock, ring1)
	ctx := context.Background()
	var sid string
	login := func() string {
		p, err := issuer.Login(ctx, "alice", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sid = p.Access.Session
		return p.AccessToken
	}
	expect := func(step string, code int, tokens ...string) {
		t.Helper()
		for i, tok := range tokens {
			if rec := get(h, tok); rec.Code != code {
				t.Errorf("%s, token %d: %d %s, want %d", step, i, rec.Code, rec.Body, code)
			}
		}
	}
	t1 := login()
	expect("before", 200, t1)
	publish, _ := ring1.WithUpcoming(k2.Public())
	if err := issuer.SetAccessKeys(publish); err != nil {
		t.Fatal(err)
	}
	clock.Advance(remotekeys.DefaultMinMaxAge + time.Second) // the resource server's cache expires
	expect("published", 200, t1)                             // starts the background refetch
	promote, _ := paseto.NewPublicKeyRing(k2, k1.Public())
	if err := issuer.SetAccessKeys(promote); err != nil {
		t.Fatal(err)
	}
	t2 := login()
	expect("promoted", 200, t1, t2)
	retire, _ := paseto.NewPublicKeyRing(k2)
	if err := issuer.SetAccessKeys(retire); err != nil {
		t.Fatal(err)
	}
	clock.Advance(15 * time.Minute)
	t3 := login()
	expect("retired", 200, t3)
	// A token k1 signs now, for a live session, must fail as invalid once
	// the resource server has the set without k1.
	old, _ := paseto.NewIssuer(ring1, paseto.TypeAccess, paseto.IssuerConfig{Clock: clock.Now})
	late, _, _ := old.Issue(paseto.Template{Subject: "alice", Session: sid})
	if err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	rec := get(h, late)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"invalid_token"`) {
		t.Errorf("k1 token after retirement: %d %s, want 401 invalid_token", rec.Code, rec.Body)
	}
}
