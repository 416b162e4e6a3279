package paseto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKeyParsingRefuses(t *testing.T) {
	sym := GenerateSymmetricKey()
	sk := GenerateSecretKey()
	zero32 := make([]byte, 32)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"local/k3 prefix", second(ParseSymmetricKey(strings.Replace(sym.PASERK(), "k4.", "k3.", 1))), ErrInvalidKey},
		{"local/lid given as key", second(ParseSymmetricKey(sym.ID())), ErrInvalidKey},
		{"local/public PASERK given as local key", second(ParseSymmetricKey(sk.Public().PASERK())), ErrInvalidKey},
		{"local/31 bytes", second(NewSymmetricKey(make([]byte, 31))), ErrInvalidKey},
		{"local/33 bytes", second(NewSymmetricKey(make([]byte, 33))), ErrInvalidKey},
		{"local/all zero", second(NewSymmetricKey(zero32)), ErrWeakKey},
		{"local/all zero PASERK", second(ParseSymmetricKey("k4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")), ErrWeakKey},
		{"local/padding", second(ParseSymmetricKey(sym.PASERK() + "=")), ErrInvalidKey},
		{"local/empty", second(ParseSymmetricKey("")), ErrInvalidKey},
		{"secret/local PASERK given as secret", second(ParseSecretKey(sym.PASERK())), ErrInvalidKey},
		{"secret/sid given as key", second(ParseSecretKey(sk.ID())), ErrInvalidKey},
		{"secret/32 bytes", second(NewSecretKey(make([]byte, 32))), ErrInvalidKey},
		{"secret/mismatched public half", second(NewSecretKey(append(sk.Seed(), GenerateSecretKey().Public().Bytes()...))), ErrInvalidKey},
		{"secret/zero seed", second(NewSecretKeyFromSeed(zero32)), ErrWeakKey},
		{"public/all zero", second(NewPublicKey(zero32)), ErrWeakKey},
		{"public/identity point", second(NewPublicKey(append([]byte{1}, make([]byte, 31)...))), ErrWeakKey},
		{"public/local key as public", second(ParsePublicKey(sym.PASERK())), ErrInvalidKey},
		{"public/pid given as key", second(ParsePublicKey(sk.Public().ID())), ErrInvalidKey},
		{"public/31 bytes", second(NewPublicKey(make([]byte, 31))), ErrInvalidKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, c.want) {
				t.Fatalf("got %v, want %v", c.err, c.want)
			}
		})
	}
}

// second returns the error of a constructor and checks that no usable key
// came back with it.
func second[K comparable](k K, err error) error {
	var zero K
	if err != nil && k != zero {
		return fmt.Errorf("usable key returned together with error %w", err)
	}
	if err == nil {
		return errors.New("accepted")
	}
	return err
}

func TestKeysRoundTripAndCopy(t *testing.T) {
	sym := GenerateSymmetricKey()
	got, err := ParseSymmetricKey(sym.PASERK())
	if err != nil || got != sym {
		t.Fatalf("symmetric round trip: %v", err)
	}
	b := sym.Bytes()
	b[0] ^= 0xff
	if bytes.Equal(b, sym.Bytes()) {
		t.Fatal("Bytes returned the key's own storage")
	}
	raw := GenerateSymmetricKey().Bytes()
	k, _ := NewSymmetricKey(raw)
	raw[0] ^= 0xff
	if bytes.Equal(raw, k.Bytes()) {
		t.Fatal("NewSymmetricKey kept the caller's slice")
	}

	sk := GenerateSecretKey()
	sk2, err := ParseSecretKey(sk.PASERK())
	if err != nil || sk2 != sk {
		t.Fatalf("secret round trip: %v", err)
	}
	sk3, err := NewSecretKeyFromSeed(sk.Seed())
	if err != nil || sk3 != sk {
		t.Fatalf("secret from seed: %v", err)
	}
	pk, err := ParsePublicKey(sk.Public().PASERK())
	if err != nil || pk != sk.Public() {
		t.Fatalf("public round trip: %v", err)
	}
	for _, id := range []string{sym.ID(), sk.ID(), pk.ID()} {
		if len(id) != 51 {
			t.Errorf("key ID %q: length %d, want 51", id, len(id))
		}
	}
}

func TestKeysDoNotPrintSecrets(t *testing.T) {
	sym := GenerateSymmetricKey()
	sk := GenerateSecretKey()
	for _, s := range []string{
		fmt.Sprint(sym), fmt.Sprintf("%v %+v %#v %s", sym, sym, sym, sym),
		fmt.Sprint(sk), fmt.Sprintf("%v %+v %#v %s", sk, sk, sk, sk),
	} {
		if strings.Contains(s, sym.PASERK()[9:]) || strings.Contains(s, sk.PASERK()[10:]) || strings.Contains(s, "k4.local.") || strings.Contains(s, "k4.secret.") {
			t.Fatalf("formatted key leaks material: %s", s)
		}
	}
}

func TestKeyRing(t *testing.T) {
	k1, k2 := GenerateSymmetricKey(), GenerateSymmetricKey()
	if _, err := NewLocalKeyRing(k1, k1); !errors.Is(err, ErrConfig) {
		t.Errorf("duplicate key: got %v", err)
	}
	if _, err := NewLocalKeyRing(SymmetricKey{}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("zero key: got %v", err)
	}
	if _, err := NewPublicKeyRing(SecretKey{}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("zero secret key: got %v", err)
	}
	if _, err := NewPublicVerifyKeyRing(); !errors.Is(err, ErrConfig) {
		t.Errorf("empty verify ring: got %v", err)
	}
	if _, err := NewPublicVerifyKeyRing(PublicKey{}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("zero public key: got %v", err)
	}
	verifyOnly, _ := NewPublicVerifyKeyRing(GenerateSecretKey().Public())
	if _, err := NewIssuer(verifyOnly, TypeAccess, IssuerConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("issuer on verify-only ring: got %v", err)
	}
	r, _ := NewLocalKeyRing(k2, k1)
	if r.CurrentID() != k2.ID() || len(r.IDs()) != 2 {
		t.Errorf("current %s, ids %v", r.CurrentID(), r.IDs())
	}
}
