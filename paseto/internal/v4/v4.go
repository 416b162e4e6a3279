// Package v4 implements the cryptographic layer of PASETO version 4
// (v4.local: XChaCha20 + keyed BLAKE2b encrypt-then-MAC; v4.public: Ed25519)
// exactly as specified in paseto-spec docs/01-Protocol-Versions/Version4.md.
//
// It deliberately knows nothing about claims, JSON, expiry or key types: the
// public paseto package owns those policies and calls in here with raw key
// material it has already checked for version and purpose.
//
// The package is written for untrusted input on a hot path:
//
//   - Split pre-parses a token without strings.Split, bounds every scan by the
//     caller's maximum length, rejects every non-canonical encoding (so one
//     token has exactly one accepted spelling) and decodes body and footer
//     into a single allocation; SplitInto decodes into the caller's memory
//     (a stack array) instead, checking the encoding in the same pass.
//   - Decrypt streams the pre-authentication encoding into the keyed BLAKE2b
//     MAC instead of materialising it, compares tags in constant time, and
//     only then decrypts, in place. Its BLAKE2b digests come from a pool
//     (mac.go), so it allocates nothing; DecryptWith and LocalKey also skip
//     the key-only work of the subkey derivations.
//
// There is intentionally no exported way to choose a v4.local nonce: nonce
// reuse under one key breaks confidentiality, so Encrypt always draws a fresh
// nonce from crypto/rand and only the package's own tests can pin one.
package v4

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20"

	"github.com/pasetoauth/pasetoauth/paseto/internal/paserk"
)

// Token headers, including the trailing dot, as they appear at the start of a
// token and as the first piece of the pre-authentication encoding.
const (
	// LocalHeader is the header of a v4.local (symmetric, encrypted) token.
	LocalHeader = "v4.local."
	// PublicHeader is the header of a v4.public (Ed25519 signed) token.
	PublicHeader = "v4.public."
)

const (
	nonceSize  = 32                         // v4.local nonce n
	tagSize    = 32                         // v4.local BLAKE2b-256 tag t
	sigSize    = ed25519.SignatureSize      // v4.public signature
	minBody    = nonceSize + tagSize        // == sigSize: both purposes need >= 64 bytes
	ekSize     = chacha20.KeySize           // 32-byte XChaCha20 key Ek
	n2Size     = chacha20.NonceSizeX        // 24-byte XChaCha20 nonce n2
	tmpSize    = ekSize + n2Size            // 56: BLAKE2b output-length *parameter*, not a truncation
	paeCount   = 8                          // size of one LE64 length prefix
	maxLE64    = ^uint64(0) >> 1            // LE64 clears the most significant bit
	encDomain  = "paseto-encryption-key"    // domain separation for Ek || n2
	authDomain = "paseto-auth-key-for-aead" // domain separation for Ak
)

// Sentinel errors. They carry no token-specific detail on purpose: callers
// map them to one generic "invalid token" answer and must not leak which
// check failed to a remote party, but tests and logs can still tell them
// apart with errors.Is.
var (
	// ErrMalformed reports a token that is not in the single canonical
	// encoding: wrong number of segments, empty segment, a byte outside the
	// base64url alphabet, padding, non-zero trailing bits, or a decoded body
	// too short to hold the nonce and tag (local) or signature (public).
	ErrMalformed = errors.New("paseto/v4: malformed token")
	// ErrHeader reports a token whose header is not exactly the expected
	// version and purpose (e.g. v4.public. given to the local path, v3.local.,
	// V4.local.). Version/purpose confusion is rejected before any decoding.
	ErrHeader = errors.New("paseto/v4: unexpected token header")
	// ErrTooLarge reports a token longer than the caller's maximum length or
	// a footer longer than the caller's maximum footer size.
	ErrTooLarge = errors.New("paseto/v4: token or footer too large")
	// ErrAuth reports a v4.local tag or v4.public signature mismatch. With
	// implicit assertions this is also what a wrong assertion looks like.
	ErrAuth = errors.New("paseto/v4: authentication failed")
	// ErrKey reports an unusable verification key: a public key that is not
	// 32 bytes, or a small-order Ed25519 point, under which signatures can be
	// forged without any secret (see paserk.IsSmallOrderPublicKey).
	ErrKey = errors.New("paseto/v4: invalid key")
)

var (
	// b64 is the only decoder used on token data. Strict() rejects non-zero
	// trailing bits (vector 4-F-4); "Raw" rejects '=' (4-F-5). It still skips
	// CR/LF, which is why Split validates the alphabet itself first.
	b64 = base64.RawURLEncoding.Strict()

	// Package-level byte slices so that hashing constant strings does not
	// allocate a fresh []byte conversion on every call.
	localHeaderBytes  = []byte(LocalHeader)
	publicHeaderBytes = []byte(PublicHeader)
	encDomainBytes    = []byte(encDomain)
	authDomainBytes   = []byte(authDomain)
)

// b64Value maps each byte of the base64url alphabet (RFC 4648 §5) to its
// 6-bit value and every other byte to invalidB64. A table lookup keeps the
// single validation pass branch-light and lets Split check trailing bits
// itself, before allocating.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = invalidB64
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = byte(i)
	}
	return t
}()

const invalidB64 = 0xff

// inAlphabet reports whether every byte of seg is in the base64url
// alphabet. It ORs the table values of all bytes and tests once at the end:
// no branch per byte, and valid values never have the top bits that
// invalidB64 sets. seg is already bounded by the caller's maximum length.
func inAlphabet(seg string) bool {
	var acc0, acc1, acc2, acc3 byte
	for len(seg) >= 4 {
		acc0 |= b64Value[seg[0]]
		acc1 |= b64Value[seg[1]]
		acc2 |= b64Value[seg[2]]
		acc3 |= b64Value[seg[3]]
		seg = seg[4:]
	}
	for i := 0; i < len(seg); i++ {
		acc0 |= b64Value[seg[i]]
	}
	return (acc0|acc1|acc2|acc3)&0xc0 == 0
}

// canonicalTail reports whether the last character of a non-empty,
// alphabet-checked, unpadded base64 segment leaves the unused low bits zero:
// 4 bits when len%4 == 2, 2 bits when len%4 == 3. Strict decoding checks the
// same thing, but only after the output buffer exists and by returning an
// error value that itself allocates; doing it here keeps every rejection
// allocation-free.
func canonicalTail(seg string) bool {
	last := b64Value[seg[len(seg)-1]]
	switch len(seg) % 4 {
	case 2:
		return last&0x0f == 0
	case 3:
		return last&0x03 == 0
	}
	return true
}

// Split strictly parses an untrusted token that must carry exactly the given
// header (LocalHeader or PublicHeader; any other header argument is rejected
// with ErrHeader) and returns the decoded body and footer.
//
// Checks, in order, all done before any allocation or decoding work:
//  1. len(token) <= maxLen, else ErrTooLarge. This comes first so that no
//     later step ever looks at more than maxLen bytes.
//  2. the token starts with header, byte for byte (case-sensitive), else
//     ErrHeader.
//  3. the rest is payload or payload "." footer: at most one more dot, a
//     non-empty payload, and, if the dot is present, a non-empty footer
//     (the encoder never emits a trailing ".", so accepting one would give
//     a token two spellings); else ErrMalformed.
//  4. only [A-Za-z0-9_-]: no '=', '+', '/', whitespace, CR or LF (Go's
//     base64 decoder silently skips CR/LF, so this must be checked here);
//     no segment whose length is 1 mod 4 (never a valid unpadded length);
//     no non-zero trailing bits in a segment's last character (vector
//     4-F-4: otherwise several strings decode to the same bytes); else
//     ErrMalformed.
//  5. the decoded body is at least 64 bytes (local: 32-byte nonce + 32-byte
//     tag; public: 64-byte signature), else ErrMalformed; the decoded
//     footer is at most maxFooter bytes, else ErrTooLarge. Both lengths are
//     computed from the encoded lengths, before allocating.
//
// Only then are body and footer decoded, by decodeSegment, which checks
// alphabet, length and trailing bits again as it goes (a second line of
// defence), into one allocation: body and footer are two
// non-overlapping windows of the same array, each with its capacity capped
// so an append to one cannot overwrite the other. footer is nil when the
// token has no footer segment. Every rejection is allocation-free; an
// accepted token costs exactly one allocation.
//
// On success, encoding body and footer again reproduces token exactly.
// The footer is returned unauthenticated: it may only be used to select a
// key until Decrypt or Verify has succeeded.
func Split(token, header string, maxLen, maxFooter int) (body, footer []byte, err error) {
	return SplitInto(nil, token, header, maxLen, maxFooter)
}

// SplitInto is Split decoding into buf, the caller's memory (typically a
// stack array), when body and footer fit in it, instead of allocating. It
// then checks the alphabet and the trailing bits while decoding, in one
// pass over the token instead of two, and returns the same errors for the
// same tokens (the checks keep their order; only the memory differs); a
// rejected token may leave partly decoded bytes in buf. When they do not
// fit, SplitInto is exactly Split: every check before one allocation.
//
// body and footer alias buf when they fit in it, so the caller must not
// reuse buf while it uses them, nor keep them past buf's lifetime.
func SplitInto(buf []byte, token, header string, maxLen, maxFooter int) (body, footer []byte, err error) {
	if len(token) > maxLen {
		return nil, nil, ErrTooLarge
	}
	if header != LocalHeader && header != PublicHeader {
		return nil, nil, ErrHeader
	}
	if len(token) < len(header) || token[:len(header)] != header {
		return nil, nil, ErrHeader
	}
	rest := token[len(header):]

	// Locate the optional footer dot with the vectorised IndexByte; a
	// second dot (a fifth segment) is found the same way. Even a
	// maxLen-sized run of dots is turned away after two short searches.
	dot := strings.IndexByte(rest, '.')
	if dot >= 0 && strings.IndexByte(rest[dot+1:], '.') >= 0 {
		return nil, nil, ErrMalformed // a fifth segment
	}
	encBody, encFooter := rest, ""
	if dot >= 0 {
		encBody, encFooter = rest[:dot], rest[dot+1:]
		if len(encFooter) == 0 {
			return nil, nil, ErrMalformed // trailing "."
		}
	}
	if len(encBody) == 0 {
		return nil, nil, ErrMalformed
	}
	if len(encBody)%4 == 1 || len(encFooter)%4 == 1 {
		return nil, nil, ErrMalformed
	}
	bodyLen := b64.DecodedLen(len(encBody))
	footerLen := b64.DecodedLen(len(encFooter))

	inBuf := bodyLen+footerLen <= len(buf)
	if inBuf {
		// The alphabet and trailing-bit checks ride along with decoding
		// (decodeSegment makes them all); nothing is allocated either way.
		buf = buf[:bodyLen+footerLen]
		if !decodeSegment(buf[:bodyLen], encBody) || !decodeSegment(buf[bodyLen:], encFooter) {
			return nil, nil, ErrMalformed
		}
	} else {
		if !inAlphabet(encBody) || !inAlphabet(encFooter) {
			return nil, nil, ErrMalformed
		}
		if !canonicalTail(encBody) || (len(encFooter) > 0 && !canonicalTail(encFooter)) {
			return nil, nil, ErrMalformed // non-zero trailing bits (vector 4-F-4)
		}
	}
	if bodyLen < minBody {
		return nil, nil, ErrMalformed
	}
	if footerLen > maxFooter {
		return nil, nil, ErrTooLarge
	}

	if !inBuf {
		buf = make([]byte, bodyLen+footerLen)
		if !decodeSegment(buf[:bodyLen], encBody) || !decodeSegment(buf[bodyLen:], encFooter) {
			return nil, nil, ErrMalformed
		}
	}
	body = buf[:bodyLen:bodyLen]
	if dot >= 0 {
		footer = buf[bodyLen : bodyLen+footerLen : bodyLen+footerLen]
	}
	return body, footer, nil
}

// decodeSegment decodes the unpadded base64url segment src into dst, which
// must be exactly b64.DecodedLen(len(src)) bytes long, and reports whether
// src was canonical base64url: only alphabet characters, a length that is
// not 1 mod 4, zero trailing bits. It fills dst only as far as it got on
// failure. Split checks the same things before it allocates; SplitInto,
// decoding into the caller's memory, relies on decodeSegment alone.
//
// It does the work of encoding/base64's strict decoder, which Split used
// before, in a fraction of the time: each character is one lookup in the
// table for its position in a quantum (dec0 to dec3), whose entries are
// already shifted into place for little-endian output, so a quantum is
// four lookups ORed together; an invalid character's entry sets bit 24,
// which no valid quantum reaches, and the whole segment is tested once.
func decodeSegment(dst []byte, src string) bool {
	if len(dst) != b64.DecodedLen(len(src)) {
		return false
	}
	var acc uint32 // OR of every quantum: bit 24 and up mean an invalid character
	// Eight characters at a time, writing 8 bytes of which the last 2 are
	// overwritten by the next group: the loop runs only while dst has room
	// for all 8, so nothing past dst is touched.
	for len(src) >= 8 && len(dst) >= 8 {
		x := dec0[src[0]] | dec1[src[1]] | dec2[src[2]] | dec3[src[3]]
		y := dec0[src[4]] | dec1[src[5]] | dec2[src[6]] | dec3[src[7]]
		acc |= x | y
		binary.LittleEndian.PutUint64(dst, uint64(x)|uint64(y)<<24)
		src, dst = src[8:], dst[6:]
	}
	for len(src) >= 4 && len(dst) >= 3 {
		x := dec0[src[0]] | dec1[src[1]] | dec2[src[2]] | dec3[src[3]]
		acc |= x
		dst[0], dst[1], dst[2] = byte(x), byte(x>>8), byte(x>>16)
		src, dst = src[4:], dst[3:]
	}
	switch {
	case len(src) == 0 && len(dst) == 0:
	case len(src) == 2 && len(dst) == 1:
		x := dec0[src[0]] | dec1[src[1]]
		// The second character's 4 low bits would start the next byte:
		// they must be zero (vector 4-F-4).
		acc |= x | x&0xff00<<16
		dst[0] = byte(x)
	case len(src) == 3 && len(dst) == 2:
		x := dec0[src[0]] | dec1[src[1]] | dec2[src[2]]
		acc |= x | x&0xff0000<<8 // the third character's 2 low bits likewise
		dst[0], dst[1] = byte(x), byte(x>>8)
	default: // len(src)%4 == 1: no unpadded base64 has that length
		return false
	}
	return acc < 1<<24
}

// dec0 to dec3 map a base64url character at position 0 to 3 of a quantum
// to its 6 bits placed where they belong in the quantum's 3 output bytes
// (little-endian: byte 0 is bits 0-7), and any other byte to invalidQuantum.
var dec0, dec1, dec2, dec3 = func() (d0, d1, d2, d3 [256]uint32) {
	for i := range 256 {
		d0[i], d1[i], d2[i], d3[i] = invalidQuantum, invalidQuantum, invalidQuantum, invalidQuantum
	}
	for c, v := range b64Value {
		if v == invalidB64 {
			continue
		}
		v := uint32(v)
		d0[c] = v << 2                   // byte 0, bits 7-2
		d1[c] = v>>4 | (v&0x0f)<<12      // byte 0 bits 1-0, byte 1 bits 7-4
		d2[c] = (v>>2)<<8 | (v&0x03)<<22 // byte 1 bits 3-0, byte 2 bits 7-6
		d3[c] = v << 16                  // byte 2, bits 5-0
	}
	return
}()

// invalidQuantum marks a character outside the alphabet in dec0 to dec3:
// bit 24 and above, which valid characters never set.
const invalidQuantum = 0x01FFFFFF

// LocalKey is a v4.local key prepared for decrypting many tokens: the
// BLAKE2b work that depends on the key alone (compressing it as the first
// block of each subkey derivation) is done once, by NewLocalKey, instead of
// for every token. Everything that depends on the token's nonce is still
// computed per token. A LocalKey holds key-equivalent secrets; it is safe
// for concurrent use.
type LocalKey struct {
	raw       *[32]byte
	enc, auth *[stateSize]byte // nil when x/crypto does not allow it
}

// NewLocalKey prepares key. The LocalKey refers to key, which must not
// change afterwards.
func NewLocalKey(key *[32]byte) *LocalKey {
	k := &LocalKey{raw: key}
	enc, ok1 := afterKey(tmpSize, key)
	auth, ok2 := afterKey(32, key)
	if ok1 && ok2 {
		k.enc, k.auth = enc, auth
	}
	return k
}

// Decrypt authenticates and decrypts a v4.local body n || c || t (as returned
// by Split for LocalHeader) with the 32-byte key, the token's footer and the
// caller's implicit assertion.
//
// The tag is recomputed over PAE(LocalHeader, n, c, footer, implicit) and
// compared in constant time before anything is decrypted (ErrAuth on
// mismatch), so unauthenticated ciphertext is never processed. The PAE is
// streamed into the keyed BLAKE2b hash rather than built in a buffer.
//
// On success the plaintext is decrypted in place: the returned slice aliases
// body (the c window, capacity-capped), and body no longer holds the
// ciphertext. On failure body is left unchanged. A body shorter than 64 bytes
// is ErrMalformed. key must not be nil; its type already guarantees the
// 32-byte length the spec requires.
func Decrypt(key *[32]byte, body, footer, implicit []byte) ([]byte, error) {
	return DecryptWith(&LocalKey{raw: key}, body, footer, implicit)
}

// DecryptWith is Decrypt under a prepared key: the same checks and result,
// two BLAKE2b compressions fewer.
func DecryptWith(key *LocalKey, body, footer, implicit []byte) ([]byte, error) {
	if len(body) < minBody {
		return nil, ErrMalformed
	}
	n := body[:nonceSize]
	c := body[nonceSize : len(body)-tagSize : len(body)-tagSize]
	t := body[len(body)-tagSize:]

	var ks derivedKeys
	if !ks.derivePrepared(key, n) {
		ks.derive(key.raw, n)
	}
	var t2 [tagSize]byte
	localTag(&t2, &ks.ak, n, c, footer, implicit)
	if subtle.ConstantTimeCompare(t, t2[:]) != 1 {
		return nil, ErrAuth
	}
	ks.xor(c, c)
	return c, nil
}

// Encrypt returns a complete v4.local token for msg under the 32-byte key,
// with a fresh 32-byte nonce from crypto/rand. The footer is authenticated
// and appended in the clear only if non-empty; implicit is authenticated but
// not stored in the token.
func Encrypt(key *[32]byte, msg, footer, implicit []byte) string {
	var nonce [nonceSize]byte
	// Since Go 1.24 crypto/rand.Read never returns an error (it aborts the
	// program instead), but refusing to continue without randomness is the
	// only acceptable behaviour if that ever changes.
	if _, err := rand.Read(nonce[:]); err != nil {
		panic("paseto/v4: crypto/rand failed: " + err.Error())
	}
	return encrypt(key, nonce[:], msg, footer, implicit)
}

// encrypt is Encrypt with a caller-chosen nonce. It is unexported so that
// only this package's tests can pin the nonce to reproduce the official
// vectors; production code must go through Encrypt.
func encrypt(key *[32]byte, nonce, msg, footer, implicit []byte) string {
	if len(nonce) != nonceSize {
		panic("paseto/v4: nonce must be 32 bytes")
	}
	body := make([]byte, nonceSize+len(msg)+tagSize)
	n := body[:nonceSize]
	c := body[nonceSize : nonceSize+len(msg)]
	copy(n, nonce)

	var ks derivedKeys
	ks.derive(key, n)
	ks.xor(c, msg)
	localTag((*[tagSize]byte)(body[nonceSize+len(msg):]), &ks.ak, n, c, footer, implicit)
	return assemble(LocalHeader, body, footer)
}

// Sign returns a complete v4.public token for msg, signed with the 64-byte
// Ed25519 private key (seed || public key) over PAE(PublicHeader, msg,
// footer, implicit). Ed25519 is deterministic, so equal inputs give equal
// tokens.
//
// Like ed25519.Sign it panics if priv is not 64 bytes. It also trusts that
// the public half of priv matches its seed, because crypto/ed25519 does not
// check it and signing with a mismatched half can leak the secret scalar;
// callers must establish that when the key is constructed.
func Sign(priv ed25519.PrivateKey, msg, footer, implicit []byte) string {
	m2 := PAE(publicHeaderBytes, msg, footer, implicit)
	body := make([]byte, len(msg)+sigSize)
	copy(body, msg)
	copy(body[len(msg):], ed25519.Sign(priv, m2))
	return assemble(PublicHeader, body, footer)
}

// Verify checks a v4.public body m || sig (as returned by Split for
// PublicHeader) against the 32-byte Ed25519 public key over
// PAE(PublicHeader, m, footer, implicit) and returns m, which aliases body
// with its capacity capped. A signature mismatch is ErrAuth; a body shorter
// than 64 bytes is ErrMalformed.
//
// As defence in depth Verify also refuses (ErrKey) public keys of the wrong
// length, instead of letting crypto/ed25519 panic, and small-order public
// keys, for which crypto/ed25519.Verify accepts forged signatures; the
// paseto package should already have refused such keys when they were
// loaded.
func Verify(pub ed25519.PublicKey, body, footer, implicit []byte) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize || paserk.IsSmallOrderPublicKey(pub) {
		return nil, ErrKey
	}
	if len(body) < sigSize {
		return nil, ErrMalformed
	}
	m := body[: len(body)-sigSize : len(body)-sigSize]
	sig := body[len(body)-sigSize:]
	// Ed25519 hashes the message twice (nonce check and challenge), so the
	// PAE has to exist as one buffer here; unlike the local MAC it cannot be
	// streamed through the crypto/ed25519 API.
	// A typical access token's PAE fits the stack buffer, which
	// crypto/ed25519 does not retain; a larger one is built on the heap.
	var stack [1024]byte
	if !ed25519.Verify(pub, appendPAE(stack[:0], publicHeaderBytes, m, footer, implicit), sig) {
		return nil, ErrAuth
	}
	return m, nil
}

// PAE returns the PASETO pre-authentication encoding of pieces:
// LE64(len(pieces)) || for each piece LE64(len(piece)) || piece, where LE64
// is a little-endian uint64 with the top bit cleared. The v4.local path
// streams the same bytes into its MAC (see localTag); this materialised form
// serves v4.public and tests.
func PAE(pieces ...[]byte) []byte {
	return appendPAE(nil, pieces...)
}

// appendPAE appends the PAE of pieces to dst, growing it at most once.
func appendPAE(dst []byte, pieces ...[]byte) []byte {
	size := paeCount
	for _, p := range pieces {
		size += paeCount + len(p)
	}
	out := slices.Grow(dst, size)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(pieces))&maxLE64)
	for _, p := range pieces {
		out = binary.LittleEndian.AppendUint64(out, uint64(len(p))&maxLE64)
		out = append(out, p...)
	}
	return out
}

// derivedKeys holds the per-nonce subkeys of v4.local:
// Ek || n2 = BLAKE2b-56(key, "paseto-encryption-key" || n) and
// Ak = BLAKE2b-32(key, "paseto-auth-key-for-aead" || n).
type derivedKeys struct {
	tmp [tmpSize]byte // Ek = tmp[:32], n2 = tmp[32:56]
	ak  [32]byte
}

// derivePrepared is derive from key's prepared states; it reports false,
// leaving ks to derive, when key has none.
func (ks *derivedKeys) derivePrepared(key *LocalKey, n []byte) bool {
	if key.enc == nil || key.auth == nil {
		return false
	}
	m := getMAC()
	defer putMAC(m)
	if m.set.UnmarshalBinary(key.enc[:]) != nil {
		return false
	}
	m.h.Write(encDomainBytes)
	m.write(n)
	copy(ks.tmp[:], m.sum())
	if m.set.UnmarshalBinary(key.auth[:]) != nil {
		return false
	}
	m.h.Write(authDomainBytes)
	m.write(n)
	copy(ks.ak[:], m.sum())
	return true
}

// derive computes the subkeys for nonce n. The output sizes are BLAKE2b
// parameters: a 56-byte BLAKE2b output is not a truncated 64-byte one.
func (ks *derivedKeys) derive(key *[32]byte, n []byte) {
	if m, ok := keyed(tmpSize, key); ok {
		m.h.Write(encDomainBytes)
		m.write(n)
		copy(ks.tmp[:], m.sum())
		if m.reset(32, key) {
			m.h.Write(authDomainBytes)
			m.write(n)
			copy(ks.ak[:], m.sum())
			putMAC(m)
			return
		}
		putMAC(m)
	}
	// blake2b.New is called directly (not through a helper returning
	// hash.Hash) so the compiler can devirtualise Write/Sum and keep the
	// output buffers off the heap.
	h, err := blake2b.New(tmpSize, key[:])
	if err != nil {
		panic("paseto/v4: blake2b: " + err.Error()) // unreachable: constant sizes
	}
	h.Write(encDomainBytes)
	h.Write(n)
	h.Sum(ks.tmp[:0])

	h, err = blake2b.New(32, key[:])
	if err != nil {
		panic("paseto/v4: blake2b: " + err.Error())
	}
	h.Write(authDomainBytes)
	h.Write(n)
	h.Sum(ks.ak[:0])
}

// xor applies the XChaCha20 keystream for (Ek, n2) to src, writing dst.
// dst and src may be the same slice (in-place decryption).
func (ks *derivedKeys) xor(dst, src []byte) {
	s, err := chacha20.NewUnauthenticatedCipher(ks.tmp[:ekSize], ks.tmp[ekSize:])
	if err != nil {
		panic("paseto/v4: chacha20: " + err.Error()) // unreachable: sizes are constants
	}
	s.XORKeyStream(dst, src)
}

// localTag computes t = BLAKE2b-32(Ak, PAE(LocalHeader, n, c, f, i)) into out,
// feeding the PAE to the hash piece by piece so no buffer proportional to
// the token is needed.
func localTag(out *[tagSize]byte, ak *[32]byte, n, c, f, i []byte) {
	if m, ok := keyed(tagSize, ak); ok {
		pieces := [...][]byte{localHeaderBytes, n, c, f, i}
		m.writePAE(pieces[:])
		copy(out[:], m.sum())
		putMAC(m)
		return
	}
	h, err := blake2b.New(tagSize, ak[:])
	if err != nil {
		panic("paseto/v4: blake2b: " + err.Error()) // unreachable: constant sizes
	}
	var le [paeCount]byte
	writeLE64 := func(v int) {
		binary.LittleEndian.PutUint64(le[:], uint64(v)&maxLE64)
		h.Write(le[:])
	}
	writeLE64(5)
	for _, p := range [...][]byte{localHeaderBytes, n, c, f, i} {
		writeLE64(len(p))
		h.Write(p)
	}
	h.Sum(out[:0])
}

// assemble returns header || b64(body) [|| "." || b64(footer) if footer is
// non-empty] in a single output buffer.
func assemble(header string, body, footer []byte) string {
	size := len(header) + b64.EncodedLen(len(body))
	if len(footer) > 0 {
		size += 1 + b64.EncodedLen(len(footer))
	}
	out := make([]byte, 0, size)
	out = append(out, header...)
	out = b64.AppendEncode(out, body)
	if len(footer) > 0 {
		out = append(out, '.')
		out = b64.AppendEncode(out, footer)
	}
	return string(out)
}
