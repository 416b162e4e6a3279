package paseto

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestPlainString compares plainString's eight-bytes-at-a-time scan with
// the byte rule, for every byte value at every position of strings up to
// 24 bytes (three words and a tail) and on backgrounds of harmless bytes
// next to the flagged values, with the closing quote after them: it must
// stop at the first byte that is not plain, and report true only when
// that byte is the quote.
func TestPlainString(t *testing.T) {
	plain := func(b byte) bool { return b >= 0x20 && b < 0x80 && b != '"' && b != '\\' }
	ref := func(b []byte) (int, bool) {
		for i, c := range b {
			if !plain(c) {
				return i, c == '"'
			}
		}
		return 0, false
	}
	for _, bg := range []byte{'a', ' ', 0x7F, '!', '#', '[', ']'} {
		for n := 1; n <= 24; n++ {
			for i := range n {
				for c := range 256 {
					s := []byte(strings.Repeat(string(bg), n) + `"` + "tail")
					s[i] = byte(c)
					gi, gok := plainString(s, 0)
					wi, wok := ref(s)
					if gi != wi || gok != wok {
						t.Fatalf("plainString(%q) = %d, %v; want %d, %v", s, gi, gok, wi, wok)
					}
				}
			}
		}
	}
	// Two flagged bytes next to each other (a borrow from the first must
	// not hide it), and no closing quote at all.
	for _, s := range []string{"\x1f\x20aaaaaa\"", "aaaaaa\x00\x20aa\"", "\x00\x21aaaaaaaa\"", "aaaaaaa\x1f\"", "\x80\x7faaaaaa\"", "aaaaaaaaaaaa"} {
		gi, gok := plainString([]byte(s), 0)
		wi, wok := ref([]byte(s))
		if gi != wi || gok != wok {
			t.Fatalf("plainString(%q) = %d, %v; want %d, %v", s, gi, gok, wi, wok)
		}
	}
}

// issuedPayloads are payloads as the Issuer writes them.
func issuedPayloads(t testing.TB) []string {
	clock := func() time.Time { return epoch }
	var out []string
	for _, tpl := range []Template{
		{Subject: "user-1234", Session: "s-AAAAAAAAAAAAAAAAAAAAAA", Fresh: true},
		{Subject: "u", Scopes: []string{"read", "write", "admin:*"}, AuthTime: epoch.Add(-time.Hour)},
		{Subject: `a "quoted" \ subject`},
		{Subject: "ünïcode"},
		{Subject: "u", Claims: map[string]any{"role": "admin"}},
		{Subject: "x", Scopes: []string{"a"}, Fresh: false},
	} {
		for _, cfg := range []IssuerConfig{{}, {Issuer: "https://api.example.com", Audience: "api"}} {
			cfg.Clock = clock
			iss := mustIssuer(t, mustLocalRing(t), TypeAccess, cfg)
			_, c, err := iss.Issue(tpl)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(c.payload))
		}
	}
	return out
}

// checkIssued runs both decoders on payload and fails unless anything
// decodeIssued accepts is accepted by the strict parser with the same
// Claims, and decodeClaims answers exactly as the strict parser. It
// reports whether the fast path took the payload.
func checkIssued(t *testing.T, payload string) bool {
	t.Helper()
	var fast, strict, whole Claims
	ok := decodeIssued([]byte(payload), payload, &fast)
	err := decodeStrict([]byte(payload), payload, &strict)
	if ok && (err != nil || !reflect.DeepEqual(fast, strict)) {
		t.Fatalf("%q: fast path accepted %+v, strict parser %+v, %v", payload, fast, strict, err)
	}
	werr := decodeClaims([]byte(payload), &whole)
	if (werr == nil) != (err == nil) || (err != nil && werr.Error() != err.Error()) || (err == nil && !reflect.DeepEqual(whole, strict)) {
		t.Fatalf("%q: decodeClaims %+v, %v; strict parser %+v, %v", payload, whole, werr, strict, err)
	}
	return ok
}

// TestDecodeIssued: the fast path takes what the Issuer writes (custom
// claims and escaped strings excepted, which it leaves to the strict
// parser), and every near miss, each of which it must leave to the strict
// parser, gets the strict parser's answer.
func TestDecodeIssued(t *testing.T) {
	for _, p := range issuedPayloads(t) {
		custom := strings.Contains(p, `"role"`) || strings.Contains(p, `\`) || strings.Contains(p, "ü")
		if took := checkIssued(t, p); took == custom {
			t.Errorf("%q: fast path took it: %v", p, took)
		}
	}
	base := `{"sub":"u","jti":"j","type":"access","exp":"2026-01-01T00:00:00Z"}`
	for _, p := range []string{
		base,
		// Each of these is the strict parser's to decide.
		` ` + base, base + ` `, base + `x`, strings.Replace(base, `,`, ` ,`, 1),
		strings.Replace(base, `:`, ` :`, 1), strings.Replace(base, `"u"`, `"\u0075"`, 1),
		strings.Replace(base, `"sub"`, `"\u0073ub"`, 1), strings.Replace(base, `"sub"`, `"SUB"`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":"u","sub":"v"`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":"u","SUB":"v"`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":1`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":null`, 1),
		strings.Replace(base, `"sub":"u"`, `"fresh":"true"`, 1),
		strings.Replace(base, `"sub":"u"`, `"fresh":truex`, 1),
		strings.Replace(base, `"sub":"u"`, `"fresh":tru`, 1),
		strings.Replace(base, `"sub":"u"`, `"fresh":false`, 1),
		strings.Replace(base, `"sub":"u"`, `"scope":"a  b"`, 1),
		strings.Replace(base, `"sub":"u"`, `"scope":""`, 1),
		strings.Replace(base, `"sub":"u"`, `"scope":"a b"`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":"u\u0000"`, 1),
		strings.Replace(base, `"sub":"u"`, "\"sub\":\"u\x01\"", 1),
		strings.Replace(base, `"sub":"u"`, "\"sub\":\"\xff\"", 1),
		strings.Replace(base, `"sub":"u"`, "\"sub\":\"é\"", 1),
		strings.Replace(base, `"sub":"u"`, `"sub":"u","role":"x"`, 1),
		strings.Replace(base, `"sub":"u"`, `"sub":"u","x":{}`, 1),
		strings.Replace(base, `2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.5Z`, 1),
		strings.Replace(base, `2026-01-01T00:00:00Z`, `2026-01-01T01:00:00+01:00`, 1),
		strings.Replace(base, `2026-01-01T00:00:00Z`, `2026-02-30T00:00:00Z`, 1),
		strings.Replace(base, `"exp":"2026-01-01T00:00:00Z"`, `"exp":1767225600`, 1),
		strings.Replace(base, `,"exp":"2026-01-01T00:00:00Z"`, ``, 1),
		strings.Replace(base, `"jti":"j",`, ``, 1),
		strings.Replace(base, `"jti":"j"`, `"jti":""`, 1),
		strings.Replace(base, `"type":"access"`, `"type":""`, 1),
		strings.Replace(base, `}`, `,}`, 1),
		`{}`, `{`, `}`, ``, `{"sub"}`, `{"sub":}`, `{"sub":"u"`, `{"sub":"u}`, `{"sub:"u"}`, `[]`,
		base[:len(base)-1], base + `}`, `{,` + base[1:],
	} {
		checkIssued(t, p)
	}
	if !checkIssued(t, base) {
		t.Fatal("fast path refused a plain payload")
	}
}

// FuzzDecodeIssued: on any payload, whatever the fast path accepts the
// strict parser accepts with the same Claims, and decodeClaims answers as
// the strict parser does.
func FuzzDecodeIssued(f *testing.F) {
	for _, p := range issuedPayloads(f) {
		f.Add(p)
	}
	f.Add(`{"sub":"u","jti":"j","type":"access","exp":"2026-01-01T00:00:00Z","fresh":true,"scope":"a b"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		checkIssued(t, payload)
	})
}
