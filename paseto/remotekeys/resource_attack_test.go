package remotekeys_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// TestVerifyOnlyResourceAsksTheStore attacks a resource server (a real
// HTTP server, with the verified-token cache on) that verifies the
// issuer's tokens through its published key set: a token whose session
// the issuer revoked is refused even though its signature is good and it
// was cached; a store the resource cannot reach is 503, never a pass; a
// token whose kid names the current key but which another key signed is
// refused without a refetch.
func TestVerifyOnlyResourceAsksTheStore(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := pasetotest.NewFaultyStore(paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock.Now}))
	k1 := paseto.GenerateSecretKey()
	ring, _ := paseto.NewPublicKeyRing(k1)
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	issuer, err := paseto.New(paseto.Config{AccessKeys: ring, RefreshKeys: refresh, Store: store, Clock: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ig, _ := paseto.NewGuard(issuer, paseto.GuardConfig{})
	keys := httptest.NewServer(httppaseto.New(ig, httppaseto.Config{}).KeySetHandler())
	t.Cleanup(keys.Close)

	src, err := remotekeys.New(remotekeys.Config{URL: keys.URL, Clock: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	resource, err := paseto.New(paseto.Config{AccessKeySource: src, Store: store, Clock: clock.Now, CacheSize: 100, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rg, _ := paseto.NewGuard(resource, paseto.GuardConfig{})
	var ran atomic.Int32
	api := httptest.NewServer(httppaseto.New(rg, httppaseto.Config{}).Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		io.WriteString(w, "ok")
	})))
	t.Cleanup(api.Close)
	get := func(tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	ctx := context.Background()
	p, err := issuer.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // verified, then from the cache
		if code, body := get(p.AccessToken); code != http.StatusOK {
			t.Fatalf("live session: %d %s", code, body)
		}
	}
	store.Set(pasetotest.Unavailable)
	if code, body := get(p.AccessToken); code != http.StatusServiceUnavailable || !strings.Contains(body, "temporarily_unavailable") {
		t.Errorf("store down: %d %s, want 503", code, body)
	}
	store.Set(pasetotest.NoFault)
	c, err := issuer.VerifyAccess(ctx, p.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := issuer.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if code, body := get(p.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("after logout at the issuer: %d %s, want 401", code, body)
	}

	// Another key signs a token that names k1: refused, and no fetch.
	fetches := src.Fetches()
	p2, err := issuer.Login(ctx, "bob", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k9 := paseto.GenerateSecretKey()
	evilRing, _ := paseto.NewPublicKeyRing(k9)
	evil, _ := paseto.NewIssuer(evilRing, paseto.TypeAccess, paseto.IssuerConfig{Clock: clock.Now})
	c2, _ := resource.VerifyAccess(ctx, p2.AccessToken)
	forged, _, err := evil.Issue(paseto.Template{Subject: c2.Subject, Session: c2.Session})
	if err != nil {
		t.Fatal(err)
	}
	forged = forged[:strings.LastIndexByte(forged, '.')] + p2.AccessToken[strings.LastIndexByte(p2.AccessToken, '.'):] // k1's footer
	if code, body := get(forged); code != http.StatusUnauthorized || !strings.Contains(body, "invalid_token") {
		t.Errorf("k1's kid over k9's signature: %d %s, want 401", code, body)
	}
	if src.Fetches() != fetches {
		t.Errorf("a known kid with a bad signature caused a fetch")
	}
	if n := ran.Load(); n != 3 {
		t.Errorf("handler ran %d times, want 3", n)
	}
}
