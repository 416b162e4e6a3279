package paserk

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// fuzzTypes are the (prefix, length) pairs Decode is used with.
var fuzzTypes = []struct {
	prefix string
	size   int
}{
	{LocalPrefix, LocalKeySize},
	{PublicPrefix, PublicKeySize},
	{SecretPrefix, SecretKeySize},
	{LocalIDPrefix, idDigestSize},
	{PublicIDPrefix, idDigestSize},
	{SecretIDPrefix, idDigestSize},
}

// FuzzDecode checks that Decode never panics, that anything it accepts is
// the canonical encoding of a key of exactly the requested size (so
// re-encoding gives the input back), and that it agrees on acceptance with
// a naive reference built from the standard library.
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"k4.local.json", "k4.public.json", "k4.secret.json", "k4.lid.json", "k4.pid.json", "k4.sid.json"} {
		for _, v := range loadPaserk(f, file) {
			if v.Paserk == nil {
				continue
			}
			s := *v.Paserk
			for i := range fuzzTypes {
				f.Add(s, uint8(i))
			}
			f.Add(s+"=", uint8(0))
			f.Add(s[:len(s)-1]+"\n", uint8(0))
			f.Add(strings.ToUpper(s[:2])+s[2:], uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		typ := fuzzTypes[int(which)%len(fuzzTypes)]
		key, err := Decode(s, typ.prefix, typ.size)

		refOK := false
		if data, ok := strings.CutPrefix(s, typ.prefix); ok && !strings.ContainsAny(data, "\r\n") {
			d, derr := base64.RawURLEncoding.Strict().DecodeString(data)
			refOK = derr == nil && len(d) == typ.size
		}
		if (err == nil) != refOK {
			t.Fatalf("Decode(%q, %q) err = %v, reference accepts = %v", s, typ.prefix, err, refOK)
		}

		if err != nil {
			if key != nil {
				t.Fatalf("key returned with error %v", err)
			}
			if !errors.Is(err, ErrPrefix) && !errors.Is(err, ErrLength) && !errors.Is(err, ErrFormat) {
				t.Fatalf("unexpected error %v", err)
			}
			if !strings.HasPrefix(s, typ.prefix) && !errors.Is(err, ErrPrefix) {
				t.Fatalf("wrong prefix gave %v, want ErrPrefix", err)
			}
			return
		}
		if len(key) != typ.size {
			t.Fatalf("Decode returned %d bytes, want %d", len(key), typ.size)
		}
		if again := Encode(typ.prefix, key); again != s {
			t.Fatalf("accepted non-canonical %q (canonical %q)", s, again)
		}
	})
}
