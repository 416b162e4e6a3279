package benchmarks

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"testing"

	gopaseto "aidanwoods.dev/go-paseto"
	"github.com/golang-jwt/jwt/v5"
	"github.com/pasetoauth/pasetoauth/paseto"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20"
)

// BenchmarkFloor: the cryptography of one of our access tokens and nothing
// else, on bytes decoded before timing: no base64, no key lookup, no JSON.
// No implementation of the token can be faster.
func BenchmarkFloor(b *testing.B) { runRows(b, floorRows) }

// BenchmarkToken: one access token verified, as a string, by each library.
func BenchmarkToken(b *testing.B) { runRows(b, tokenRows) }

var floorRows = []row{
	{"ed25519.Verify", func(tb testing.TB) fixture {
		o := newOurs(tb, true, false)
		f := newPublicFloor(tb, o)
		return fixture{op: f.verify, check: f.check}
	}},
	{"xchacha20+blake2b", func(tb testing.TB) fixture {
		o := newOurs(tb, false, false)
		f := newLocalFloor(tb, o)
		return fixture{op: f.open, check: f.check}
	}},
}

var tokenRows = []row{
	{"v4.local/go-paseto.ParseV4Local", func(tb testing.TB) fixture {
		o := newOurs(tb, false, false)
		key, err := gopaseto.V4SymmetricKeyFromBytes(o.sym.Bytes())
		if err != nil {
			tb.Fatal(err)
		}
		// NewParser: go-paseto's default rules (exp checked), nothing added.
		p := gopaseto.NewParser()
		parse := func() (*gopaseto.Token, error) { return p.ParseV4Local(key, o.token, nil) }
		return goPasetoFixture(parse)
	}},
	{"v4.local/pasetoauth", func(tb testing.TB) fixture {
		o := newOurs(tb, false, false)
		return verifierFixture(o.auth.AccessVerifier(), o.token)
	}},
	{"v4.local/pasetoauth+cache", func(tb testing.TB) fixture {
		o := newOurs(tb, false, false)
		return verifierFixture(o.cachedVerifier(tb), o.token)
	}},
	{"v4.public/go-paseto.ParseV4Public", func(tb testing.TB) fixture {
		o := newOurs(tb, true, false)
		key, err := gopaseto.NewV4AsymmetricPublicKeyFromBytes(o.secret.Public().Bytes())
		if err != nil {
			tb.Fatal(err)
		}
		p := gopaseto.NewParser()
		parse := func() (*gopaseto.Token, error) { return p.ParseV4Public(key, o.token, nil) }
		return goPasetoFixture(parse)
	}},
	{"v4.public/pasetoauth", func(tb testing.TB) fixture {
		o := newOurs(tb, true, false)
		return verifierFixture(o.auth.AccessVerifier(), o.token)
	}},
	{"v4.public/pasetoauth+cache", func(tb testing.TB) fixture {
		o := newOurs(tb, true, false)
		return verifierFixture(o.cachedVerifier(tb), o.token)
	}},
	{"jwt/golang-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return jwtFixture(k.hs256, jwt.SigningMethodHS256.Alg(), k.hmac)
	}},
	{"jwt/golang-jwt.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return jwtFixture(k.eddsa, jwt.SigningMethodEdDSA.Alg(), k.edPub)
	}},
}

func verifierFixture(v *paseto.Verifier, token string) fixture {
	ctx := context.Background()
	op := func() error {
		_, err := v.Verify(ctx, token)
		return err
	}
	check := func() error {
		for range 2 { // a miss, then (with the cache) a hit
			c, err := v.Verify(ctx, token)
			if err != nil {
				return err
			}
			if err := checkClaims(c); err != nil {
				return err
			}
		}
		return nil
	}
	return fixture{op: op, check: check}
}

func goPasetoFixture(parse func() (*gopaseto.Token, error)) fixture {
	op := func() error {
		_, err := parse()
		return err
	}
	check := func() error {
		t, err := parse()
		if err != nil {
			return err
		}
		if s, err := t.GetSubject(); err != nil || s != subject {
			return fmt.Errorf("subject %q, %v", s, err)
		}
		return nil
	}
	return fixture{op: op, check: check}
}

// jwtFixture parses into jwt.MapClaims, as the peer middlewares do by
// default, accepting only alg.
func jwtFixture(token, alg string, key any) fixture {
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	op := func() error {
		_, err := p.Parse(token, keyFunc)
		return err
	}
	check := func() error {
		t, err := p.Parse(token, keyFunc)
		if err != nil {
			return err
		}
		if s := jwtSubject(t); s != subject {
			return fmt.Errorf("subject %q", s)
		}
		return nil
	}
	return fixture{op: op, check: check}
}

// decodeToken splits a v4 token into its decoded body and footer.
func decodeToken(tb testing.TB, token, header string) (body, footer []byte) {
	tb.Helper()
	rest, ok := strings.CutPrefix(token, header)
	if !ok {
		tb.Fatalf("token does not start with %q", header)
	}
	b64, f64, _ := strings.Cut(rest, ".")
	var err error
	if body, err = base64.RawURLEncoding.DecodeString(b64); err != nil {
		tb.Fatal(err)
	}
	if footer, err = base64.RawURLEncoding.DecodeString(f64); err != nil {
		tb.Fatal(err)
	}
	return body, footer
}

// pae is PASETO's pre-authentication encoding.
func pae(pieces ...[]byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(pieces)))
	for _, p := range pieces {
		out = binary.LittleEndian.AppendUint64(out, uint64(len(p)))
		out = append(out, p...)
	}
	return out
}

// publicFloor is v4.public's verification reduced to ed25519.Verify over
// the pre-built PAE message of one of our tokens.
type publicFloor struct {
	pub      ed25519.PublicKey
	msg, sig []byte
	m        []byte
}

func newPublicFloor(tb testing.TB, o *ours) *publicFloor {
	tb.Helper()
	body, footer := decodeToken(tb, o.token, "v4.public.")
	if len(body) < ed25519.SignatureSize {
		tb.Fatal("short token")
	}
	m := body[:len(body)-ed25519.SignatureSize]
	return &publicFloor{
		pub: o.secret.Public().Bytes(),
		msg: pae([]byte("v4.public."), m, footer, nil),
		sig: body[len(body)-ed25519.SignatureSize:],
		m:   m,
	}
}

var errForged = errors.New("forged")

func (f *publicFloor) verify() error {
	if !ed25519.Verify(f.pub, f.msg, f.sig) {
		return errForged
	}
	return nil
}

func (f *publicFloor) check() error {
	if err := f.verify(); err != nil {
		return err
	}
	return checkPayload(f.m)
}

// localFloor is v4.local's decryption reduced to its primitives: the two
// keyed BLAKE2b key derivations, the BLAKE2b-256 tag over the PAE (written
// straight into the hash, never built), a constant-time compare and the
// XChaCha20 keystream, into a buffer allocated before timing.
type localFloor struct {
	key, n, c, t, footer []byte
	out                  []byte
	tmp                  [56]byte
	tag                  [32]byte
}

func newLocalFloor(tb testing.TB, o *ours) *localFloor {
	tb.Helper()
	body, footer := decodeToken(tb, o.token, "v4.local.")
	if len(body) < 64 {
		tb.Fatal("short token")
	}
	return &localFloor{
		key: o.sym.Bytes(), n: body[:32], c: body[32 : len(body)-32], t: body[len(body)-32:],
		footer: footer, out: make([]byte, len(body)-64),
	}
}

var (
	encKeyInfo  = []byte("paseto-encryption-key")
	authKeyInfo = []byte("paseto-auth-key-for-aead")
	localHeader = []byte("v4.local.")
)

func (f *localFloor) open() error {
	h, _ := blake2b.New(56, f.key)
	h.Write(encKeyInfo)
	h.Write(f.n)
	ekn2 := h.Sum(f.tmp[:0])
	a, _ := blake2b.New256(f.key)
	a.Write(authKeyInfo)
	a.Write(f.n)
	ak := a.Sum(f.tag[:0])
	m, _ := blake2b.New256(ak)
	writePAE(m, localHeader, f.n, f.c, f.footer, nil)
	if subtle.ConstantTimeCompare(m.Sum(f.tag[:0]), f.t) != 1 {
		return errForged
	}
	s, err := chacha20.NewUnauthenticatedCipher(ekn2[:32], ekn2[32:])
	if err != nil {
		return err
	}
	s.XORKeyStream(f.out, f.c)
	return nil
}

func writePAE(h hash.Hash, pieces ...[]byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(pieces)))
	h.Write(n[:])
	for _, p := range pieces {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
}

func (f *localFloor) check() error {
	if err := f.open(); err != nil {
		return err
	}
	return checkPayload(f.out)
}

// checkPayload proves a floor really opened our token: the payload is the
// claims JSON with our subject.
func checkPayload(p []byte) error {
	var claims struct {
		Sub  string `json:"sub"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(p, &claims); err != nil {
		return fmt.Errorf("payload %q: %w", body(p), err)
	}
	if claims.Sub != subject || claims.Type != paseto.TypeAccess {
		return fmt.Errorf("payload %q", body(p))
	}
	return nil
}
