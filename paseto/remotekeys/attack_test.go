package remotekeys

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
	s := newSource(t, srv.URL, fakeclock.New(epoch), func(o *Config) { o.Client = srv.Client() })
	if _, err := s.Keys(context.Background()); !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), "redirects are refused") {
		t.Fatalf("Keys through a redirect = %v, want ErrKeysUnavailable (redirects are refused)", err)
	}
	if n := evil.hits.Load(); n != 0 {
		t.Errorf("the redirect's target was asked %d times", n)
	}
}

// TestClockSteppedBackStillFetches: after the clock goes back (an NTP step
// of a wall clock), a key the issuer has since published is still learnt
// at once; the rate limit measured from a start "in the future" must not
// stop every fetch until the clock catches up. The limit holds again from
// the new reading on.
func TestClockSteppedBackStillFetches(t *testing.T) {
	k1 := paseto.GenerateSecretKey()
	ks := newKeyServer(t, publicRing(t, k1))
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	if _, err := s.Keys(context.Background()); err != nil {
		t.Fatal(err)
	}
	k2 := paseto.GenerateSecretKey()
	ks.setRing(t, publicRing(t, k2, k1.Public()))
	clock.Set(epoch.Add(-time.Hour))
	kid := k2.Public().ID()
	r, err := s.LookupKey(context.Background(), kid)
	if err != nil || r.KeyState(kid) != paseto.KeyCurrent {
		t.Fatalf("LookupKey after the clock went back: %v, state %v; %d fetches", err, r.KeyState(kid), s.Fetches())
	}
	other := paseto.GenerateSecretKey().Public().ID()
	for range 100 {
		if _, err := s.LookupKey(context.Background(), other); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Fetches(); n != 2 {
		t.Errorf("%d fetches, want 2: the limit applies again after the step", n)
	}
}

// TestConcurrentKidSprayKeepsTheRateLimit: goroutines spraying random key
// IDs while the set expires (Keys starts background fetches) and time
// passes start at most one fetch per MinInterval between them.
func TestConcurrentKidSprayKeepsTheRateLimit(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	ks.set(func(k *keyServer) { k.cacheControl = "max-age=1" }) // MinMaxAge: every minute
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	if _, err := s.Keys(context.Background()); err != nil {
		t.Fatal(err)
	}
	const workers, calls, step = 8, 250, 10 * time.Millisecond // 20 s in all
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				kid := paseto.GenerateSecretKey().Public().ID()
				if _, err := s.Keys(context.Background()); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.LookupKey(context.Background(), kid); err != nil {
					t.Error(err)
					return
				}
				clock.Advance(step)
			}
		})
	}
	wg.Wait()
	settle(t, s)
	elapsed := time.Duration(workers*calls) * step
	if limit := 1 + int64(elapsed/DefaultMinInterval) + 1; s.Fetches() > limit {
		t.Errorf("%d fetches in %v of spraying, want at most %d", s.Fetches(), elapsed, limit)
	}
	if s.Fetches() < 2 {
		t.Errorf("%d fetches in %v of spraying: the spray was never looked up", s.Fetches(), elapsed)
	}
}

// TestSlowAndCompressedBodiesBounded: a body dribbled after prompt headers
// ends at Config.Timeout; a gzip bomb (a valid set followed by megabytes
// of compressed spaces) is cut at MaxBytes of decompressed body.
func TestSlowAndCompressedBodiesBounded(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	good := ks.body
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(good[:10])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes
	}))
	t.Cleanup(slow.Close)
	s := newSource(t, slow.URL, fakeclock.New(epoch), func(o *Config) { o.Timeout = 100 * time.Millisecond })
	if _, err := s.Keys(context.Background()); !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("dribbled body: %v, want ErrKeysUnavailable (deadline)", err)
	}

	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(good[:len(good)-1])
	zw.Write(bytes.Repeat([]byte(" "), 8<<20))
	zw.Write([]byte("}"))
	zw.Close()
	gz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	}))
	t.Cleanup(gz.Close)
	s = newSource(t, gz.URL, fakeclock.New(epoch))
	if _, err := s.Keys(context.Background()); !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), "body over") {
		t.Errorf("gzip bomb of %d bytes: %v, want ErrKeysUnavailable (body over MaxBytes)", bomb.Len(), err)
	}
}
