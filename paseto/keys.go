package paseto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"github.com/pasetoauth/pasetoauth/paseto/internal/paserk"
)

// SymmetricKey is a 32-byte v4.local key. Its PASERK form is "k4.local.…" and
// its key ID "k4.lid.…". It cannot be used where a public or secret key is
// expected: each key kind is its own type. The zero value is not a usable key.
type SymmetricKey struct{ b [32]byte }

// SecretKey is an Ed25519 signing key for v4.public tokens, stored as the
// 32-byte seed followed by the 32-byte public key. Its PASERK form is
// "k4.secret.…" and its key ID "k4.sid.…". The zero value is not usable.
type SecretKey struct{ b [64]byte }

// PublicKey is an Ed25519 key that verifies v4.public tokens. Its PASERK form
// is "k4.public.…" and its key ID "k4.pid.…". The zero value is not usable.
type PublicKey struct{ b [32]byte }

// GenerateSymmetricKey returns a new random v4.local key from crypto/rand.
func GenerateSymmetricKey() SymmetricKey {
	var k SymmetricKey
	rand.Read(k.b[:]) // never fails; panics internally if the OS source breaks
	return k
}

// NewSymmetricKey copies a raw 32-byte key. It refuses any other length and
// the all-zero key.
func NewSymmetricKey(raw []byte) (SymmetricKey, error) {
	if len(raw) != 32 {
		return SymmetricKey{}, fmt.Errorf("%w: v4.local key must be 32 bytes, got %d", ErrInvalidKey, len(raw))
	}
	if isZero(raw) {
		return SymmetricKey{}, fmt.Errorf("%w: all-zero v4.local key", ErrWeakKey)
	}
	var k SymmetricKey
	copy(k.b[:], raw)
	return k, nil
}

// ParseSymmetricKey decodes a "k4.local." PASERK string. Any other type or
// version ("k3.local.", "k4.lid.", "k4.public.") is refused, as are wrong
// lengths and the all-zero key.
func ParseSymmetricKey(s string) (SymmetricKey, error) {
	raw, err := paserk.Decode(s, paserk.LocalPrefix, 32)
	if err != nil {
		return SymmetricKey{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return NewSymmetricKey(raw)
}

// Bytes returns a copy of the raw key.
func (k SymmetricKey) Bytes() []byte { return append([]byte(nil), k.b[:]...) }

// PASERK returns the key as a "k4.local." string. It is secret: store it as
// you would a password hash's pepper, never in a token or a log.
func (k SymmetricKey) PASERK() string { return paserk.Encode(paserk.LocalPrefix, k.b[:]) }

// ID returns the key's "k4.lid." PASERK ID, safe to publish and used as the
// kid in token footers.
func (k SymmetricKey) ID() string { return paserk.ID(paserk.LocalIDPrefix, k.PASERK()) }

// String identifies the key by its ID so that printing it never leaks it.
func (k SymmetricKey) String() string { return "SymmetricKey(" + k.ID() + ")" }

// GoString is String, so %#v does not leak the key either.
func (k SymmetricKey) GoString() string { return k.String() }

func (k SymmetricKey) valid() bool { return !isZero(k.b[:]) }

// GenerateSecretKey returns a new random Ed25519 signing key from crypto/rand.
func GenerateSecretKey() SecretKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("paseto: crypto/rand failed: " + err.Error())
	}
	var k SecretKey
	copy(k.b[:], priv)
	return k
}

// NewSecretKeyFromSeed derives the signing key from a 32-byte Ed25519 seed.
// The all-zero seed is refused.
func NewSecretKeyFromSeed(seed []byte) (SecretKey, error) {
	if len(seed) != ed25519.SeedSize {
		return SecretKey{}, fmt.Errorf("%w: Ed25519 seed must be 32 bytes, got %d", ErrInvalidKey, len(seed))
	}
	if isZero(seed) {
		return SecretKey{}, fmt.Errorf("%w: all-zero Ed25519 seed", ErrWeakKey)
	}
	var k SecretKey
	copy(k.b[:], ed25519.NewKeyFromSeed(seed))
	return k, nil
}

// NewSecretKey copies a 64-byte Ed25519 private key (seed followed by public
// key, the layout of crypto/ed25519 and libsodium). The public half must be
// the one derived from the seed: a mismatched pair would sign tokens that its
// own public key cannot verify.
func NewSecretKey(raw []byte) (SecretKey, error) {
	if len(raw) != ed25519.PrivateKeySize {
		return SecretKey{}, fmt.Errorf("%w: v4.public secret key must be 64 bytes, got %d", ErrInvalidKey, len(raw))
	}
	k, err := NewSecretKeyFromSeed(raw[:32])
	if err != nil {
		return SecretKey{}, err
	}
	if subtle.ConstantTimeCompare(k.b[32:], raw[32:]) != 1 {
		return SecretKey{}, fmt.Errorf("%w: public half does not match the seed", ErrInvalidKey)
	}
	return k, nil
}

// ParseSecretKey decodes a "k4.secret." PASERK string; see NewSecretKey for
// what is refused.
func ParseSecretKey(s string) (SecretKey, error) {
	raw, err := paserk.Decode(s, paserk.SecretPrefix, 64)
	if err != nil {
		return SecretKey{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return NewSecretKey(raw)
}

// Public returns the matching public key.
func (k SecretKey) Public() PublicKey {
	var p PublicKey
	copy(p.b[:], k.b[32:])
	return p
}

// Bytes returns a copy of the 64-byte private key (seed || public key).
func (k SecretKey) Bytes() []byte { return append([]byte(nil), k.b[:]...) }

// Seed returns a copy of the 32-byte seed.
func (k SecretKey) Seed() []byte { return append([]byte(nil), k.b[:32]...) }

// PASERK returns the key as a "k4.secret." string. It is secret.
func (k SecretKey) PASERK() string { return paserk.Encode(paserk.SecretPrefix, k.b[:]) }

// ID returns the key's "k4.sid." PASERK ID. Token footers carry the public
// key's ID ("k4.pid."), which verifiers can compute without the secret.
func (k SecretKey) ID() string { return paserk.ID(paserk.SecretIDPrefix, k.PASERK()) }

// String identifies the key by its ID so that printing it never leaks it.
func (k SecretKey) String() string { return "SecretKey(" + k.ID() + ")" }

// GoString is String, so %#v does not leak the key either.
func (k SecretKey) GoString() string { return k.String() }

func (k SecretKey) valid() bool { return !isZero(k.b[:32]) }

func (k SecretKey) private() ed25519.PrivateKey { return ed25519.PrivateKey(k.b[:]) }

// NewPublicKey copies a raw 32-byte Ed25519 public key. It refuses other
// lengths, and the all-zero and other small-order keys: Go's ed25519.Verify
// accepts forged signatures under those.
func NewPublicKey(raw []byte) (PublicKey, error) {
	if len(raw) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: v4.public key must be 32 bytes, got %d", ErrInvalidKey, len(raw))
	}
	if paserk.IsSmallOrderPublicKey(raw) {
		return PublicKey{}, fmt.Errorf("%w: small-order Ed25519 public key", ErrWeakKey)
	}
	var p PublicKey
	copy(p.b[:], raw)
	return p, nil
}

// ParsePublicKey decodes a "k4.public." PASERK string; see NewPublicKey for
// what is refused.
func ParsePublicKey(s string) (PublicKey, error) {
	raw, err := paserk.Decode(s, paserk.PublicPrefix, 32)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return NewPublicKey(raw)
}

// Bytes returns a copy of the raw public key.
func (k PublicKey) Bytes() []byte { return append([]byte(nil), k.b[:]...) }

// PASERK returns the key as a "k4.public." string.
func (k PublicKey) PASERK() string { return paserk.Encode(paserk.PublicPrefix, k.b[:]) }

// ID returns the key's "k4.pid." PASERK ID, carried as the kid in v4.public
// token footers.
func (k PublicKey) ID() string { return paserk.ID(paserk.PublicIDPrefix, k.PASERK()) }

// String returns the key's PASERK ID.
func (k PublicKey) String() string { return "PublicKey(" + k.ID() + ")" }

func (k PublicKey) valid() bool { return !paserk.IsSmallOrderPublicKey(k.b[:]) }

func isZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}
