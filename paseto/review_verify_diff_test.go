package paseto

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// Review of the verify-path performance merge (3881d9b): the claims
// decoder must accept exactly the payloads the decoder before it (f88feca)
// accepted, with the same Claims. f88feca's decodeClaims and
// parseTimeUTCSeconds are kept below verbatim (renamed) as the oracle.

func f88DecodeClaims(payload []byte, c *Claims) error {
	var haveExp bool
	src := string(payload)
	str := func(k []byte, v strictjson.Value) (string, error) {
		if v.Kind != strictjson.KindString {
			return "", fmt.Errorf("%w: %q must be a string", ErrInvalidClaims, k)
		}
		return v.StringIn(src, payload)
	}
	err := strictjson.Object(payload, payloadLimits, func(k []byte, v strictjson.Value) error {
		var err error
		switch string(k) {
		case ClaimIssuer:
			c.Issuer, err = str(k, v)
		case ClaimSubject:
			c.Subject, err = str(k, v)
		case ClaimAudience:
			c.Audience, err = str(k, v)
		case ClaimTokenID:
			c.ID, err = str(k, v)
		case ClaimType:
			c.Type, err = str(k, v)
		case ClaimSession:
			c.Session, err = str(k, v)
		case ClaimCSRF:
			c.CSRF, err = str(k, v)
		case ClaimScope:
			var scope string
			if scope, err = str(k, v); err == nil {
				c.Scopes, err = parseScope(scope)
			}
		case ClaimExpiration:
			c.Expiration, err = f88TimeClaim(k, v, str)
			haveExp = true
		case ClaimNotBefore:
			c.NotBefore, err = f88TimeClaim(k, v, str)
		case ClaimIssuedAt:
			c.IssuedAt, err = f88TimeClaim(k, v, str)
		case ClaimAuthTime:
			c.AuthTime, err = f88TimeClaim(k, v, str)
		case ClaimFresh:
			if v.Kind != strictjson.KindBool {
				return fmt.Errorf("%w: %q must be a boolean", ErrInvalidClaims, k)
			}
			c.Fresh, err = v.Bool()
		default:
			c.hasCustom = true
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrInvalidClaims) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrInvalidClaims, err)
	}
	switch {
	case !haveExp:
		return fmt.Errorf("%w: exp is required", ErrInvalidClaims)
	case c.ID == "":
		return fmt.Errorf("%w: jti is required", ErrInvalidClaims)
	case c.Type == "":
		return fmt.Errorf("%w: type is required", ErrInvalidClaims)
	}
	c.payload = payload
	return nil
}

func f88TimeClaim(k []byte, v strictjson.Value, str func([]byte, strictjson.Value) (string, error)) (time.Time, error) {
	if v.Kind != strictjson.KindString {
		return time.Time{}, fmt.Errorf("%w: %q must be an RFC 3339 string", ErrInvalidClaims, k)
	}
	s, err := str(k, v)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := f88ParseTime(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: %q is not an RFC 3339 date-time", ErrInvalidClaims, k)
	}
	return t, nil
}

func f88ParseTime(s string) (time.Time, bool) {
	if t, ok := f88ParseTimeUTCSeconds(s); ok {
		return t, true
	}
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	if last := s[len(s)-1]; last != 'Z' {
		if len(s) < 25 || (s[len(s)-6] != '+' && s[len(s)-6] != '-') || s[len(s)-3] != ':' ||
			s[len(s)-5] > '2' || (s[len(s)-5] == '2' && s[len(s)-4] > '3') || s[len(s)-2] > '5' {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func f88ParseTimeUTCSeconds(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	ok := true
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			ok = ok && '0' <= c && c <= '9'
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if !ok || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// reviewPayloads are hostile claims payloads around the fast path's edges.
func reviewPayloads() []string {
	const base = `"jti":"j","type":"access","exp":"2026-01-01T00:00:00Z"`
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	add(`{`+base+`}`, `{`+base+`,"sub":"u"}`, `{"sub":"u",`+base+`}`)
	// Duplicates, exact and case-folded, registered and custom.
	add(`{`+base+`,"sub":"a","sub":"b"}`, `{`+base+`,"sub":"a","SUB":"b"}`, `{`+base+`,"Sub":"a"}`,
		`{`+base+`,"exp":"2027-01-01T00:00:00Z"}`, `{`+base+`,"EXP":"2027-01-01T00:00:00Z"}`,
		`{`+base+`,"fresh":true,"fresh":false}`, `{`+base+`,"fresh":true,"FRESH":false}`,
		`{`+base+`,"ſub":"x"}`, `{`+base+`,"K":"a","\u212a":"b"}`, `{`+base+`,"s\u0075b":"x"}`,
		`{`+base+`,"\u0073ub":"x","sub":"y"}`, `{`+base+`,"jti":"k"}`, `{`+base+`,"type":"refresh"}`)
	// Escapes and unicode in values.
	add(`{`+base+`,"sub":"a\"b"}`, `{`+base+`,"sub":"a\\b"}`, `{`+base+`,"sub":"\u0061"}`,
		`{`+base+`,"sub":"\ud800"}`, `{`+base+`,"sub":"\ud83d\ude00"}`, `{`+base+`,"sub":"é"}`,
		`{`+base+`,"sub":"`+"\x7f"+`"}`, `{`+base+`,"sub":"`+"\x1f"+`"}`, `{`+base+`,"sub":"`+"\xff"+`"}`,
		`{`+base+`,"sub":"`+"\xc0\xaf"+`"}`, `{`+base+`,"sub":""}`, `{"jti":"","type":"access","exp":"2026-01-01T00:00:00Z"}`,
		`{"jti":"j","type":"","exp":"2026-01-01T00:00:00Z"}`, `{"jti":"j","type":"access"}`,
		`{"jti":"\u006a","type":"access","exp":"2026-01-01T00:00:00\u005a"}`)
	// Whitespace, trailing bytes, odd structure.
	add(`{ `+base+`}`, `{`+base+` }`, ` {`+base+`}`, `{`+base+`} `, `{`+base+"}\n", `{`+base+`}}`,
		`{`+base+`,}`, `{,`+base+`}`, `{`+base+`}{}`, `{`+base+`,"fresh":truex}`, `{`+base+`,"fresh":tru}`,
		`{`+base+`,"fresh":"true"}`, `{`+base+`,"fresh":null}`, `{`+base+`,"sub":null}`, `{`+base+`,"sub":1}`,
		`{`+base+`,"x":{"a":1,"A":2}}`, `{`+base+`,"x":[1,2]}`, `{`+base+`,"x":1}`, `{}`, `{"":""}`, `[]`, ``, `{`,
		`{`+base+`,"fresh":true}`, `{`+base+`,"fresh":false}`, `{`+base+`,"fresh" :true}`, `{`+base+`,"sub":"u"`+"\x00"+`}`)
	// Times: leap seconds, year 0 and 9999, offsets, fractions, lower case.
	for _, tm := range []string{
		"2026-01-01T00:00:00Z", "2026-12-31T23:59:60Z", "2016-12-31T23:59:60Z", "0000-01-01T00:00:00Z",
		"0000-02-29T00:00:00Z", "9999-12-31T23:59:59Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-04-31T00:00:00Z", "2024-00-10T00:00:00Z",
		"2024-13-10T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z",
		"2024-01-01t00:00:00z", "2024-01-01T00:00:00z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00",
		"2024-01-01T00:00:00-00:00", "2024-01-01T00:00:00+23:59", "2024-01-01T00:00:00+24:00",
		"2024-01-01T00:00:00-12:30", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
		"2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.000000000Z", "2024-01-01T00:00:00.Z",
		"+024-01-01T00:00:00Z", "-024-01-01T00:00:00Z", "2024-1-01T00:00:00Z", "2024-01-01T00:00:0Z",
		"2024-01-01T00:00:00", "2024-01-01T00:00:00ZZ", "20240101T000000Z", "2024-01-01T00:00:00+0000",
		"2024-01-01T0:000:00Z", "2024-01-01T00:00:00+01:60", "2024-01-01T00:00:00Z ", "２024-01-01T00:00:00Z",
		"2024-01-01T00:00:00\u005a", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
		"2024-01-01T00:00:00/0Z", "2024-0:-01T00:00:00Z", "20:4-01-01T00:00:00Z",
	} {
		for _, claim := range []string{"exp", "iat", "nbf", "auth_time"} {
			if claim == "exp" {
				add(`{"jti":"j","type":"access","exp":"` + tm + `"}`)
				continue
			}
			add(`{` + base + `,"` + claim + `":"` + tm + `"}`)
		}
	}
	// Scopes.
	for _, sc := range []string{"a b", "a  b", " a", "a ", "", "a\\\"b", "a\tb", "a\u0020b", "read:*", "a\x7fb", "a\"b", "!", "~", "a b a"} {
		add(`{` + base + `,"scope":"` + sc + `"}`)
	}
	// Payloads at the fast path's word edges: string lengths 0 to 17.
	for n := range 18 {
		add(`{` + base + `,"sub":"` + strings.Repeat("x", n) + `"}`)
		add(`{` + base + `,"sub":"` + strings.Repeat("x", n) + `\"}`)
		add(`{` + base + `,"sub":"` + strings.Repeat("x", n) + "\x80" + `"}`)
	}
	return out
}

// compareDecoders fails t if decodeClaims and f88feca's decoder disagree
// on payload: acceptance, every claim (times compared with ==, location
// included), custom claims.
func compareDecoders(t *testing.T, payload string) {
	t.Helper()
	var got, want Claims
	gerr := decodeClaims([]byte(payload), &got)
	werr := f88DecodeClaims([]byte(payload), &want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("payload %q: decodeClaims err = %v, f88feca err = %v", payload, gerr, werr)
	}
	if gerr != nil {
		if !errors.Is(gerr, ErrInvalidClaims) {
			t.Fatalf("payload %q: error %v is not ErrInvalidClaims", payload, gerr)
		}
		return
	}
	if got.hasCustom != want.hasCustom {
		t.Fatalf("payload %q: hasCustom %v, f88feca %v", payload, got.hasCustom, want.hasCustom)
	}
	gc, wc := got.Custom(), want.Custom()
	if !reflect.DeepEqual(gc, wc) {
		t.Fatalf("payload %q: Custom() = %v, f88feca %v", payload, gc, wc)
	}
	got.payload, want.payload = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload %q:\n got %#v\nwant %#v", payload, got, want)
	}
}

// TestReviewDecodeClaimsMatchesF88feca runs the hostile payloads through
// both decoders.
func TestReviewDecodeClaimsMatchesF88feca(t *testing.T) {
	for _, p := range reviewPayloads() {
		compareDecoders(t, p)
	}
	for _, p := range issuedPayloads(t) {
		compareDecoders(t, p)
	}
}

// TestReviewParseTimeMatchesF88feca compares the hand-rolled RFC 3339
// reader with f88feca's (time.Date based) on every day of years 0 to 3 and
// 1968 to 2101 and 9996 to 9999, on invalid days, and on every
// hour/minute/second edge.
func TestReviewParseTimeMatchesF88feca(t *testing.T) {
	check := func(s string) {
		g, gok := parseTime(s)
		w, wok := f88ParseTime(s)
		if gok != wok || g != w {
			t.Fatalf("parseTime(%q) = %v, %v; f88feca %v, %v", s, g, gok, w, wok)
		}
	}
	var years []int
	for y := 0; y <= 3; y++ {
		years = append(years, y)
	}
	for y := 1968; y <= 2101; y++ {
		years = append(years, y)
	}
	years = append(years, 2400, 9996, 9997, 9998, 9999)
	for _, y := range years {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d-%02d-%02dT12:34:56Z", y, m, d))
			}
		}
	}
	for _, hms := range [][3]int{{0, 0, 0}, {23, 59, 59}, {23, 59, 60}, {24, 0, 0}, {0, 60, 0}, {99, 99, 99}} {
		check(fmt.Sprintf("2024-02-29T%02d:%02d:%02dZ", hms[0], hms[1], hms[2]))
		check(fmt.Sprintf("0000-01-01T%02d:%02d:%02dZ", hms[0], hms[1], hms[2]))
		check(fmt.Sprintf("9999-12-31T%02d:%02d:%02dZ", hms[0], hms[1], hms[2]))
	}
	// Every byte value at every position of an otherwise valid time.
	const valid = "2024-02-29T23:59:59Z"
	for i := range len(valid) {
		for c := range 256 {
			b := []byte(valid)
			b[i] = byte(c)
			check(string(b))
		}
	}
}

// FuzzReviewDecodeClaims differential-fuzzes decodeClaims against
// f88feca's decoder.
func FuzzReviewDecodeClaims(f *testing.F) {
	for _, p := range reviewPayloads() {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		compareDecoders(t, payload)
	})
}

// FuzzReviewParseTime differential-fuzzes parseTime against f88feca's.
func FuzzReviewParseTime(f *testing.F) {
	f.Add("2024-02-29T23:59:59Z")
	f.Add("0000-01-01T00:00:00Z")
	f.Add("9999-12-31T23:59:59-01:00")
	f.Fuzz(func(t *testing.T, s string) {
		g, gok := parseTime(s)
		w, wok := f88ParseTime(s)
		if gok != wok || g != w {
			t.Fatalf("parseTime(%q) = %v, %v; f88feca %v, %v", s, g, gok, w, wok)
		}
	})
}
