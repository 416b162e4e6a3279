package v4

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	paseto "aidanwoods.dev/go-paseto"
)

// benchClaims is a typical access-token payload (~200 bytes) and
// benchFooter a typical kid footer (~60 bytes). interopClaims is reused so
// that go-paseto, which re-marshals claims, produces the same token size.
var (
	benchClaims = interopClaims
	benchFooter = interopFooter
)

// The go-paseto sub-benchmarks are not like for like: go-paseto also
// unmarshals the claims into a map[string]json.RawMessage and runs its
// (empty) rule set. The "+json" sub-benchmark adds the same unmarshal to
// ours so the comparison can be read both ways.

func BenchmarkDecrypt(b *testing.B) {
	var key [32]byte
	rand.Read(key[:])
	tok := Encrypt(&key, benchClaims, benchFooter, nil)
	b.Logf("token %d bytes, payload %d, footer %d", len(tok), len(benchClaims), len(benchFooter))

	b.Run("pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, footer, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Decrypt(&key, body, footer, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pasetoauth+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, footer, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter)
			if err != nil {
				b.Fatal(err)
			}
			pt, err := Decrypt(&key, body, footer, nil)
			if err != nil {
				b.Fatal(err)
			}
			var claims map[string]json.RawMessage
			if err := json.Unmarshal(pt, &claims); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-paseto", func(b *testing.B) {
		gpKey, err := paseto.V4SymmetricKeyFromBytes(key[:])
		if err != nil {
			b.Fatal(err)
		}
		parser := paseto.NewParserWithoutExpiryCheck()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ParseV4Local(gpKey, tok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tok := Sign(priv, benchClaims, benchFooter, nil)

	b.Run("pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, footer, err := Split(tok, PublicHeader, testMaxLen, testMaxFooter)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Verify(pub, body, footer, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pasetoauth+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, footer, err := Split(tok, PublicHeader, testMaxLen, testMaxFooter)
			if err != nil {
				b.Fatal(err)
			}
			m, err := Verify(pub, body, footer, nil)
			if err != nil {
				b.Fatal(err)
			}
			var claims map[string]json.RawMessage
			if err := json.Unmarshal(m, &claims); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-paseto", func(b *testing.B) {
		gpPub, err := paseto.NewV4AsymmetricPublicKeyFromBytes(pub)
		if err != nil {
			b.Fatal(err)
		}
		parser := paseto.NewParserWithoutExpiryCheck()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ParseV4Public(gpPub, tok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncrypt(b *testing.B) {
	var key [32]byte
	rand.Read(key[:])
	b.ReportAllocs()
	for b.Loop() {
		Encrypt(&key, benchClaims, benchFooter, nil)
	}
}

func BenchmarkSign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b.ReportAllocs()
	for b.Loop() {
		Sign(priv, benchClaims, benchFooter, nil)
	}
}

// BenchmarkSplitReject measures the cost of turning away hostile input: a
// megabyte of dots is rejected by the length check, or, if the caller allows
// that length, after two bytes of scanning.
func BenchmarkSplitReject(b *testing.B) {
	dots := LocalHeader + strings.Repeat(".", 1<<20)
	for _, tc := range []struct {
		name   string
		maxLen int
	}{{"over maxLen", testMaxLen}, {"within maxLen", len(dots)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Split(dots, LocalHeader, tc.maxLen, testMaxFooter); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkSplit measures the pre-parse of a typical access token: header,
// shape and alphabet checks and the base64url decoding of body and footer.
func BenchmarkSplit(b *testing.B) {
	var key [32]byte
	rand.Read(key[:])
	tok := Encrypt(&key, benchClaims, benchFooter, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter); err != nil {
			b.Fatal(err)
		}
	}
}
