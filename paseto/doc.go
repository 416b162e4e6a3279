// Package paseto issues and verifies PASETO v4 access and refresh tokens for
// web applications: typed keys with PASERK import/export and key IDs, key rings
// for rotation, access tokens with freshness claims, refresh tokens under their
// own key, and a strict verifier that checks, in this order, the token's shape
// and size, its footer and key ID, the cryptography, the claims, the token type,
// the route's requirements (such as freshness) and, last, revocation.
//
// Only v4.local (XChaCha20 + BLAKE2b) and v4.public (Ed25519) are supported,
// and each Verifier accepts exactly one of them, chosen by its KeyRing. The
// construction runs on the standard library's and golang.org/x/crypto's
// primitives and is checked against the official test vectors and, in both
// directions, against aidanwoods.dev/go-paseto (docs/security.md says why
// go-paseto is the tests' oracle rather than the run-time parser).
//
// The package is framework-agnostic; the adapters under adapters/ connect it to
// gin, echo, fiber and net/http.
//
// Errors are sentinels to test with errors.Is; each carries a stable machine
// code (see Code) that the HTTP layer puts in response bodies.
package paseto
