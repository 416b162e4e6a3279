package paseto

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestParseScope: the scope claim is RFC 6749 §3.3 syntax, scope-tokens
// separated by single SP (U+0020). Any other whitespace, and empty tokens,
// make the claim invalid rather than being split some lenient way.
func TestParseScope(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string // nil: invalid
	}{
		{"read", []string{"read"}},
		{"read write", []string{"read", "write"}},
		{"admin:* orders:read", []string{"admin:*", "orders:read"}},
		{"! # [ ] ~ a", []string{"!", "#", "[", "]", "~", "a"}}, // %x21, %x23, %x5B, %x5D, %x7E
		{"read read", []string{"read", "read"}},
		{"", nil},
		{" ", nil},
		{" read", nil},
		{"read ", nil},
		{"read  write", nil},
		{"read\twrite", nil},
		{"read\nwrite", nil},
		{"read\rwrite", nil},
		{"read\vwrite", nil},
		{"read\fwrite", nil},
		{"read\u00a0write", nil}, // NBSP
		{"read\u0085write", nil}, // NEL
		{"read\u2003write", nil}, // EM SPACE
		{"read\u3000write", nil}, // IDEOGRAPHIC SPACE
		{"read\u200bwrite", nil}, // ZERO WIDTH SPACE
		{"r\u00e9ad", nil},
		{`a"b`, nil},
		{`a\b`, nil},
		{"a\x7fb", nil},
		{"a\x00b", nil},
	} {
		got, err := parseScope(tc.in)
		if tc.want == nil {
			if !errors.Is(err, ErrInvalidClaims) || got != nil {
				t.Errorf("parseScope(%q) = %q, %v; want ErrInvalidClaims", tc.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseScope(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if joined, err := joinScopes(got); err != nil || joined != tc.in {
			t.Errorf("joinScopes(%q) = %q, %v: does not round-trip", got, joined, err)
		}
	}
}

// TestScopeClaimVerified: the Verifier applies parseScope, and what the
// Issuer writes it reads back.
func TestScopeClaimVerified(t *testing.T) {
	t.Parallel()
	ring := mustLocalRing(t)
	clock := newTestClock(epoch)
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now})
	ctx := context.Background()

	tok := mustIssue(t, mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now}), Template{Subject: "alice", Scopes: []string{"read", "admin:*"}})
	c, err := v.Verify(ctx, tok)
	if err != nil || !slices.Equal(c.Scopes, []string{"read", "admin:*"}) {
		t.Fatalf("issued scopes: %v, %v", c, err)
	}
	for _, scope := range []string{`"read\twrite"`, `"read\u00a0write"`, `"read  write"`, `" read"`, `""`, `"read\u3000write"`} {
		if c, err := v.Verify(ctx, seal(ring, payloadJSON(`"scope":`+scope), string(ring.footer))); !errors.Is(err, ErrInvalidClaims) || c != nil {
			t.Errorf("scope %s: %v, %v; want ErrInvalidClaims", scope, c, err)
		}
	}
	for _, bad := range [][]string{{"read write"}, {"read\twrite"}, {""}, {"r\u00e9ad"}} {
		if _, _, err := mustIssuer(t, ring, TypeAccess, IssuerConfig{}).Issue(Template{Subject: "a", Scopes: bad}); !errors.Is(err, ErrConfig) {
			t.Errorf("Issue scopes %q: %v; want ErrConfig", bad, err)
		}
	}
}
