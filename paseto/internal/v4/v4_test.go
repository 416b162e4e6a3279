package v4

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// TestPAE checks the three examples from the PASETO Common.md spec and that
// the streamed MAC in localTag equals BLAKE2b over the materialised PAE.
func TestPAE(t *testing.T) {
	tests := []struct {
		name   string
		pieces [][]byte
		want   string
	}{
		{"empty list", nil, "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"one empty piece", [][]byte{{}}, "\x01\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"test", [][]byte{[]byte("test")}, "\x01\x00\x00\x00\x00\x00\x00\x00" + "\x04\x00\x00\x00\x00\x00\x00\x00" + "test"},
		{"two pieces", [][]byte{[]byte("ab"), []byte("")}, "\x02\x00\x00\x00\x00\x00\x00\x00" +
			"\x02\x00\x00\x00\x00\x00\x00\x00ab" + "\x00\x00\x00\x00\x00\x00\x00\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PAE(tc.pieces...); string(got) != tc.want {
				t.Fatalf("PAE = %x, want %x", got, tc.want)
			}
		})
	}

	t.Run("streamed MAC equals BLAKE2b(PAE)", func(t *testing.T) {
		for _, size := range []int{0, 1, 127, 128, 129, 1000} {
			var ak [32]byte
			rand.Read(ak[:])
			n := randBytes(32)
			c, f, i := randBytes(size), randBytes(size/2), randBytes(size/3)
			var got [32]byte
			localTag(&got, &ak, n, c, f, i)
			h, _ := blake2b.New(32, ak[:])
			h.Write(PAE([]byte(LocalHeader), n, c, f, i))
			if want := h.Sum(nil); !bytes.Equal(got[:], want) {
				t.Fatalf("size %d: streamed tag %x, want %x", size, got, want)
			}
		}
	})
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

var raw = base64.RawURLEncoding

// vectorToken returns the token of the named vector.
func vectorToken(tb testing.TB, name string) vector {
	tb.Helper()
	for _, v := range loadVectors(tb) {
		if v.Name == name {
			return v
		}
	}
	tb.Fatalf("no vector %s", name)
	return vector{}
}

// setTrailingBit returns seg with a non-zero unused low bit in its last
// character, i.e. the 4-F-4 mutation: same decoded bytes under a lenient
// decoder, different string.
func setTrailingBit(tb testing.TB, seg string) string {
	tb.Helper()
	if len(seg)%4 == 0 {
		tb.Fatalf("segment %q has no trailing bits", seg)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[v|1])
}

// TestSplitAdversarial feeds Split every malformed shape from the research
// notes (§1.11, §5.6, §5.7) and checks the exact sentinel.
func TestSplitAdversarial(t *testing.T) {
	noFooter := vectorToken(t, "4-E-1").Token // payload only
	withFooter := vectorToken(t, "4-E-9").Token
	pub := vectorToken(t, "4-S-2").Token
	payloadOf := func(tok, h string) string { s, _, _ := strings.Cut(tok[len(h):], "."); return s }
	footerOf := func(tok string) string { _, f, _ := strings.Cut(tok[len(LocalHeader):], "."); return f }
	p1 := payloadOf(noFooter, LocalHeader)
	p5, f5 := payloadOf(withFooter, LocalHeader), footerOf(withFooter)
	if len(p1)%4 == 0 || len(f5)%4 == 0 {
		t.Fatalf("test assumes the chosen vectors have partial final quanta")
	}
	// Pad a segment to a length that is 1 mod 4 with valid characters.
	mod1 := func(seg string) string {
		for len(seg)%4 != 1 {
			seg += "A"
		}
		return seg
	}
	insert := func(s string, at int, ins string) string { return s[:at] + ins + s[at:] }
	enc := func(n int) string { return raw.EncodeToString(make([]byte, n)) }

	tests := []struct {
		name      string
		token     string
		header    string
		maxLen    int
		maxFooter int
		want      error
	}{
		// Sanity: the unmodified tokens are accepted.
		{"valid no footer", noFooter, LocalHeader, 0, 0, nil},
		{"valid with footer", withFooter, LocalHeader, 0, 0, nil},
		{"valid public", pub, PublicHeader, 0, 0, nil},
		{"64-byte local body", LocalHeader + enc(64), LocalHeader, 0, 0, nil},
		{"64-byte public body", PublicHeader + enc(64), PublicHeader, 0, 0, nil},

		// Headers: exact, case-sensitive, right version and purpose.
		{"V4.local.", "V4.local." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v4.LOCAL.", "v4.LOCAL." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v4.Local.", "v4.Local." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v2.local.", "v2.local." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v3.local.", "v3.local." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v4c.local.", "v4c.local." + p1, LocalHeader, 0, 0, ErrHeader},
		{"v4.locals.", "v4.locals." + p1, LocalHeader, 0, 0, ErrHeader},
		{"leading space", " " + noFooter, LocalHeader, 0, 0, ErrHeader},
		{"no header dot", "v4.local", LocalHeader, 0, 0, ErrHeader},
		{"empty token", "", LocalHeader, 0, 0, ErrHeader},
		{"public token on local path", pub, LocalHeader, 0, 0, ErrHeader},
		{"local token on public path", withFooter, PublicHeader, 0, 0, ErrHeader},
		{"v4.public. prefix of v4.publicX", "v4.publicX." + p1, PublicHeader, 0, 0, ErrHeader},
		{"unsupported header argument", noFooter, "v4.LOCAL.", 0, 0, ErrHeader},
		{"header argument v3", "v3.local." + p1, "v3.local.", 0, 0, ErrHeader},

		// Segment structure.
		{"missing payload", LocalHeader, LocalHeader, 0, 0, ErrMalformed},
		{"missing payload with footer", LocalHeader + "." + f5, LocalHeader, 0, 0, ErrMalformed},
		{"empty footer segment", noFooter + ".", LocalHeader, 0, 0, ErrMalformed},
		{"empty footer after footer", withFooter + ".", LocalHeader, 0, 0, ErrMalformed},
		{"5 segments", withFooter + ".AAAA", LocalHeader, 0, 0, ErrMalformed},
		{"dot dot", noFooter + "..", LocalHeader, 0, 0, ErrMalformed},

		// Alphabet and padding.
		{"= appended to payload", noFooter + "=", LocalHeader, 0, 0, ErrMalformed},
		{"== appended to payload", noFooter + "==", LocalHeader, 0, 0, ErrMalformed},
		{"= appended to footer", withFooter + "=", LocalHeader, 0, 0, ErrMalformed},
		{"= before footer", LocalHeader + p5 + "=." + f5, LocalHeader, 0, 0, ErrMalformed},
		{"CR in payload", insert(noFooter, 20, "\r"), LocalHeader, 0, 0, ErrMalformed},
		{"LF in payload", insert(noFooter, 20, "\n"), LocalHeader, 0, 0, ErrMalformed},
		{"CRLF at end", noFooter + "\r\n", LocalHeader, 0, 0, ErrMalformed},
		{"LF in footer", insert(withFooter, len(withFooter)-4, "\n"), LocalHeader, 0, 0, ErrMalformed},
		{"space in payload", insert(noFooter, 20, " "), LocalHeader, 0, 0, ErrMalformed},
		{"tab in payload", insert(noFooter, 20, "\t"), LocalHeader, 0, 0, ErrMalformed},
		{"trailing space", noFooter + " ", LocalHeader, 0, 0, ErrMalformed},
		{"plus", LocalHeader + "+" + p1[1:], LocalHeader, 0, 0, ErrMalformed},
		{"slash", LocalHeader + "/" + p1[1:], LocalHeader, 0, 0, ErrMalformed},
		{"NUL", insert(noFooter, 20, "\x00"), LocalHeader, 0, 0, ErrMalformed},
		{"non-ASCII", insert(noFooter, 20, "é"), LocalHeader, 0, 0, ErrMalformed},
		{"0xff", insert(noFooter, 20, "\xff"), LocalHeader, 0, 0, ErrMalformed},

		// Canonical base64: trailing bits and impossible lengths.
		{"non-zero trailing bits payload", LocalHeader + setTrailingBit(t, p1), LocalHeader, 0, 0, ErrMalformed},
		{"non-zero trailing bits footer", LocalHeader + p5 + "." + setTrailingBit(t, f5), LocalHeader, 0, 0, ErrMalformed},
		{"payload length 1 mod 4", LocalHeader + mod1(p1), LocalHeader, 0, 0, ErrMalformed},
		{"footer length 1 mod 4", LocalHeader + p5 + "." + mod1(f5), LocalHeader, 0, 0, ErrMalformed},
		{"footer single char", noFooter + ".A", LocalHeader, 0, 0, ErrMalformed},

		// Minimum body sizes.
		{"63-byte local body", LocalHeader + enc(63), LocalHeader, 0, 0, ErrMalformed},
		{"63-byte public body", PublicHeader + enc(63), PublicHeader, 0, 0, ErrMalformed},
		{"1-byte body", LocalHeader + "AA", LocalHeader, 0, 0, ErrMalformed},

		// Size limits: exactly at the limit passes, one over fails.
		{"token at maxLen", noFooter, LocalHeader, len(noFooter), 0, nil},
		{"token over maxLen", noFooter, LocalHeader, len(noFooter) - 1, 0, ErrTooLarge},
		{"maxLen zero", noFooter, LocalHeader, -1, 0, ErrTooLarge},
		{"oversize precedes bad header", "v3.local." + strings.Repeat("A", 100), LocalHeader, 50, 0, ErrTooLarge},
		{"footer at maxFooter", withFooter, LocalHeader, 0, len(vectorToken(t, "4-E-9").Footer), nil},
		{"footer over maxFooter", withFooter, LocalHeader, 0, len(vectorToken(t, "4-E-9").Footer) - 1, ErrTooLarge},
		{"no footer with maxFooter 0", noFooter, LocalHeader, 0, -1, nil},
		{"1 MiB of dots", LocalHeader + strings.Repeat(".", 1<<20), LocalHeader, 0, 0, ErrTooLarge},
		{"1 MiB of dots, unlimited", LocalHeader + strings.Repeat(".", 1<<20), LocalHeader, 2 << 20, 0, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			maxLen, maxFooter := tc.maxLen, tc.maxFooter
			if maxLen == 0 {
				maxLen = testMaxLen
			}
			if maxLen < 0 {
				maxLen = 0
			}
			if maxFooter == 0 {
				maxFooter = testMaxFooter
			}
			if maxFooter < 0 {
				maxFooter = 0
			}
			body, footer, err := Split(tc.token, tc.header, maxLen, maxFooter)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Split error = %v, want %v", err, tc.want)
			}
			// SplitInto checks alphabet and trailing bits while decoding
			// into the caller's buffer: every rejection above must still
			// happen, with the same error.
			var stack [2048]byte
			ib, ifo, ierr := SplitInto(stack[:], tc.token, tc.header, maxLen, maxFooter)
			if ierr != err || !bytes.Equal(ib, body) || !bytes.Equal(ifo, footer) {
				t.Fatalf("SplitInto = %x / %x / %v, Split %x / %x / %v", ib, ifo, ierr, body, footer, err)
			}
			if err != nil {
				if body != nil || footer != nil {
					t.Fatalf("Split returned data alongside error %v", err)
				}
				return
			}
			if got := assemble(tc.header, body, footer); got != tc.token {
				t.Fatalf("re-encoding is not canonical:\n got %q\nwant %q", got, tc.token)
			}
		})
	}
}

// TestSplitAllocs checks that rejection costs no allocation at all, however
// long the input and whichever check fails, and acceptance costs exactly one
// (body and footer share it).
func TestSplitAllocs(t *testing.T) {
	dots := LocalHeader + strings.Repeat(".", 1<<20)
	long := LocalHeader + strings.Repeat("A", 1<<20) // valid shape, just huge
	withFooter := vectorToken(t, "4-E-5").Token
	tests := []struct {
		name   string
		token  string
		maxLen int
		want   float64
	}{
		{"dots over maxLen", dots, testMaxLen, 0},
		{"dots within maxLen", dots, len(dots), 0},
		{"long payload over maxLen", long, testMaxLen, 0},
		{"long payload footer dot at end", long + "..", len(long) + 2, 0},
		{"bad byte at end of long payload", long + "=", len(long) + 1, 0},
		{"non-zero trailing bits", vectorToken(t, "4-F-4").Token, testMaxLen, 0},
		{"short body", LocalHeader + strings.Repeat("A", 84), testMaxLen, 0},
		{"valid token with footer", withFooter, testMaxLen, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := testing.AllocsPerRun(20, func() {
				_, _, err = Split(tc.token, LocalHeader, tc.maxLen, testMaxFooter)
			})
			if (err == nil) != (tc.want == 1) {
				t.Fatalf("unexpected Split result %v", err)
			}
			if got > tc.want {
				t.Fatalf("Split allocated %v times per run, want <= %v", got, tc.want)
			}
		})
	}
}

// TestSplitAliasing checks that body and footer share one allocation but can
// be appended to independently.
func TestSplitAliasing(t *testing.T) {
	v := vectorToken(t, "4-E-5")
	body, footer, err := Split(v.Token, LocalHeader, testMaxLen, testMaxFooter)
	if err != nil {
		t.Fatal(err)
	}
	if cap(body) != len(body) {
		t.Fatalf("cap(body) = %d, want %d: appending would overwrite the footer", cap(body), len(body))
	}
	_ = append(body, 'X')
	if string(footer) != v.Footer {
		t.Fatalf("footer changed after append to body: %q", footer)
	}
}

// newLocalFixture returns a fresh key and a token over a short message with
// footer and implicit assertion.
func newLocalFixture(t *testing.T) (key *[32]byte, tok string, msg, footer, implicit []byte) {
	t.Helper()
	key = new([32]byte)
	rand.Read(key[:])
	msg = []byte(`{"sub":"alice","exp":"2099-01-01T00:00:00Z"}`)
	footer = []byte(`{"kid":"k4.lid.iVtYQDjr5gEijCSjJC3fQaJm7nCeQSeaty0Jixy8dbsk"}`)
	implicit = []byte(`{"typ":"access"}`)
	return key, Encrypt(key, msg, footer, implicit), msg, footer, implicit
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// TestDecryptTampering flips one byte in each region of a v4.local token
// (nonce, ciphertext, tag, footer, implicit assertion) and expects ErrAuth,
// end to end through the token string, and leaves the body unmodified on
// failure. It also flips every single bit of a short body.
func TestDecryptTampering(t *testing.T) {
	key, tok, msg, footer, implicit := newLocalFixture(t)
	body, gotFooter, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotFooter, footer) {
		t.Fatalf("footer = %q", gotFooter)
	}
	cEnd := len(body) - tagSize
	regions := []struct {
		name           string
		body, footer   []byte
		implicit       []byte
		key            *[32]byte
		reencodeString bool
	}{
		{"nonce first byte", flip(body, 0), footer, implicit, key, true},
		{"nonce last byte", flip(body, nonceSize-1), footer, implicit, key, true},
		{"ciphertext first byte", flip(body, nonceSize), footer, implicit, key, true},
		{"ciphertext last byte", flip(body, cEnd-1), footer, implicit, key, true},
		{"tag first byte", flip(body, cEnd), footer, implicit, key, true},
		{"tag last byte", flip(body, len(body)-1), footer, implicit, key, true},
		{"footer byte", body, flip(footer, 3), implicit, key, true},
		{"footer removed", body, nil, implicit, key, true},
		{"footer extended", body, append(bytes.Clone(footer), ' '), implicit, key, true},
		{"implicit byte", body, footer, flip(implicit, 2), key, false},
		{"implicit missing", body, footer, nil, key, false},
		{"body truncated", body[:len(body)-1], footer, implicit, key, true},
		{"body extended", append(bytes.Clone(body), 0), footer, implicit, key, true},
		{"wrong key", body, footer, implicit, flipKey(key), false},
	}
	for _, r := range regions {
		t.Run(r.name, func(t *testing.T) {
			b, f := bytes.Clone(r.body), r.footer
			if r.reencodeString {
				// Go through the token string so the test covers what an
				// attacker can actually send.
				var err error
				b, f, err = Split(assemble(LocalHeader, r.body, r.footer), LocalHeader, testMaxLen, testMaxFooter)
				if err != nil {
					t.Fatalf("tampered token no longer splits: %v", err)
				}
			}
			before := bytes.Clone(b)
			pt, err := Decrypt(r.key, b, f, r.implicit)
			if !errors.Is(err, ErrAuth) || pt != nil {
				t.Fatalf("Decrypt = %q, %v; want nil, ErrAuth", pt, err)
			}
			if !bytes.Equal(b, before) {
				t.Fatalf("Decrypt modified the body although authentication failed")
			}
		})
	}

	t.Run("every bit", func(t *testing.T) {
		for i := 0; i < len(body)*8; i++ {
			b := bytes.Clone(body)
			b[i/8] ^= 1 << (i % 8)
			if _, err := Decrypt(key, b, footer, implicit); !errors.Is(err, ErrAuth) {
				t.Fatalf("bit %d flipped: %v, want ErrAuth", i, err)
			}
		}
	})

	t.Run("untampered still decrypts in place", func(t *testing.T) {
		pt, err := Decrypt(key, body, footer, implicit)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("Decrypt = %q, %v", pt, err)
		}
		if &pt[0] != &body[nonceSize] {
			t.Fatalf("plaintext does not alias the body")
		}
		if cap(pt) != len(pt) {
			t.Fatalf("cap(plaintext) = %d, want %d: appends would overwrite the tag", cap(pt), len(pt))
		}
	})

	t.Run("short body", func(t *testing.T) {
		if _, err := Decrypt(key, make([]byte, 63), nil, nil); !errors.Is(err, ErrMalformed) {
			t.Fatalf("Decrypt(63 bytes) = %v, want ErrMalformed", err)
		}
	})
}

func flipKey(k *[32]byte) *[32]byte {
	c := *k
	c[0] ^= 1
	return &c
}

// forgedZeroKeyToken is the §5.12 forgery: it verifies under crypto/ed25519
// with the all-zero public key (k4.public-1) although nobody holds a secret
// key for it.
const forgedZeroKeyToken = "v4.public.eyJzdWIiOiJhZG1pbiIsImV4cCI6IjIwOTktMDEtMDFUMDA6MDA6MDBaIn0jTC5002h-eQF_9378hCPuYUDHje2wgpp_UbbHUR16UXuQ6igqw4yFFnqGl2oB0nQdF2UrxZaUpP7WyX7riEQJ"

// TestVerifyTampering is TestDecryptTampering for v4.public, plus the key
// checks Verify performs before calling crypto/ed25519.
func TestVerifyTampering(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte(`{"sub":"alice","exp":"2099-01-01T00:00:00Z"}`)
	footer := []byte(`{"kid":"k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs"}`)
	implicit := []byte(`{"typ":"access"}`)
	tok := Sign(priv, msg, footer, implicit)
	body, _, err := Split(tok, PublicHeader, testMaxLen, testMaxFooter)
	if err != nil {
		t.Fatal(err)
	}
	mEnd := len(body) - sigSize
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name                   string
		pub                    ed25519.PublicKey
		body, footer, implicit []byte
		want                   error
	}{
		{"valid", pub, body, footer, implicit, nil},
		{"message first byte", pub, flip(body, 0), footer, implicit, ErrAuth},
		{"message last byte", pub, flip(body, mEnd-1), footer, implicit, ErrAuth},
		{"signature R", pub, flip(body, mEnd), footer, implicit, ErrAuth},
		{"signature S", pub, flip(body, len(body)-1), footer, implicit, ErrAuth},
		{"footer byte", pub, body, flip(footer, 3), implicit, ErrAuth},
		{"footer removed", pub, body, nil, implicit, ErrAuth},
		{"implicit byte", pub, body, footer, flip(implicit, 2), ErrAuth},
		{"implicit missing", pub, body, footer, nil, ErrAuth},
		{"other key", otherPub, body, footer, implicit, ErrAuth},
		{"message moved into signature", pub, body[1:], footer, implicit, ErrAuth},
		{"short body", pub, body[:63], footer, implicit, ErrMalformed},
		{"31-byte key", pub[:31], body, footer, implicit, ErrKey},
		{"nil key", nil, body, footer, implicit, ErrKey},
		{"all-zero key", make(ed25519.PublicKey, 32), body, footer, implicit, ErrKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Verify(tc.pub, tc.body, tc.footer, tc.implicit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			if err == nil && !bytes.Equal(m, msg) {
				t.Fatalf("Verify = %q, want %q", m, msg)
			}
			if err != nil && m != nil {
				t.Fatalf("Verify returned a message with error %v", err)
			}
		})
	}

	t.Run("forged token under all-zero key", func(t *testing.T) {
		zero := make(ed25519.PublicKey, 32)
		body, footer, err := Split(forgedZeroKeyToken, PublicHeader, testMaxLen, testMaxFooter)
		if err != nil {
			t.Fatalf("Split: %v", err)
		}
		m, sig := body[:len(body)-sigSize], body[len(body)-sigSize:]
		if ed25519.Verify(zero, PAE([]byte(PublicHeader), m, footer, nil), sig) {
			t.Logf("crypto/ed25519 accepts the forgery; the ErrKey guard in Verify is load-bearing")
		}
		if _, err := Verify(zero, body, footer, nil); !errors.Is(err, ErrKey) {
			t.Fatalf("Verify(forged, zero key) = %v, want ErrKey", err)
		}
	})
}

// TestRoundTrip covers edge sizes through the public API, including the
// empty message (a 64-byte body) and messages spanning ChaCha20 blocks.
func TestRoundTrip(t *testing.T) {
	key := new([32]byte)
	rand.Read(key[:])
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	for _, size := range []int{0, 1, 63, 64, 65, 1000, 5000} {
		for _, fsize := range []int{0, 1, 60} {
			msg, footer, implicit := randBytes(size), randBytes(fsize), randBytes(size%17)
			t.Run("local", func(t *testing.T) {
				tok := Encrypt(key, msg, footer, implicit)
				if fsize == 0 && strings.Count(tok, ".") != 2 {
					t.Fatalf("token without footer has a footer segment: %s", tok)
				}
				body, f, err := Split(tok, LocalHeader, 1<<20, 1<<10)
				if err != nil {
					t.Fatalf("Split: %v", err)
				}
				pt, err := Decrypt(key, body, f, implicit)
				if err != nil || !bytes.Equal(pt, msg) || !bytes.Equal(f, footer) {
					t.Fatalf("size %d/%d: Decrypt = %x, %v", size, fsize, pt, err)
				}
			})
			t.Run("public", func(t *testing.T) {
				tok := Sign(priv, msg, footer, implicit)
				body, f, err := Split(tok, PublicHeader, 1<<20, 1<<10)
				if err != nil {
					t.Fatalf("Split: %v", err)
				}
				m, err := Verify(pub, body, f, implicit)
				if err != nil || !bytes.Equal(m, msg) || !bytes.Equal(f, footer) {
					t.Fatalf("size %d/%d: Verify = %x, %v", size, fsize, m, err)
				}
			})
		}
	}

	t.Run("fresh nonce per token", func(t *testing.T) {
		a, b := Encrypt(key, []byte("m"), nil, nil), Encrypt(key, []byte("m"), nil, nil)
		if a == b {
			t.Fatalf("two encryptions of the same message are identical: nonce reuse")
		}
	})
}

// TestDecodeSegment holds Split's base64url decoder to the standard
// library's strict, unpadded decoder: for every length up to 3 blocks of
// the fast path and every single-byte substitution, both accept exactly the
// same strings (except that the standard decoder skips CR and LF, which
// decodeSegment refuses like any other byte outside the alphabet) and
// decode them to the same bytes.
func TestDecodeSegment(t *testing.T) {
	ref := base64.RawURLEncoding.Strict()
	check := func(src string) {
		t.Helper()
		want, werr := ref.DecodeString(src)
		if strings.ContainsAny(src, "\r\n") {
			werr = errors.New("CR or LF")
		}
		dst := make([]byte, ref.DecodedLen(len(src)))
		ok := decodeSegment(dst, src)
		if ok != (werr == nil) {
			t.Fatalf("decodeSegment(%q) = %v, standard decoder error %v", src, ok, werr)
		}
		if ok && !bytes.Equal(dst, want) {
			t.Fatalf("decodeSegment(%q) = %x, want %x", src, dst, want)
		}
	}
	for n := 0; n <= 30; n++ {
		enc := ref.EncodeToString(randBytes(n))
		check(enc)
		for i := range len(enc) {
			for c := range 256 {
				check(enc[:i] + string([]byte{byte(c)}) + enc[i+1:])
			}
		}
	}
	for _, src := range []string{"A", "AAAAA", "AAAAAAAAA", "AB", "AAAAAAAAAB", "AAC", "AAAAAAAAAAC", "AA==", "AA=", "+/+/", "AAAA\nAAA"} {
		check(src)
	}
	// A dst of the wrong length is refused rather than partly filled.
	if decodeSegment(make([]byte, 4), "AAAA") || decodeSegment(make([]byte, 2), "AAAA") {
		t.Fatal("decodeSegment accepted a dst of the wrong length")
	}
}
