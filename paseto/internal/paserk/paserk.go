// Package paserk implements the PASERK k4 serialisation of PASETO v4 keys
// (k4.local, k4.public, k4.secret), the PASERK ID operation (k4.lid,
// k4.pid, k4.sid) and the Ed25519 small-order public key check the paseto
// package applies to every verification key it loads.
//
// A PASERK string is prefix || base64url(raw key) with no padding. Decoding
// is deliberately strict: the prefix (version and type) must match exactly,
// so a k3 key or a key of another type can never be read as the one asked
// for (algorithm lucidity), and the data must be the single canonical
// encoding of exactly the expected number of bytes.
//
// Wrapped, sealed and password-protected PASERK types are out of scope.
package paserk

import (
	"encoding/base64"
	"errors"

	"golang.org/x/crypto/blake2b"
)

// PASERK prefixes for version 4, including the trailing dot.
const (
	// LocalPrefix marks a 32-byte v4.local symmetric key.
	LocalPrefix = "k4.local."
	// SecretPrefix marks a 64-byte Ed25519 secret key: 32-byte seed ||
	// 32-byte public key (the libsodium / crypto/ed25519 layout).
	SecretPrefix = "k4.secret."
	// PublicPrefix marks a 32-byte Ed25519 public key.
	PublicPrefix = "k4.public."
	// LocalIDPrefix marks the ID of a k4.local key (footer-safe "kid").
	LocalIDPrefix = "k4.lid."
	// PublicIDPrefix marks the ID of a k4.public key (footer-safe "kid").
	PublicIDPrefix = "k4.pid."
	// SecretIDPrefix marks the ID of a k4.secret key (footer-safe "kid").
	SecretIDPrefix = "k4.sid."
)

// Key sizes in bytes for the k4 key types.
const (
	// LocalKeySize is the size of a k4.local key.
	LocalKeySize = 32
	// PublicKeySize is the size of a k4.public key.
	PublicKeySize = 32
	// SecretKeySize is the size of a k4.secret key (seed || public key).
	SecretKeySize = 64

	idDigestSize = 33 // BLAKE2b output length for IDs: 44 base64url chars, no partial block
)

// Sentinel errors, distinguishable with errors.Is. They never include the
// input, which may be secret key material.
var (
	// ErrFormat reports data that is not canonical unpadded base64url:
	// a byte outside [A-Za-z0-9_-] (including '=', CR, LF) or non-zero
	// trailing bits.
	ErrFormat = errors.New("paserk: malformed key encoding")
	// ErrPrefix reports a PASERK whose version or type prefix is not exactly
	// the expected one (e.g. k3.local. or k4.public. where k4.local. was
	// asked for), or an unknown prefix passed to EncodeKey.
	ErrPrefix = errors.New("paserk: wrong PASERK version or type")
	// ErrLength reports key data of the wrong size for its type.
	ErrLength = errors.New("paserk: wrong key length")
)

// b64 rejects '=' padding (Raw) and non-zero trailing bits (Strict). It
// would silently skip CR/LF, which Decode therefore rules out beforehand.
var b64 = base64.RawURLEncoding.Strict()

// Encode returns prefix || base64url(key) without padding. It does not
// check that key has the right length for prefix; use EncodeKey for keys
// whose size must be enforced.
func Encode(prefix string, key []byte) string {
	out := make([]byte, 0, len(prefix)+b64.EncodedLen(len(key)))
	out = append(out, prefix...)
	out = b64.AppendEncode(out, key)
	return string(out)
}

// EncodeKey is Encode for the three key types, refusing to serialise a key
// whose length does not match its type (ErrLength): a 31-byte local key or a
// 49-byte v3 public key must not become a k4 PASERK (vectors
// k4.local-fail-1, k4.public-fail-1, k4.secret-fail-*). prefix must be
// LocalPrefix, PublicPrefix or SecretPrefix, else ErrPrefix.
func EncodeKey(prefix string, key []byte) (string, error) {
	want := KeySize(prefix)
	if want == 0 {
		return "", ErrPrefix
	}
	if len(key) != want {
		return "", ErrLength
	}
	return Encode(prefix, key), nil
}

// KeySize returns the raw key length for a k4 key prefix (LocalPrefix,
// PublicPrefix, SecretPrefix) and 0 for anything else.
func KeySize(prefix string) int {
	switch prefix {
	case LocalPrefix:
		return LocalKeySize
	case PublicPrefix:
		return PublicKeySize
	case SecretPrefix:
		return SecretKeySize
	}
	return 0
}

// Decode parses s as prefix || base64url(key) and returns a fresh copy of
// the key, which must be exactly wantLen bytes.
//
// Checks, in order: s starts with exactly prefix, case-sensitive (else
// ErrPrefix: this is what rejects k3.* and other-type PASERKs); the data
// has exactly the encoded length of wantLen bytes (else ErrLength, checked
// before scanning or allocating, so oversized input costs nothing); every
// byte is in [A-Za-z0-9_-] (else ErrFormat); decoding is strict, so
// non-zero trailing bits are ErrFormat. Accepted strings are canonical:
// Encode(prefix, key) == s. wantLen must be positive.
func Decode(s, prefix string, wantLen int) ([]byte, error) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return nil, ErrPrefix
	}
	data := s[len(prefix):]
	if wantLen <= 0 || len(data) != b64.EncodedLen(wantLen) {
		return nil, ErrLength
	}
	for i := 0; i < len(data); i++ {
		if !isB64URL(data[i]) {
			return nil, ErrFormat
		}
	}
	key := make([]byte, wantLen)
	if n, err := b64.Decode(key, []byte(data)); err != nil || n != wantLen {
		clear(key) // may be partially decoded secret material
		return nil, ErrFormat
	}
	return key, nil
}

// ID implements the PASERK ID operation for version 4:
// idPrefix || base64url(BLAKE2b(idPrefix || paserk, outlen=33)), unkeyed,
// where paserk is the full serialised key (e.g. "k4.local.cHFy..."). The
// result is always len(idPrefix)+44 characters.
//
// idPrefix must be the ID type matching paserk's type (LocalIDPrefix with a
// k4.local PASERK, PublicIDPrefix with k4.public, SecretIDPrefix with
// k4.secret); any other combination panics, because a "lid" computed over a
// public key (or similar) would be a key-type confusion baked into every
// footer kid, and it can only arise from a programming error.
func ID(idPrefix, paserk string) string {
	var keyPrefix string
	switch idPrefix {
	case LocalIDPrefix:
		keyPrefix = LocalPrefix
	case PublicIDPrefix:
		keyPrefix = PublicPrefix
	case SecretIDPrefix:
		keyPrefix = SecretPrefix
	default:
		panic("paserk: ID: unknown ID prefix")
	}
	if len(paserk) < len(keyPrefix) || paserk[:len(keyPrefix)] != keyPrefix {
		panic("paserk: ID: " + idPrefix + " requires a " + keyPrefix + " PASERK")
	}
	h, err := blake2b.New(idDigestSize, nil)
	if err != nil {
		panic("paserk: blake2b: " + err.Error()) // unreachable: constant size
	}
	h.Write([]byte(idPrefix))
	h.Write([]byte(paserk))
	var d [idDigestSize]byte
	return Encode(idPrefix, h.Sum(d[:0]))
}

// smallOrderBlocklist is libsodium's ge25519_has_small_order list: the
// encodings, with the sign bit of byte 31 cleared, of every point of order
// 1, 2, 4 or 8 on edwards25519, including the non-canonical y = p and
// y = p+1 forms. The test suite re-derives all eight torsion points with
// math/big and checks every encoding of them is covered.
var smallOrderBlocklist = [7][32]byte{
	// 0 (order 4)
	{},
	// 1 (order 1)
	{0x01},
	// 2707385501144840649318225287225658788936804267575313519463743609750303402022 (order 8)
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	// 55188659117513257062467267217118295137698188065244968500265048394206261417927 (order 8)
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	// p-1 (order 2)
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	// p (=0, order 4)
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	// p+1 (=1, order 1)
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

// IsSmallOrderPublicKey reports whether pub encodes a point of small order
// (1, 2, 4 or 8) on edwards25519, in any encoding, canonical or not, and
// regardless of the x sign bit, by comparing against libsodium's
// ge25519_has_small_order blocklist.
//
// crypto/ed25519.Verify accepts such keys, and under them signatures can be
// forged without any secret (the all-zero key of vector k4.public-1 is one),
// so the paseto package must refuse them as verification keys even though
// they serialise as valid PASERKs. Mixed-order keys (a prime-order point
// plus a torsion component) are not small-order and are not reported; they
// do not allow forgery without the secret key.
//
// A slice that is not exactly 32 bytes is reported as true, so that a caller
// relying on this check alone still fails closed.
func IsSmallOrderPublicKey(pub []byte) bool {
	if len(pub) != PublicKeySize {
		return true
	}
	for i := range smallOrderBlocklist {
		bl := &smallOrderBlocklist[i]
		var diff byte
		for j := 0; j < 31; j++ {
			diff |= pub[j] ^ bl[j]
		}
		diff |= (pub[31] & 0x7f) ^ bl[31]
		if diff == 0 {
			return true
		}
	}
	return false
}

// isB64URL reports whether c is in the base64url alphabet.
func isB64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
