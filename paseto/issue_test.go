package paseto

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	gopaseto "aidanwoods.dev/go-paseto"
)

func TestIssueClaims(t *testing.T) {
	clock := newTestClock(epoch.Add(500 * time.Millisecond))
	ring := mustLocalRing(t)
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now, Issuer: "https://api.example", Audience: "app"})
	tok, c, err := iss.Issue(Template{Subject: "alice", Fresh: true, Session: "s-1", Claims: map[string]any{"role": "admin", "groups": []string{"a", "b"}, "n": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "v4.local.") {
		t.Fatalf("token %q", tok)
	}
	got, err := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now}).Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Issuer: "https://api.example", Subject: "alice", Audience: "app", ID: c.ID, Type: TypeAccess, Session: "s-1",
		IssuedAt: epoch, NotBefore: epoch, Expiration: epoch.Add(DefaultAccessLifetime), Fresh: true, AuthTime: epoch}
	got.payload, got.hasCustom = nil, false
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("claims:\n got %+v\nwant %+v", *got, want)
	}
	if len(c.ID) != 22 {
		t.Errorf("jti %q: want 22 base64url characters (128 bits)", c.ID)
	}
	got, _ = mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now}).Verify(context.Background(), tok)
	if role, err := Claim[string](got, "role"); err != nil || role != "admin" {
		t.Errorf("role = %q, %v", role, err)
	}
	if groups, err := Claim[[]string](got, "groups"); err != nil || len(groups) != 2 {
		t.Errorf("groups = %v, %v", groups, err)
	}
	if n, err := Claim[int](got, "n"); err != nil || n != 3 {
		t.Errorf("n = %v, %v", n, err)
	}
	if _, err := Claim[string](got, "missing"); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("missing claim: %v", err)
	}
	if _, err := Claim[string](got, "sub"); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("reserved claims are not custom claims: %v", err)
	}
	if _, err := Claim[int](got, "role"); err == nil {
		t.Error("role decoded as int")
	}
	if !got.Has("role") || got.Has("exp") || len(got.Custom()) != 3 {
		t.Errorf("Has/Custom: %v", got.Custom())
	}
}

func TestIssueRefuses(t *testing.T) {
	iss := mustIssuer(t, mustLocalRing(t), TypeAccess, IssuerConfig{})
	for _, name := range ReservedClaims() {
		if _, _, err := iss.Issue(Template{Subject: "a", Claims: map[string]any{name: "x"}}); !errors.Is(err, ErrReservedClaim) {
			t.Errorf("reserved %q: got %v", name, err)
		}
	}
	for name, tpl := range map[string]Template{
		"no subject":          {},
		"invalid UTF-8":       {Subject: "\xff"},
		"auth time in future": {Subject: "a", AuthTime: time.Now().Add(time.Hour)},
		"unmarshallable":      {Subject: "a", Claims: map[string]any{"c": make(chan int)}},
	} {
		if tok, c, err := iss.Issue(tpl); err == nil || tok != "" || c != nil {
			t.Errorf("%s: got token %q, err %v", name, tok, err)
		}
	}
	for name, cfg := range map[string]IssuerConfig{
		"lifetime under 1s": {Lifetime: time.Millisecond},
		"negative lifetime": {Lifetime: -time.Hour},
		"tiny max size":     {MaxTokenSize: 10},
		"huge max size":     {MaxTokenSize: 2 << 20},
		"negative max size": {MaxTokenSize: -1},
	} {
		if _, err := NewIssuer(mustLocalRing(t), TypeAccess, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	for name, cfg := range map[string]VerifierConfig{
		"negative leeway": {Leeway: -time.Second},
		"huge leeway":     {Leeway: time.Hour},
		"tiny max size":   {MaxTokenSize: 10},
		"negative cache":  {CacheSize: -1},
		"huge cache":      {CacheSize: 10_000_001},
	} {
		if _, err := NewVerifier(mustLocalRing(t), TypeAccess, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestKeyRotation: tokens minted under the previous key keep verifying while
// the ring holds it, and fail closed once it is dropped.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := GenerateSymmetricKey(), GenerateSymmetricKey()
	oldTok := mustIssue(t, mustIssuer(t, mustLocalRing(t, oldKey), TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
	rotated := mustLocalRing(t, newKey, oldKey)
	newTok := mustIssue(t, mustIssuer(t, rotated, TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
	if !strings.HasSuffix(newTok, strings.Split(mustIssue(t, mustIssuer(t, mustLocalRing(t, newKey), TypeAccess, IssuerConfig{}), Template{Subject: "a"}), ".")[3]) {
		t.Fatal("rotated ring does not mint under its current key")
	}
	v := mustVerifier(t, rotated, TypeAccess, VerifierConfig{})
	for _, tok := range []string{oldTok, newTok} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("rotated ring: %v", err)
		}
	}
	if _, err := mustVerifier(t, mustLocalRing(t, newKey), TypeAccess, VerifierConfig{}).Verify(ctx, oldTok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("dropped key: got %v", err)
	}

	oldSK, newSK := GenerateSecretKey(), GenerateSecretKey()
	oldPub := mustIssue(t, mustIssuer(t, mustPublicRing(t, oldSK), TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
	verifyOnly, err := NewPublicVerifyKeyRing(newSK.Public(), oldSK.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustVerifier(t, verifyOnly, TypeAccess, VerifierConfig{}).Verify(ctx, oldPub); err != nil {
		t.Fatalf("public rotation: %v", err)
	}
	if _, err := mustVerifier(t, mustPublicRing(t, newSK), TypeAccess, VerifierConfig{}).Verify(ctx, oldPub); !errors.Is(err, ErrInvalid) {
		t.Fatalf("dropped public key: got %v", err)
	}
}

// TestInteropWithGoPaseto: our access tokens verify in another conformant
// implementation given only the key, and carry the claims we set.
func TestInteropWithGoPaseto(t *testing.T) {
	sym := GenerateSymmetricKey()
	sk := GenerateSecretKey()
	local := mustIssue(t, mustIssuer(t, mustLocalRing(t, sym), TypeAccess, IssuerConfig{}), Template{Subject: "alice", Fresh: true})
	public := mustIssue(t, mustIssuer(t, mustPublicRing(t, sk), TypeAccess, IssuerConfig{}), Template{Subject: "alice"})

	gk, err := gopaseto.V4SymmetricKeyFromBytes(sym.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	parser := gopaseto.NewParserForValidNow()
	tok, err := parser.ParseV4Local(gk, local, nil)
	if err != nil {
		t.Fatalf("go-paseto v4.local: %v", err)
	}
	if sub, _ := tok.GetSubject(); sub != "alice" {
		t.Errorf("go-paseto sub = %q", sub)
	}
	if string(tok.Footer()) != `{"kid":"`+sym.ID()+`"}` {
		t.Errorf("footer = %s", tok.Footer())
	}
	gp, err := gopaseto.NewV4AsymmetricPublicKeyFromBytes(sk.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.ParseV4Public(gp, public, nil); err != nil {
		t.Fatalf("go-paseto v4.public: %v", err)
	}

	// And the other way: a go-paseto token with our footer verifies here.
	gt := gopaseto.NewToken()
	gt.SetSubject("bob")
	gt.SetJti("jti-from-go-paseto")
	gt.SetString("type", TypeAccess)
	gt.SetIssuedAt(time.Now())
	gt.SetNotBefore(time.Now())
	gt.SetExpiration(time.Now().Add(time.Minute))
	gt.SetFooter([]byte(`{"kid":"` + sym.ID() + `"}`))
	c, err := mustVerifier(t, mustLocalRing(t, sym), TypeAccess, VerifierConfig{}).Verify(context.Background(), gt.V4Encrypt(gk, nil))
	if err != nil || c.Subject != "bob" {
		t.Fatalf("go-paseto token: %v", err)
	}
}

// TestSmallOrderForgery: the forged token from paseto-security.md §5.12 is
// accepted by bare crypto/ed25519 under the all-zero key; we refuse the key.
func TestSmallOrderForgery(t *testing.T) {
	const forged = "v4.public.eyJzdWIiOiJhZG1pbiIsImV4cCI6IjIwOTktMDEtMDFUMDA6MDA6MDBaIn0jTC5002h-eQF_9378hCPuYUDHje2wgpp_UbbHUR16UXuQ6igqw4yFFnqGl2oB0nQdF2UrxZaUpP7WyX7riEQJ"
	if _, err := NewPublicKey(make([]byte, 32)); !errors.Is(err, ErrWeakKey) {
		t.Fatalf("all-zero public key accepted: %v", err)
	}
	v := mustVerifier(t, mustPublicRing(t, GenerateSecretKey()), TypeAccess, VerifierConfig{})
	if _, err := v.Verify(context.Background(), forged); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forged token: got %v", err)
	}
}

func TestIssueNotAfter(t *testing.T) {
	ring := mustLocalRing(t)
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: func() time.Time { return epoch }, Lifetime: 15 * time.Minute})
	for _, c := range []struct {
		name     string
		notAfter time.Time
		want     time.Time
	}{
		{"zero: no cap", time.Time{}, epoch.Add(15 * time.Minute)},
		{"later than the lifetime", epoch.Add(time.Hour), epoch.Add(15 * time.Minute)},
		{"earlier: capped, whole seconds", epoch.Add(5*time.Minute + 500*time.Millisecond), epoch.Add(5 * time.Minute)},
		{"already past: a second", epoch.Add(-time.Hour), epoch.Add(time.Second)},
	} {
		_, cl, err := iss.Issue(Template{Subject: "alice", NotAfter: c.notAfter})
		if err != nil || !cl.Expiration.Equal(c.want) {
			t.Errorf("%s: exp %v, %v; want %v", c.name, cl.Expiration, err, c.want)
		}
	}
}

// An Issuer never mints a token its verifiers would refuse unread: custom
// claims that make it longer than the cap are a configuration error.
func TestIssueRespectsMaxTokenSize(t *testing.T) {
	ring := mustLocalRing(t)
	big := map[string]any{"blob": strings.Repeat("x", 2000)}
	small, err := NewIssuer(ring, TypeAccess, IssuerConfig{MaxTokenSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if tok, c, err := small.Issue(Template{Subject: "alice", Claims: big}); !errors.Is(err, ErrConfig) || tok != "" || c != nil {
		t.Fatalf("oversize token: %q, %v, want ErrConfig", tok, err)
	}
	if _, _, err := small.Issue(Template{Subject: "alice"}); err != nil {
		t.Fatalf("a token within the cap: %v", err)
	}
	def, err := NewIssuer(ring, TypeAccess, IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := def.Issue(Template{Subject: "alice", Claims: map[string]any{"blob": strings.Repeat("x", DefaultMaxTokenSize)}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("token over DefaultMaxTokenSize: %v, want ErrConfig", err)
	}
	tok, _, err := def.Issue(Template{Subject: "alice", Claims: big})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(ring, TypeAccess, VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("what the default issuer mints, the default verifier accepts: %v", err)
	}
}
