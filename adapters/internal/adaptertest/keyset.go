package adaptertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// CheckKeySet drives the key set route of an adapter: app must return a
// Do for an app that serves the adapter's KeySetHandler at
// paseto.KeySetPath for g. A v4.public Guard answers 200 with its
// public keys, cacheable ("public, max-age=300" by default) and parsed by
// paseto.ParseKeySet; a v4.local one answers 404 with no key material.
func CheckKeySet(t *testing.T, app func(g *paseto.Guard) Do) {
	t.Helper()
	pub := New(t, true)
	resp := app(pub.Guard)(httptest.NewRequest(http.MethodGet, paseto.KeySetPath, nil))
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, max-age=300" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("v4.public: %d, Cache-Control %q, Content-Type %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	ks, err := paseto.ParseKeySet([]byte(body))
	if err != nil {
		t.Fatalf("v4.public key set: %v\n%s", err, body)
	}
	if keys := ks.Keys(); len(keys) != 1 || keys[0].ID != pub.Auth.AccessKeys().CurrentID() || keys[0].State != paseto.KeyCurrent {
		t.Errorf("v4.public key set %s: want the current key alone", body)
	}

	local := New(t, false)
	resp = app(local.Guard)(httptest.NewRequest(http.MethodGet, paseto.KeySetPath, nil))
	if body := readAll(t, resp); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "k4.") {
		t.Errorf("v4.local: %d %s, want 404 without keys", resp.StatusCode, body)
	}
}
