package v4

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// refSplit is a deliberately naive model of Split (strings.Split, stdlib
// decoding, no attention to cost) used as a differential oracle: the two
// must agree on acceptance and on the decoded bytes. Error kinds are only
// compared where the order of checks cannot differ.
func refSplit(token, header string, maxLen, maxFooter int) (body, footer []byte, err error) {
	if len(token) > maxLen {
		return nil, nil, ErrTooLarge
	}
	if (header != LocalHeader && header != PublicHeader) || !strings.HasPrefix(token, header) {
		return nil, nil, ErrHeader
	}
	parts := strings.Split(token[len(header):], ".")
	if len(parts) > 2 {
		return nil, nil, ErrMalformed
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return nil, nil, ErrMalformed
		}
	}
	body, err = b64.DecodeString(parts[0])
	if err != nil || len(body) < 64 {
		return nil, nil, ErrMalformed
	}
	if len(parts) == 2 {
		if footer, err = b64.DecodeString(parts[1]); err != nil {
			return nil, nil, ErrMalformed
		}
		if len(footer) > maxFooter {
			return nil, nil, ErrTooLarge
		}
	}
	return body, footer, nil
}

// seedTokens returns every vector token plus the classic mutations.
func seedTokens(tb testing.TB) []string {
	var seeds []string
	for _, v := range loadVectors(tb) {
		tok := v.Token
		seeds = append(seeds, tok, tok+".", tok+"=", tok+".AAAA", tok[:len(tok)-1],
			tok[:20]+"\n"+tok[20:], strings.ToUpper(tok[:9])+tok[9:])
	}
	seeds = append(seeds, "", LocalHeader, PublicHeader, LocalHeader+".", LocalHeader+strings.Repeat(".", 100))
	return seeds
}

// FuzzSplit checks, for arbitrary tokens and limits: no panic; agreement
// with refSplit; accepted tokens are canonical (re-encoding body and footer
// gives back the exact input) and within the limits; inputs over maxLen are
// ErrTooLarge; rejections never allocate and acceptance allocates once.
func FuzzSplit(f *testing.F) {
	for _, s := range seedTokens(f) {
		f.Add(s, uint16(testMaxLen), uint16(testMaxFooter), strings.HasPrefix(s, "v4.public"))
		f.Add(s, uint16(len(s)/2), uint16(8), false)
	}
	f.Fuzz(func(t *testing.T, token string, maxLen16, maxFooter16 uint16, public bool) {
		header := LocalHeader
		if public {
			header = PublicHeader
		}
		maxLen, maxFooter := int(maxLen16), int(maxFooter16)

		body, footer, err := Split(token, header, maxLen, maxFooter)

		rb, rf, rerr := refSplit(token, header, maxLen, maxFooter)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Split err %v, reference err %v", err, rerr)
		}
		if !bytes.Equal(body, rb) || !bytes.Equal(footer, rf) || (footer == nil) != (rf == nil) {
			t.Fatalf("Split = %x / %x, reference %x / %x", body, footer, rb, rf)
		}

		if len(token) > maxLen {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("token of %d > %d bytes: err %v, want ErrTooLarge", len(token), maxLen, err)
			}
		} else if !strings.HasPrefix(token, header) && !errors.Is(err, ErrHeader) {
			t.Fatalf("wrong header: err %v, want ErrHeader", err)
		}

		// Rejections never allocate (so an oversize or hostile token costs
		// nothing proportional to its length); acceptance allocates once.
		allocs := testing.AllocsPerRun(1, func() { Split(token, header, maxLen, maxFooter) })
		if err != nil && allocs != 0 {
			t.Fatalf("rejecting (%v) allocated %v times, want 0", err, allocs)
		}
		if err == nil && allocs > 1 {
			t.Fatalf("Split allocated %v times, want at most 1", allocs)
		}

		// SplitInto with room for the decoded bytes: the same answer, the
		// same error, the same bytes, in buf and without any allocation.
		buf := make([]byte, len(token))
		ib, ifo, ierr := SplitInto(buf, token, header, maxLen, maxFooter)
		if ierr != err || !bytes.Equal(ib, body) || !bytes.Equal(ifo, footer) || (ifo == nil) != (footer == nil) {
			t.Fatalf("SplitInto = %x / %x / %v, Split %x / %x / %v", ib, ifo, ierr, body, footer, err)
		}
		if ierr == nil && (&ib[:1][0] != &buf[0] || cap(ib) != len(ib) || cap(ifo) != len(ifo)) {
			t.Fatal("SplitInto did not decode into buf, or left a capacity to append into")
		}
		if a := testing.AllocsPerRun(1, func() { SplitInto(buf, token, header, maxLen, maxFooter) }); a != 0 {
			t.Fatalf("SplitInto with room allocated %v times, want 0", a)
		}
		// And with too little room, exactly Split.
		sb, sf, serr := SplitInto(make([]byte, len(body)/2), token, header, maxLen, maxFooter)
		if serr != err || !bytes.Equal(sb, body) || !bytes.Equal(sf, footer) {
			t.Fatalf("SplitInto (small buf) = %x / %x / %v, Split %x / %x / %v", sb, sf, serr, body, footer, err)
		}

		if err != nil {
			if body != nil || footer != nil {
				t.Fatalf("data returned with error %v", err)
			}
			return
		}
		if len(body) < minBody || len(footer) > maxFooter || cap(body) != len(body) {
			t.Fatalf("accepted body %d bytes (cap %d), footer %d bytes", len(body), cap(body), len(footer))
		}
		if got := assemble(header, body, footer); got != token {
			t.Fatalf("accepted a non-canonical token:\n in  %q\n out %q", token, got)
		}
	})
}

// FuzzDecrypt feeds arbitrary tokens and implicit assertions through
// Split+Decrypt with the vectors' local key: no panic, and anything that
// authenticates must be exactly what encrypt produces for that nonce and
// plaintext (so acceptance implies the token is the one genuine encoding).
func FuzzDecrypt(f *testing.F) {
	vecs := loadVectors(f)
	key := mustKey(f, "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f")
	for _, v := range vecs {
		f.Add(v.Token, []byte(v.Implicit))
		f.Add(v.Token+"A", []byte(v.Implicit))
	}
	for _, s := range seedTokens(f) {
		f.Add(s, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, token string, implicit []byte) {
		body, footer, err := Split(token, LocalHeader, 1<<16, 1<<14)
		if err != nil {
			return
		}
		nonce := bytes.Clone(body[:nonceSize])
		pt, err := Decrypt(key, body, footer, implicit)
		if err != nil {
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("Decrypt after successful Split: %v, want ErrAuth", err)
			}
			return
		}
		if again := encrypt(key, nonce, pt, footer, implicit); again != token {
			t.Fatalf("decrypted token does not re-encrypt to itself:\n in  %s\n out %s", token, again)
		}
	})
}

// FuzzVerify is FuzzDecrypt for v4.public with the vectors' Ed25519 key.
// Because the test holds the secret key and Ed25519 signing is
// deterministic, any token the fuzzer gets accepted must equal our own
// signature over the same inputs.
func FuzzVerify(f *testing.F) {
	var s vector
	for _, v := range loadVectors(f) {
		if v.Name == "4-S-1" {
			s = v
		}
	}
	pub := ed25519.PublicKey(mustHex(f, s.PublicKey))
	priv := ed25519.PrivateKey(mustHex(f, s.SecretKey))
	for _, v := range loadVectors(f) {
		f.Add(v.Token, []byte(v.Implicit))
	}
	for _, tok := range seedTokens(f) {
		f.Add(tok, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, token string, implicit []byte) {
		body, footer, err := Split(token, PublicHeader, 1<<16, 1<<14)
		if err != nil {
			return
		}
		m, err := Verify(pub, body, footer, implicit)
		if err != nil {
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("Verify after successful Split: %v, want ErrAuth", err)
			}
			return
		}
		if again := Sign(priv, m, footer, implicit); again != token {
			t.Fatalf("verified token differs from our signature:\n in  %s\n out %s", token, again)
		}
	})
}
