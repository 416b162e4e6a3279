package paseto

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStrictCustomClaims: custom claims pass the same strict parser as the
// registered ones. A payload with keys equal ignoring case (at any depth),
// duplicate keys or invalid UTF-8 is refused with ErrInvalidClaims at
// verification, so Get, Claim and Custom never see it.
func TestStrictCustomClaims(t *testing.T) {
	t.Parallel()
	ring := mustLocalRing(t)
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: func() time.Time { return epoch }})
	footer := string(ring.footer)

	refused := []struct {
		name  string
		extra string // members appended to a valid payload
		// merges is true when encoding/json would silently keep one of
		// two values for "role" in the struct below: the attack the rule
		// closes.
		merges bool
	}{
		{"top-level case variant", `"role":"user","ROLE":"admin"`, true},
		{"top-level one letter", `"role":"user","rolE":"admin"`, true},
		{"top-level escaped case variant", `"role":"user","\u0052OLE":"admin"`, true},
		{"top-level exact duplicate", `"role":"user","role":"admin"`, true},
		{"top-level escaped duplicate", `"role":"user","\u0072ole":"admin"`, true},
		{"nested case variant", `"profile":{"role":"user","ROLE":"admin"}`, false},
		{"nested duplicate", `"profile":{"role":"user","role":"admin"}`, false},
		{"nested in array", `"groups":[{"id":1},{"id":1,"ID":2}]`, false},
		{"deeply nested", `"a":{"b":{"c":[{"d":{"k":1,"K":2}}]}}`, false},
		{"kelvin sign raw", `"kid":"a","` + "\u212a" + `id":"b"`, false},
		{"kelvin sign escaped", `"kid":"a","\u212aid":"b"`, false},
		{"long s", `"sso":"a","` + "\u017f" + `so":"b"`, false},
		{"case variant of sub", `"SUB":"bob"`, false},
		{"case variant of exp", `"Exp":"2099-01-01T00:00:00Z"`, false},
		{"case variant of type", `"TYPE":"admin"`, false},
		{"invalid UTF-8 in a value", "\"role\":\"adm\xffin\"", false},
		{"invalid UTF-8 in a key", "\"r\xc3le\":\"admin\"", false},
		{"overlong UTF-8", "\"role\":\"\xc0\xaf\"", false},
		{"UTF-16 surrogate as UTF-8", "\"role\":\"\xed\xa0\x80\"", false},
		{"unpaired surrogate escape", `"role":"\ud800"`, false},
		{"unpaired surrogate in key", `"\udc00":"x"`, false},
		{"nested invalid UTF-8", "\"profile\":{\"role\":[\"\xfe\"]}", false},
		{"too deep", `"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40), false},
		{"trailing garbage in value", `"role":"user"}{"x":1`, false},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			payload := payloadJSON(tc.extra)
			c, err := v.Verify(context.Background(), seal(ring, payload, footer))
			if !errors.Is(err, ErrInvalidClaims) || c != nil {
				t.Fatalf("Verify = %v, %v; want ErrInvalidClaims and no claims", c, err)
			}
			// What the rule prevents: encoding/json reads the payload and
			// keeps the last "role" it meets, whatever its case.
			var lax struct {
				Role string `json:"role"`
			}
			if tc.merges && (json.Unmarshal([]byte(payload), &lax) != nil || lax.Role != "admin") {
				t.Errorf("encoding/json read role %q; the row no longer shows a merge", lax.Role)
			}
		})
	}

	accepted := []struct {
		name, extra, claim, want string
	}{
		{"distinct names", `"role":"user","roles":["a"]`, "role", `"user"`},
		{"same key at two depths", `"role":"user","profile":{"role":"admin"}`, "profile", `{"role":"admin"}`},
		{"same key in sibling objects", `"a":[{"id":1},{"id":2}]`, "a", `[{"id":1},{"id":2}]`},
		{"dotted capital I does not fold to i", `"i":"x","` + "\u0130" + `":"y"`, "i", `"x"`},
		{"escaped value", `"role":"us\u0065r"`, "role", `"us\u0065r"`},
		{"non-ASCII value", `"name":"` + "Zo\u00eb" + `"`, "name", `"` + "Zo\u00eb" + `"`},
	}
	for _, tc := range accepted {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), seal(ring, payloadJSON(tc.extra), footer))
			if err != nil {
				t.Fatal(err)
			}
			var raw json.RawMessage
			if err := c.Get(tc.claim, &raw); err != nil || string(raw) != tc.want {
				t.Fatalf("Get(%q) = %s, %v; want %s", tc.claim, raw, err, tc.want)
			}
			if got := c.Custom()[tc.claim]; string(got) != tc.want {
				t.Fatalf("Custom()[%q] = %s", tc.claim, got)
			}
		})
	}
}

// TestCustomClaimsNeedAVerifiedPayload: the custom-claim readers answer
// only from a payload the strict parser accepts. decodeClaims keeps the
// payload only on success, and a Claims holding a refused payload (which
// no code path builds) reads as having no custom claims.
func TestCustomClaimsNeedAVerifiedPayload(t *testing.T) {
	t.Parallel()
	var c Claims
	if err := decodeClaims([]byte(payloadJSON(`"role":"user","ROLE":"admin"`)), &c); !errors.Is(err, ErrInvalidClaims) {
		t.Fatalf("decodeClaims = %v", err)
	}
	if c.payload != nil {
		t.Fatal("decodeClaims kept a refused payload")
	}
	for _, payload := range []string{
		payloadJSON(`"role":"user","ROLE":"admin"`),
		payloadJSON(`"role":"user","role":"admin"`),
		payloadJSON("\"role\":\"\xff\""),
		`{"role":"admin"`,
	} {
		c := &Claims{payload: []byte(payload)}
		if c.Has("role") || len(c.Custom()) != 0 {
			t.Errorf("%q: Has/Custom read a refused payload: %v", payload, c.Custom())
		}
		if r, err := Claim[string](c, "role"); !errors.Is(err, ErrClaimNotFound) {
			t.Errorf("%q: Claim = %q, %v; want ErrClaimNotFound", payload, r, err)
		}
	}
	var nilClaims *Claims
	if nilClaims.Has("role") || len(nilClaims.Custom()) != 0 {
		t.Error("nil Claims has custom claims")
	}
}

// TestIssueRefusesUnverifiableClaims: the Issuer refuses custom claims the
// Verifier would refuse, instead of minting a token that cannot verify.
func TestIssueRefusesUnverifiableClaims(t *testing.T) {
	t.Parallel()
	iss := mustIssuer(t, mustLocalRing(t), TypeAccess, IssuerConfig{})
	type twoCases struct {
		Lower string `json:"x"`
		Upper string `json:"X"`
	}
	deep := any("leaf")
	for range 40 {
		deep = []any{deep}
	}
	for name, tc := range map[string]struct {
		claims map[string]any
		want   error
	}{
		"reserved name upper case":      {map[string]any{"EXP": 1}, ErrReservedClaim},
		"reserved name mixed case":      {map[string]any{"Sub": "bob"}, ErrReservedClaim},
		"reserved name long s":          {map[string]any{"\u017fub": "bob"}, ErrReservedClaim},
		"reserved name long s in scope": {map[string]any{"\u017fCOPE": "x"}, ErrReservedClaim},
		"names equal ignoring case":     {map[string]any{"role": "user", "ROLE": "admin"}, ErrConfig},
		"nested map case variants":      {map[string]any{"p": map[string]any{"a": 1, "A": 2}}, ErrConfig},
		"struct tags differing in case": {map[string]any{"p": twoCases{"a", "b"}}, ErrConfig},
		"raw message duplicate":         {map[string]any{"p": json.RawMessage(`{"a":1,"a":2}`)}, ErrConfig},
		"raw message invalid UTF-8":     {map[string]any{"p": json.RawMessage("\"\xff\"")}, ErrConfig},
		"too deep":                      {map[string]any{"p": deep}, ErrConfig},
	} {
		tok, c, err := iss.Issue(Template{Subject: "alice", Claims: tc.claims})
		if !errors.Is(err, tc.want) || tok != "" || c != nil {
			t.Errorf("%s: Issue = %q, %v, %v; want %v", name, tok, c, err, tc.want)
		}
	}
	// Names that merely resemble a reserved one are fine.
	if _, _, err := iss.Issue(Template{Subject: "alice", Claims: map[string]any{"subject": 1, "expires": 2, "\u0130ss": 3}}); err != nil {
		t.Errorf("look-alike names: %v", err)
	}
}

// TestReservedClaimsIsACopy: ReservedClaims hands out a fresh slice, so no
// caller can change what the package refuses.
func TestReservedClaimsIsACopy(t *testing.T) {
	t.Parallel()
	names := ReservedClaims()
	want := slices.Clone(names)
	names[0] = "not-reserved"
	if got := ReservedClaims(); !slices.Equal(got, want) {
		t.Fatalf("ReservedClaims changed to %v", got)
	}
	iss := mustIssuer(t, mustLocalRing(t), TypeAccess, IssuerConfig{})
	if _, _, err := iss.Issue(Template{Subject: "a", Claims: map[string]any{want[0]: "x"}}); !errors.Is(err, ErrReservedClaim) {
		t.Fatalf("%q after changing the copy: %v", want[0], err)
	}
	for _, name := range want {
		if !reserved(name) || !reservedFold(strings.ToUpper(name)) {
			t.Errorf("%q is not reserved", name)
		}
	}
}

// The fast path of parseTime accepts only what time.Parse accepts, with
// the same instant, and leaves every other string to the general path.
func TestParseTimeFastPath(t *testing.T) {
	cases := []string{
		"2026-12-02T03:04:05Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2023-04-31T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z",
		"2026-01-01t00:00:00Z", "2026-01-01T00:00:00z", "2026-01-01T00:00:0aZ",
		"+026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", "2026-1-01T00:00:00Z",
		"2026-01-01 00:00:00Z", "2026-01-01T00:00:00.5Z",
		// The leap-year rule at its edges, year 0 included (leap in the
		// proleptic Gregorian calendar), and the days-from-civil
		// arithmetic around the March start of its computing year.
		"1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
		"0000-02-29T00:00:00Z", "0001-02-29T00:00:00Z", "0000-03-01T00:00:00Z",
		"0000-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
		"1970-02-28T00:00:00Z", "1970-03-01T00:00:00Z", "2400-02-29T00:00:00Z",
		// Bytes just outside '0'..'9' in digit positions.
		"2026-01-01T0/:00:00Z", "2026-01-01T0::00:00Z", "/026-01-01T00:00:00Z",
		"2026-0:-01T00:00:00Z", "2026-01-01T00:00:0/Z", "2026-01-\x001T00:00:00Z",
		"2026-01-32T00:00:00Z", "2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z",
		"2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z", "2026-12-31T00:00:00Z",
	}
	// A spread of instants over the whole four-digit range.
	for sec := int64(-62167219200); sec < 253402300800; sec += 7777777 {
		cases = append(cases, time.Unix(sec, 0).UTC().Format(time.RFC3339))
	}
	// Every day of a leap and a common year, and every second of a day
	// at minute granularity.
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2025; d = d.Add(24 * time.Hour) {
		cases = append(cases, d.Format(time.RFC3339))
	}
	for m := 0; m < 24*60; m++ {
		cases = append(cases, time.Date(2026, 1, 1, 0, m, m%60, 0, time.UTC).Format(time.RFC3339))
	}
	for _, s := range cases {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseTimeUTCSeconds(s)
		if ok && (err != nil || !got.Equal(want) || got != want.UTC()) {
			t.Fatalf("%q: fast path %v, time.Parse %v, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) == 20 && s[19] == 'Z' {
			t.Fatalf("%q: fast path refused what time.Parse accepts", s)
		}
	}
}
