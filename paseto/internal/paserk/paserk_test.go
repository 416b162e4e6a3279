package paserk

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vectorDir holds the official paseto-standard/test-vectors PASERK files,
// copied byte for byte (see testdata/paseto-vectors/SOURCE.md).
const vectorDir = "../../../testdata/paseto-vectors/"

// paserkVector is the union of the fields used by the k4 key and ID files.
// Pointers distinguish JSON null (expect-fail inputs) from "".
type paserkVector struct {
	Name       string  `json:"name"`
	ExpectFail bool    `json:"expect-fail"`
	Comment    string  `json:"comment"`
	Key        *string `json:"key"`
	Paserk     *string `json:"paserk"`
	SecretSeed *string `json:"secret-key-seed"`
	PublicKey  *string `json:"public-key"`
	Seed       *string `json:"seed"`
}

func loadPaserk(tb testing.TB, file string) []paserkVector {
	tb.Helper()
	raw, err := os.ReadFile(vectorDir + file)
	if err != nil {
		tb.Fatalf("read %s: %v", file, err)
	}
	var f struct {
		Name  string         `json:"name"`
		Tests []paserkVector `json:"tests"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a renamed field must not silently read as null
	if err := dec.Decode(&f); err != nil {
		tb.Fatalf("parse %s: %v", file, err)
	}
	return f.Tests
}

func unhex(tb testing.TB, s *string) []byte {
	tb.Helper()
	if s == nil {
		tb.Fatalf("missing hex field")
	}
	b, err := hex.DecodeString(*s)
	if err != nil {
		tb.Fatalf("hex: %v", err)
	}
	return b
}

// vectorFiles describes each k4 file: the key type it serialises and, for
// the ID files, the ID prefix computed over that key's PASERK.
var vectorFiles = []struct {
	file      string
	keyPrefix string
	idPrefix  string // "" for the key files themselves
	count     int
	fails     map[string]error // expected sentinel per expect-fail case
}{
	{"k4.local.json", LocalPrefix, "", 5, map[string]error{
		"k4.local-fail-1": ErrLength, // data decodes to 31 bytes
		"k4.local-fail-2": ErrPrefix, // k3.local.
	}},
	{"k4.public.json", PublicPrefix, "", 4, map[string]error{
		"k4.public-fail-1": ErrLength, // 49-byte v3 compressed point must not serialise
	}},
	{"k4.secret.json", SecretPrefix, "", 5, map[string]error{
		"k4.secret-fail-1": ErrLength, // 31-byte key
		"k4.secret-fail-2": ErrLength, // 48-byte (v3) key
	}},
	{"k4.lid.json", LocalPrefix, LocalIDPrefix, 4, map[string]error{
		"k4.lid-fail-1": ErrLength,
	}},
	{"k4.pid.json", PublicPrefix, PublicIDPrefix, 5, map[string]error{
		"k4.pid-fail-1": ErrLength,
		"k4.pid-fail-2": ErrLength,
	}},
	{"k4.sid.json", SecretPrefix, SecretIDPrefix, 4, map[string]error{
		"k4.sid-fail-1": ErrLength,
	}},
}

// TestVectors runs every case of the six k4 key and ID vector files.
// Valid cases must round-trip exactly; expect-fail cases must fail at the
// encoding layer with the specific sentinel: a PASERK string that must not
// deserialise goes through Decode, raw key material that must not serialise
// goes through EncodeKey.
func TestVectors(t *testing.T) {
	for _, vf := range vectorFiles {
		t.Run(strings.TrimSuffix(vf.file, ".json"), func(t *testing.T) {
			vecs := loadPaserk(t, vf.file)
			if len(vecs) != vf.count {
				t.Fatalf("%s has %d cases, want %d", vf.file, len(vecs), vf.count)
			}
			wantLen := KeySize(vf.keyPrefix)
			for _, v := range vecs {
				t.Run(v.Name, func(t *testing.T) {
					if v.ExpectFail {
						want, ok := vf.fails[v.Name]
						if !ok {
							t.Fatalf("no expected error recorded")
						}
						var err error
						switch {
						case v.Paserk != nil && vf.idPrefix == "":
							_, err = Decode(*v.Paserk, vf.keyPrefix, wantLen)
						case v.Key != nil && v.Paserk == nil:
							_, err = EncodeKey(vf.keyPrefix, unhex(t, v.Key))
						default:
							t.Fatalf("unexpected shape of expect-fail case")
						}
						if !errors.Is(err, want) {
							t.Fatalf("got %v, want %v", err, want)
						}
						return
					}

					key := unhex(t, v.Key)
					if v.Paserk == nil {
						t.Fatalf("valid case without paserk")
					}
					if vf.keyPrefix == SecretPrefix {
						checkSecretLayout(t, v, key)
					}
					enc, err := EncodeKey(vf.keyPrefix, key)
					if err != nil {
						t.Fatalf("EncodeKey: %v", err)
					}

					if vf.idPrefix != "" {
						id := ID(vf.idPrefix, enc)
						if id != *v.Paserk {
							t.Fatalf("ID = %s, want %s", id, *v.Paserk)
						}
						if len(id) != len(vf.idPrefix)+44 {
							t.Fatalf("ID length %d", len(id))
						}
						// IDs are PASERKs themselves: 33 bytes, canonical.
						d, err := Decode(id, vf.idPrefix, idDigestSize)
						if err != nil || Encode(vf.idPrefix, d) != id {
							t.Fatalf("ID does not decode canonically: %v", err)
						}
						return
					}

					if enc != *v.Paserk {
						t.Fatalf("EncodeKey = %s, want %s", enc, *v.Paserk)
					}
					if Encode(vf.keyPrefix, key) != enc {
						t.Fatalf("Encode and EncodeKey disagree")
					}
					got, err := Decode(*v.Paserk, vf.keyPrefix, wantLen)
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					if !bytes.Equal(got, key) {
						t.Fatalf("Decode = %x, want %x", got, key)
					}
					// Algorithm lucidity: the same string is not a key of any
					// other type or version.
					for _, other := range []string{LocalPrefix, PublicPrefix, SecretPrefix, "k3.local.", "k4.local-wrap.pie."} {
						if other == vf.keyPrefix {
							continue
						}
						if _, err := Decode(*v.Paserk, other, KeySize(other)+1); !errors.Is(err, ErrPrefix) {
							t.Fatalf("Decode as %s: %v, want ErrPrefix", other, err)
						}
					}
				})
			}
		})
	}
}

// checkSecretLayout asserts the k4.secret layout: seed || public key, with
// the public half derived from the seed. k4.secret.json names the seed
// "secret-key-seed" and lists the public key; k4.sid.json has only "seed".
func checkSecretLayout(t *testing.T, v paserkVector, key []byte) {
	t.Helper()
	seedHex := v.SecretSeed
	if seedHex == nil {
		seedHex = v.Seed
	}
	seed := unhex(t, seedHex)
	if len(key) != SecretKeySize || !bytes.Equal(key[:32], seed) {
		t.Fatalf("key does not start with the seed")
	}
	if v.PublicKey != nil && !bytes.Equal(key[32:], unhex(t, v.PublicKey)) {
		t.Fatalf("key does not end with the public key")
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(seed), key) {
		t.Fatalf("public half does not match the seed")
	}
}

// TestDecodeStrict covers the encoding-layer rejections beyond the vectors.
func TestDecodeStrict(t *testing.T) {
	const good = "k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8"
	data := good[len(LocalPrefix):]
	replaceLast := func(c string) string { return good[:len(good)-1] + c }
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"valid", good, nil},
		{"uppercase prefix", "K4.local." + data, ErrPrefix},
		{"k3", "k3.local." + data, ErrPrefix},
		{"k2", "k2.local." + data, ErrPrefix},
		{"other type", "k4.public." + data, ErrPrefix},
		{"prefix without dot", "k4.local" + data, ErrPrefix},
		{"empty", "", ErrPrefix},
		{"prefix only", LocalPrefix, ErrLength},
		{"one char short", good[:len(good)-1], ErrLength},
		{"one char long", good + "A", ErrLength},
		{"= padding", good + "=", ErrLength},
		{"64-byte data", LocalPrefix + strings.Repeat("A", 86), ErrLength},
		{"huge", LocalPrefix + strings.Repeat("A", 1<<20), ErrLength},
		{"= in place of last char", replaceLast("="), ErrFormat},
		{"LF in place of last char", replaceLast("\n"), ErrFormat},
		{"CR in the middle", good[:20] + "\r" + good[21:], ErrFormat},
		{"space", good[:20] + " " + good[21:], ErrFormat},
		{"plus", good[:20] + "+" + good[21:], ErrFormat},
		{"slash", good[:20] + "/" + good[21:], ErrFormat},
		{"dot", good[:20] + "." + good[21:], ErrFormat},
		{"non-zero trailing bits", replaceLast("9"), ErrFormat}, // '8' is 60; '9' sets an unused bit
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.in, LocalPrefix, LocalKeySize)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode error = %v, want %v", err, tc.want)
			}
			if err == nil && Encode(LocalPrefix, got) != tc.in {
				t.Fatalf("accepted a non-canonical PASERK")
			}
			if err != nil && got != nil {
				t.Fatalf("key returned with error")
			}
		})
	}

	t.Run("fresh copy", func(t *testing.T) {
		a, _ := Decode(good, LocalPrefix, LocalKeySize)
		a[0] ^= 0xff
		b, _ := Decode(good, LocalPrefix, LocalKeySize)
		if a[0] == b[0] {
			t.Fatalf("Decode results share memory")
		}
	})

	t.Run("non-positive wantLen", func(t *testing.T) {
		for _, n := range []int{0, -1} {
			if _, err := Decode(LocalPrefix, LocalPrefix, n); !errors.Is(err, ErrLength) {
				t.Fatalf("wantLen %d: %v, want ErrLength", n, err)
			}
		}
	})

	t.Run("EncodeKey unknown prefix", func(t *testing.T) {
		for _, p := range []string{LocalIDPrefix, "k3.local.", "k4.local", ""} {
			if _, err := EncodeKey(p, make([]byte, 32)); !errors.Is(err, ErrPrefix) {
				t.Fatalf("EncodeKey(%q): %v, want ErrPrefix", p, err)
			}
		}
	})
}

// TestIDMismatchPanics checks that an ID can only be computed over a key of
// the matching type.
func TestIDMismatchPanics(t *testing.T) {
	local := Encode(LocalPrefix, make([]byte, 32))
	public := Encode(PublicPrefix, make([]byte, 32))
	tests := []struct{ name, idPrefix, paserk string }{
		{"lid over public", LocalIDPrefix, public},
		{"pid over local", PublicIDPrefix, local},
		{"sid over local", SecretIDPrefix, local},
		{"key prefix as ID prefix", LocalPrefix, local},
		{"k3 lid", "k3.lid.", local},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("ID(%q, %q) did not panic", tc.idPrefix, tc.paserk)
				}
			}()
			ID(tc.idPrefix, tc.paserk)
		})
	}
}
