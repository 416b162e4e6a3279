package remotekeys_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
)

// BenchmarkVerify compares verifying a v4.public access token (no session
// check, no cache) with a local ring and through a warm Source, and the
// cost of a token naming an unknown key: with a local ring, and through a
// Source whose refetch interval has not passed (what an attacker spraying
// random kids gets), or that may refetch at once (a loopback fetch per
// miss).
//
//	go test -run '^$' -bench . -benchmem ./paseto/remotekeys/
func BenchmarkVerify(b *testing.B) {
	sk := paseto.GenerateSecretKey()
	ring, _ := paseto.NewPublicKeyRing(sk)
	set, _ := paseto.NewKeySet(ring)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(set.JSON())
	}))
	defer srv.Close()
	src, err := remotekeys.New(remotekeys.Config{URL: srv.URL, MinMaxAge: remotekeys.DefaultMaxMaxAge, MinInterval: remotekeys.DefaultMaxMaxAge, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := src.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	// A Source allowed to refetch on every miss: the cost of one fetch over
	// loopback, parse and ring included.
	eager, _ := remotekeys.New(remotekeys.Config{URL: srv.URL, MinInterval: 1, Logger: slog.New(slog.DiscardHandler)})
	if err := eager.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	local, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
	refetching, _ := paseto.NewVerifierFromSource(eager, paseto.TypeAccess, paseto.VerifierConfig{})
	remote, _ := paseto.NewVerifierFromSource(src, paseto.TypeAccess, paseto.VerifierConfig{})
	iss, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
	token, _, _ := iss.Issue(paseto.Template{Subject: "alice"})
	other, _ := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	oiss, _ := paseto.NewIssuer(other, paseto.TypeAccess, paseto.IssuerConfig{})
	unknown, _, _ := oiss.Issue(paseto.Template{Subject: "alice"})

	for _, bc := range []struct {
		name  string
		v     *paseto.Verifier
		token string
		ok    bool
	}{
		{"local-ring", local, token, true},
		{"remote-warm", remote, token, true},
		{"local-ring-unknown-kid", local, unknown, false},
		{"remote-unknown-kid", remote, unknown, false},
		{"remote-unknown-kid-refetch", refetching, unknown, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.v.Verify(ctx, bc.token); (err == nil) != bc.ok {
					b.Fatal(err)
				}
			}
		})
	}
	if n := src.Fetches(); n != 1 {
		b.Fatalf("%d fetches, want 1", n)
	}
}

// BenchmarkKeysWarm is what a warm Source adds to each verification: the
// Keys call (an atomic load and a clock reading).
func BenchmarkKeysWarm(b *testing.B) {
	ring, _ := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	set, _ := paseto.NewKeySet(ring)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(set.JSON())
	}))
	defer srv.Close()
	src, _ := remotekeys.New(remotekeys.Config{URL: srv.URL, MinMaxAge: remotekeys.DefaultMaxMaxAge, MinInterval: remotekeys.DefaultMaxMaxAge, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := src.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Keys(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
