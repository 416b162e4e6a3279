package remotekeys

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// The tests of this file attack the fetch from the key set server's side:
// whoever answers at the URL (or on the way to it) is the attacker.

// TestHugeResponseHeadersRefused: a server that answers a valid set behind
// a megabyte of headers is refused before the body is read, rather than
// costing every fetch up to net/http's default 10 MB of header memory.
func TestHugeResponseHeadersRefused(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	good := ks.body
	filler := strings.Repeat("a", 8<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 128 { // 1 MiB of headers
			w.Header().Add("X-Filler", filler+string(rune('a'+i%26)))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(good)
	}))
	t.Cleanup(srv.Close)
	s := newSource(t, srv.URL, fakeclock.New(epoch))
	if _, err := s.Keys(context.Background()); !errors.Is(err, paseto.ErrKeysUnavailable) {
		t.Fatalf("Keys behind 1 MiB of headers = %v, want ErrKeysUnavailable", err)
	}
	// The same set with ordinary headers is taken.
	s = newSource(t, ks.URL, fakeclock.New(epoch))
	if _, err := s.Keys(context.Background()); err != nil {
		t.Fatalf("Keys = %v", err)
	}
}

// TestRedirectToAnotherSetIsNotFollowed: a redirect (here to plain http on
// another server that serves a valid set of other keys) is refused and the
// other server is never asked.
func TestRedirectToAnotherSetIsNotFollowed(t *testing.T) {
	evil := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL, http.StatusMovedPermanently)
	}))
	t.Cleanup(srv.Close)
	s := newSource(t, srv.URL, fakeclock.New(epoch), func(o *Options) { o.Client = srv.Client() })
	if _, err := s.Keys(context.Background()); !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), "redirects are refused") {
		t.Fatalf("Keys through a redirect = %v, want ErrKeysUnavailable (redirects are refused)", err)
	}
	if n := evil.hits.Load(); n != 0 {
		t.Errorf("the redirect's target was asked %d times", n)
	}
}
