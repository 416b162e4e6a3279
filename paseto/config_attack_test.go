package paseto

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestConfigBoundsRefused: every bound the With* options enforced holds
// for the Config structs that replaced them; only zero means "default".
func TestConfigBoundsRefused(t *testing.T) {
	ring, err := NewLocalKeyRing(GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	issuers := map[string]IssuerConfig{
		"lifetime under a second": {Lifetime: 999 * time.Millisecond},
		"negative lifetime":       {Lifetime: -time.Hour},
		"token size 127":          {MaxTokenSize: 127},
		"negative token size":     {MaxTokenSize: -1},
		"token size over 1 MiB":   {MaxTokenSize: 1<<20 + 1},
	}
	for name, cfg := range issuers {
		if _, err := NewIssuer(ring, TypeAccess, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("NewIssuer, %s: %v, want ErrConfig", name, err)
		}
	}
	verifiers := map[string]VerifierConfig{
		"negative leeway":       {Leeway: -time.Nanosecond},
		"leeway over MaxLeeway": {Leeway: MaxLeeway + time.Nanosecond},
		"token size 127":        {MaxTokenSize: 127},
		"negative token size":   {MaxTokenSize: -1},
		"token size over 1 MiB": {MaxTokenSize: 1<<20 + 1},
		"negative cache":        {CacheSize: -1},
		"cache over 10M":        {CacheSize: 10_000_001},
	}
	for name, cfg := range verifiers {
		if _, err := NewVerifier(ring, TypeAccess, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("NewVerifier, %s: %v, want ErrConfig", name, err)
		}
	}
	for name, cfg := range map[string]Config{
		"negative leeway":       {Leeway: -time.Second},
		"leeway over MaxLeeway": {Leeway: MaxLeeway + time.Second},
		"negative cache":        {CacheSize: -1},
		"cache over 10M":        {CacheSize: 10_000_001},
		"refresh lifetime 1 ns": {RefreshLifetime: time.Nanosecond},
	} {
		cfg.AccessKeys, cfg.RefreshKeys = ring, mustRing(t)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New, %s: %v, want ErrConfig", name, err)
		}
	}
}

func mustRing(t *testing.T) *KeyRing {
	t.Helper()
	r, err := NewLocalKeyRing(GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestImplicitAssertionCopied: the bytes given as ImplicitAssertion are
// copied by NewIssuer and NewVerifier, so that a caller reusing its
// buffer (another tenant's ID written into it) neither unbinds the tokens
// already minted nor makes another tenant's tokens verify.
func TestImplicitAssertionCopied(t *testing.T) {
	ring := mustRing(t)
	buf := []byte("tenant-a")
	iss, err := NewIssuer(ring, TypeAccess, IssuerConfig{ImplicitAssertion: buf})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(ring, TypeAccess, VerifierConfig{ImplicitAssertion: buf})
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, "tenant-b")
	tok, _, err := iss.Issue(Template{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("token of the tenant both were given: %v", err)
	}
	for name, ia := range map[string][]byte{"none": nil, "empty": {}, "the buffer now": buf} {
		other, err := NewVerifier(ring, TypeAccess, VerifierConfig{ImplicitAssertion: ia})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Verify(ctx, tok); err == nil {
			t.Fatalf("a verifier with assertion %s accepts tenant-a's token", name)
		}
	}
}

// TestNewWiresBothVerifiers: Config.Issuer, Audience, Leeway and Clock
// reach the refresh verifier as well as the access one: a refresh token
// minted with the same key but another iss or aud, or with an iat beyond
// the leeway, is refused before the store is asked.
func TestNewWiresBothVerifiers(t *testing.T) {
	access, refresh := mustRing(t), mustRing(t)
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := NewMemoryStore(MemoryStoreConfig{Clock: clock})
	auth, err := New(Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: clock,
		Issuer: "https://id.example", Audience: "api", Leeway: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := auth.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mint := func(keys *KeyRing, typ string, cfg IssuerConfig) string {
		t.Helper()
		i, err := NewIssuer(keys, typ, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := i.Issue(Template{Subject: "alice", Session: p.Access.Session})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ahead := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(d) } }
	cases := []struct {
		name string
		cfg  IssuerConfig
		want error
	}{
		{"no issuer", IssuerConfig{Audience: "api", Clock: clock}, ErrIssuer},
		{"other issuer", IssuerConfig{Issuer: "https://evil.example", Audience: "api", Clock: clock}, ErrIssuer},
		{"no audience", IssuerConfig{Issuer: "https://id.example", Clock: clock}, ErrAudience},
		{"other audience", IssuerConfig{Issuer: "https://id.example", Audience: "admin", Clock: clock}, ErrAudience},
		{"iat beyond the leeway", IssuerConfig{Issuer: "https://id.example", Audience: "api", Clock: ahead(31 * time.Second)}, ErrNotYetValid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := auth.VerifyAccess(ctx, mint(access, TypeAccess, tc.cfg)); !errors.Is(err, tc.want) {
				t.Errorf("access token: %v, want %v", err, tc.want)
			}
			if pair, err := auth.Refresh(ctx, mint(refresh, TypeRefresh, tc.cfg)); pair != nil || !errors.Is(err, tc.want) {
				t.Errorf("refresh token: %v, want %v", err, tc.want)
			}
		})
	}
	// Within the leeway, both are accepted: the same clock and leeway.
	within := IssuerConfig{Issuer: "https://id.example", Audience: "api", Clock: ahead(30 * time.Second)}
	if _, err := auth.VerifyAccess(ctx, mint(access, TypeAccess, within)); err != nil {
		t.Errorf("access token within the leeway: %v", err)
	}
	if _, err := refreshVerifierOf(auth).Verify(ctx, mint(refresh, TypeRefresh, within)); err != nil {
		t.Errorf("refresh token within the leeway: %v", err)
	}
	if live, err := store.SessionLive(ctx, "alice", p.Access.Session, now); err != nil || !live {
		t.Fatalf("a refused token changed the session: %v, %v", live, err)
	}
}

func refreshVerifierOf(a *Auth) *Verifier { return a.refreshVerify }
