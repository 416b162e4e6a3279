package exampletest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// checkKeySet: in v4.public mode the key set is served at
// paseto.KeySetPath, cacheable, with the key that signs the server's
// tokens as current; in v4.local mode there is nothing to publish (404)
// and no key material in the answer.
func (s *Server) checkKeySet(t *testing.T, purpose string) {
	r := s.Get(t, paseto.KeySetPath, "")
	if purpose != "v4.public" {
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Raw), "k4.") {
			t.Fatalf("GET %s in %s mode: %d %s, want 404 without keys", paseto.KeySetPath, purpose, r.Status, r.Raw)
		}
		return
	}
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("GET %s: %d, Cache-Control %q; want 200, public, max-age", paseto.KeySetPath, r.Status, r.Header.Get("Cache-Control"))
	}
	ks, err := paseto.ParseKeySet(r.Raw)
	if err != nil {
		t.Fatalf("GET %s: %v", paseto.KeySetPath, err)
	}
	kid := footerKID(t, s.Login(t, "test").Access)
	for _, k := range ks.Keys() {
		if k.ID == kid {
			if k.State != paseto.KeyCurrent {
				t.Errorf("the signing key %s is %v in the key set, want current", kid, k.State)
			}
			return
		}
	}
	t.Errorf("the signing key %s is not in the key set %s", kid, r.Raw)
}
