package paseto

import (
	"context"
	"testing"
	"time"
)

// Allocation counts do not depend on the machine, so unlike times they can
// be held in a test: a v4.local or v4.public verification (the payload
// string, the Claims, the scopes; the token is decoded on the stack and the
// BLAKE2b states are pooled) and a cache hit (the Claims).
func TestVerifyAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts: not in -short")
	}
	if raceEnabled {
		t.Skip("allocation counts: not under -race (sync.Pool drops pooled digests at random)")
	}
	clock := func() time.Time { return epoch }
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		public bool
		cache  int
		max    float64
	}{
		{"v4.local", false, 0, 3},
		{"v4.public", true, 0, 3},
		{"v4.local cached", false, 16, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring := mustLocalRing(t)
			if tc.public {
				ring = mustPublicRing(t, GenerateSecretKey())
			}
			iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock, Issuer: "https://api.example.com"})
			tok := mustIssue(t, iss, Template{Subject: "user-1234", Session: "s-AAAAAAAAAAAAAAAAAAAAAA", Fresh: true, Scopes: []string{"read", "write"}})
			v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock, Issuer: "https://api.example.com", CacheSize: tc.cache})
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
			var err error
			got := testing.AllocsPerRun(100, func() { _, err = v.Verify(ctx, tok) })
			if err != nil {
				t.Fatal(err)
			}
			if got > tc.max {
				t.Fatalf("%v allocations per Verify, want at most %v", got, tc.max)
			}
		})
	}
}
