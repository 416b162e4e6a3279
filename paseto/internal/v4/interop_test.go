package v4

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	paseto "aidanwoods.dev/go-paseto"
)

// interopClaims is compact JSON with keys in sorted order, which is exactly
// how go-paseto re-serialises claims (json.Marshal of a map), so payload
// bytes can be compared exactly in both directions.
var interopClaims = []byte(`{"aud":"api.example.com","exp":"2099-01-01T00:00:00Z","iat":"2025-01-01T00:00:00Z","iss":"https://auth.example.com","jti":"5f3b2c1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9","sub":"user-1234567890"}`)

var interopFooter = []byte(`{"kid":"k4.lid.iVtYQDjr5gEijCSjJC3fQaJm7nCeQSeaty0Jixy8dbsk"}`)

// TestInteropGoPaseto checks that tokens cross between this package and
// aidanwoods.dev/go-paseto in both directions, for both purposes, with and
// without footer and implicit assertion.
func TestInteropGoPaseto(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	gpLocal, err := paseto.V4SymmetricKeyFromBytes(key[:])
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	gpSecret, err := paseto.NewV4AsymmetricSecretKeyFromBytes(priv)
	if err != nil {
		t.Fatal(err)
	}
	gpPublic, err := paseto.NewV4AsymmetricPublicKeyFromBytes(pub)
	if err != nil {
		t.Fatal(err)
	}
	parser := paseto.NewParserWithoutExpiryCheck()

	cases := []struct {
		name             string
		footer, implicit []byte
	}{
		{"plain", nil, nil},
		{"footer", interopFooter, nil},
		{"footer+implicit", interopFooter, []byte(`{"typ":"access"}`)},
		{"implicit", nil, []byte("tenant-42")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("ours to go-paseto local", func(t *testing.T) {
				tok := Encrypt(&key, interopClaims, tc.footer, tc.implicit)
				got, err := parser.ParseV4Local(gpLocal, tok, tc.implicit)
				if err != nil {
					t.Fatalf("go-paseto ParseV4Local: %v", err)
				}
				checkGoPaseto(t, got, tc.footer)
			})
			t.Run("ours to go-paseto public", func(t *testing.T) {
				tok := Sign(priv, interopClaims, tc.footer, tc.implicit)
				got, err := parser.ParseV4Public(gpPublic, tok, tc.implicit)
				if err != nil {
					t.Fatalf("go-paseto ParseV4Public: %v", err)
				}
				checkGoPaseto(t, got, tc.footer)
			})
			t.Run("go-paseto to ours local", func(t *testing.T) {
				tok := newGoPasetoToken(t, tc.footer).V4Encrypt(gpLocal, tc.implicit)
				body, footer, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter)
				if err != nil {
					t.Fatalf("Split: %v", err)
				}
				pt, err := Decrypt(&key, body, footer, tc.implicit)
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				checkOurs(t, pt, footer, tc.footer)
			})
			t.Run("go-paseto to ours public", func(t *testing.T) {
				tok := newGoPasetoToken(t, tc.footer).V4Sign(gpSecret, tc.implicit)
				body, footer, err := Split(tok, PublicHeader, testMaxLen, testMaxFooter)
				if err != nil {
					t.Fatalf("Split: %v", err)
				}
				m, err := Verify(pub, body, footer, tc.implicit)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				checkOurs(t, m, footer, tc.footer)
				// Ed25519 is deterministic and go-paseto's payload bytes equal
				// ours, so the two implementations must agree byte for byte.
				if ours := Sign(priv, interopClaims, tc.footer, tc.implicit); ours != tok {
					t.Fatalf("Sign differs from go-paseto:\n ours %s\n theirs %s", ours, tok)
				}
			})
		})
	}
}

func newGoPasetoToken(t *testing.T, footer []byte) *paseto.Token {
	t.Helper()
	tok, err := paseto.NewTokenFromClaimsJSON(interopClaims, footer)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func checkGoPaseto(t *testing.T, got *paseto.Token, footer []byte) {
	t.Helper()
	if !bytes.Equal(got.ClaimsJSON(), interopClaims) {
		t.Fatalf("claims = %s, want %s", got.ClaimsJSON(), interopClaims)
	}
	if !bytes.Equal(got.Footer(), footer) {
		t.Fatalf("footer = %q, want %q", got.Footer(), footer)
	}
}

func checkOurs(t *testing.T, payload, gotFooter, footer []byte) {
	t.Helper()
	if !bytes.Equal(payload, interopClaims) {
		t.Fatalf("payload = %s, want %s", payload, interopClaims)
	}
	if !bytes.Equal(gotFooter, footer) {
		t.Fatalf("footer = %q, want %q", gotFooter, footer)
	}
}
