package paseto

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

func payloadJSON(extra string) string {
	// A complete, valid claims object for epoch; extra members are appended
	// (or replace nothing: duplicates are the point of some cases).
	base := `{"sub":"alice","jti":"AAAAAAAAAAAAAAAAAAAAAA","type":"access","iat":"2026-11-23T12:00:00Z","nbf":"2026-11-23T12:00:00Z","exp":"2026-11-23T12:15:00Z"`
	if extra != "" {
		base += "," + extra
	}
	return base + "}"
}

func replaceClaim(name, value string) string {
	p := payloadJSON("")
	i := strings.Index(p, `"`+name+`":`)
	j := i + len(name) + 3
	end := strings.IndexAny(p[j:], ",}")
	return p[:j] + value + p[j+end:]
}

func dropClaim(name string) string {
	p := payloadJSON("")
	i := strings.Index(p, `"`+name+`":`)
	end := strings.IndexAny(p[i:], ",}")
	if p[i+end] == ',' {
		return p[:i] + p[i+end+1:]
	}
	return p[:i-1] + "}"
}

// mutateTrailingBits changes the last character of s to one that the lax
// decoder maps to the same bytes: only the unused trailing bits differ.
func mutateTrailingBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	want, _ := base64.RawURLEncoding.DecodeString(s)
	for _, c := range alphabet {
		m := s[:len(s)-1] + string(c)
		if m == s {
			continue
		}
		if got, err := base64.RawURLEncoding.DecodeString(m); err == nil && string(got) == string(want) {
			return m
		}
	}
	return ""
}

// TestVerifyAdversarial is the table of hostile tokens from
// shared/reference/paseto-security.md §5: each must fail with exactly the
// sentinel given, and never with a claim error before the crypto passed.
func TestVerifyAdversarial(t *testing.T) {
	clock := newTestClock(epoch)
	accessKey, refreshKey, otherKey := GenerateSymmetricKey(), GenerateSymmetricKey(), GenerateSymmetricKey()
	ring := mustLocalRing(t, accessKey)
	refreshRing := mustLocalRing(t, refreshKey)
	otherRing := mustLocalRing(t, otherKey)
	sk := GenerateSecretKey()
	pubRing := mustPublicRing(t, sk)

	access := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now})
	good := mustIssue(t, access, Template{Subject: "alice"})
	goodPublic := mustIssue(t, mustIssuer(t, pubRing, TypeAccess, IssuerConfig{Clock: clock.Now}), Template{Subject: "alice"})
	refresh := mustIssue(t, mustIssuer(t, refreshRing, TypeRefresh, IssuerConfig{Clock: clock.Now}), Template{Subject: "alice", Session: "s1"})
	sameKeyRefresh := mustIssue(t, mustIssuer(t, ring, TypeRefresh, IssuerConfig{Clock: clock.Now}), Template{Subject: "alice"})
	footer := ring.footer
	footerB64 := base64.RawURLEncoding.EncodeToString(footer)
	payloadSeg := good[len("v4.local.") : len(good)-len(footerB64)-1]
	noFooter := "v4.local." + payloadSeg
	otherKidToken := mustIssue(t, mustIssuer(t, otherRing, TypeAccess, IssuerConfig{Clock: clock.Now}), Template{Subject: "alice"})
	otherPayloadSeg := strings.Split(otherKidToken, ".")[2]

	craft := func(payload string) string { return seal(ring, payload, string(footer)) }
	craftFooter := func(f string) string { return seal(ring, payloadJSON(""), f) }
	expiredForged := func() string {
		tok := craft(replaceClaim("exp", `"2020-01-01T00:00:00Z"`))
		b := []byte(tok)
		i := len("v4.local.") + 50
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}()

	type tc struct {
		name    string
		token   string
		verify  *Verifier // default: access verifier on ring at epoch
		want    error
		wantNot error
	}
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now})
	vLeeway := func(d time.Duration) *Verifier {
		return mustVerifier(t, ring, TypeAccess, VerifierConfig{Leeway: 30 * time.Second, Clock: clock.at(d)})
	}
	exp := 15 * time.Minute
	cases := []tc{
		// Type confusion.
		{name: "type/refresh token under its own key on access route", token: refresh, want: ErrInvalid},
		{name: "type/refresh token under the access key", token: sameKeyRefresh, want: ErrWrongType},
		{name: "type/access token to refresh verifier", token: good, verify: mustVerifier(t, ring, TypeRefresh, VerifierConfig{Clock: clock.Now}), want: ErrWrongType},
		{name: "type/custom type claim", token: craft(replaceClaim("type", `"email_confirm"`)), want: ErrWrongType},
		// Purpose and version confusion.
		{name: "purpose/v4.public token to v4.local verifier", token: goodPublic, want: ErrMalformed},
		{name: "purpose/v4.local token to v4.public verifier", token: good, verify: mustVerifier(t, pubRing, TypeAccess, VerifierConfig{Clock: clock.Now}), want: ErrMalformed},
		{name: "version/v3.local header", token: "v3.local." + good[9:], want: ErrMalformed},
		{name: "version/v2.local header", token: "v2.local." + good[9:], want: ErrMalformed},
		{name: "version/upper-case V4", token: "V4.local." + good[9:], want: ErrMalformed},
		{name: "version/upper-case LOCAL", token: "v4.LOCAL." + good[9:], want: ErrMalformed},
		{name: "version/v4c header", token: "v4c.local." + good[9:], want: ErrMalformed},
		{name: "purpose/public key bytes used as a local key", token: seal(mustLocalRing(t, mustSymmetric(t, sk.Public().Bytes())), payloadJSON(""), ""), want: ErrInvalid},
		// Tampering.
		{name: "tamper/payload byte", token: flipChar(good, len("v4.local.")+40), want: ErrInvalid},
		{name: "tamper/tag byte", token: flipChar(good, len("v4.local.")+len(payloadSeg)-5), want: ErrInvalid},
		{name: "tamper/footer from another key", token: "v4.local." + payloadSeg + "." + strings.Split(otherKidToken, ".")[3], want: ErrInvalid},
		{name: "tamper/payload from another token, same footer", token: "v4.local." + otherPayloadSeg + "." + footerB64, want: ErrInvalid},
		{name: "tamper/footer stripped", token: noFooter, want: ErrInvalid},
		{name: "tamper/forged and expired reports the crypto failure", token: expiredForged, want: ErrInvalid, wantNot: ErrExpired},
		// Malleability and canonical form.
		{name: "canonical/empty footer segment", token: noFooter + ".", want: ErrMalformed},
		{name: "canonical/trailing dot after footer", token: good + ".", want: ErrMalformed},
		{name: "canonical/newline inside payload", token: good[:30] + "\n" + good[30:], want: ErrMalformed},
		{name: "canonical/carriage return inside payload", token: good[:30] + "\r" + good[30:], want: ErrMalformed},
		{name: "canonical/space inside payload", token: good[:30] + " " + good[30:], want: ErrMalformed},
		{name: "canonical/padding appended", token: good + "=", want: ErrMalformed},
		{name: "canonical/padding on payload", token: "v4.local." + payloadSeg + "==." + footerB64, want: ErrMalformed},
		{name: "canonical/trailing bits on footer", token: "v4.local." + payloadSeg + "." + mutateTrailingBits(footerB64), want: ErrMalformed},
		{name: "canonical/standard base64 alphabet", token: strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+", want: ErrMalformed},
		// Key IDs.
		{name: "kid/unknown key", token: seal(otherRing, payloadJSON(""), string(footer)), want: ErrInvalid},
		{name: "kid/footer names another key", token: craftFooter(string(otherRing.footer)), want: ErrInvalid},
		{name: "kid/public key id on local ring", token: craftFooter(`{"kid":"` + strings.Replace(ring.currentID, "k4.lid.", "k4.pid.", 1) + `"}`), want: ErrInvalid},
		{name: "kid/wrong length", token: craftFooter(`{"kid":"` + ring.currentID[:50] + `"}`), want: ErrInvalid},
		{name: "kid/in-band key instead of id", token: craftFooter(`{"kid":"` + accessKey.PASERK() + `"}`), want: ErrInvalid},
		{name: "kid/escaped id", token: craftFooter(`{"kid":"k4.lid\u002e` + ring.currentID[7:] + `"}`), want: ErrInvalid},
		{name: "kid/missing", token: craftFooter(`{"x":"y"}`), want: ErrMalformed},
		{name: "kid/not a string", token: craftFooter(`{"kid":42}`), want: ErrMalformed},
		{name: "footer/wpk member", token: craftFooter(`{"kid":"` + ring.currentID + `","wpk":"k4.local-wrap.pie.x"}`), want: ErrMalformed},
		{name: "footer/duplicate kid", token: craftFooter(`{"kid":"` + ring.currentID + `","kid":"` + ring.currentID + `"}`), want: ErrMalformed},
		{name: "footer/nested", token: craftFooter(`{"kid":{"kid":"x"}}`), want: ErrMalformed},
		{name: "footer/deeply nested", token: craftFooter(strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)), want: ErrMalformed},
		{name: "footer/not JSON", token: craftFooter("arbitrary-string-that-isn't-json"), want: ErrMalformed},
		{name: "footer/over 512 bytes", token: craftFooter(`{"kid":"` + ring.currentID + `","p":"` + strings.Repeat("x", 500) + `"}`), want: ErrMalformed},
		// Time claims around the leeway edges (leeway 30s, exp = epoch+15m).
		{name: "time/at exp", token: good, verify: vLeeway(exp), want: nil},
		{name: "time/at exp plus leeway", token: good, verify: vLeeway(exp + 30*time.Second), want: nil},
		{name: "time/1ns past exp plus leeway", token: good, verify: vLeeway(exp + 30*time.Second + 1), want: ErrExpired},
		{name: "time/1ns past exp without leeway", token: good, verify: mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.at(exp + 1)}), want: ErrExpired},
		{name: "time/nbf within leeway", token: craft(replaceClaim("nbf", `"2026-11-23T12:00:30Z"`)), verify: vLeeway(0), want: nil},
		{name: "time/nbf beyond leeway", token: craft(replaceClaim("nbf", `"2026-11-23T12:00:31Z"`)), verify: vLeeway(0), want: ErrNotYetValid},
		{name: "time/iat beyond leeway", token: craft(replaceClaim("iat", `"2026-11-23T12:00:31Z"`)), verify: vLeeway(0), want: ErrNotYetValid},
		{name: "time/before nbf without leeway", token: good, verify: mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.at(-1)}), want: ErrNotYetValid},
		{name: "time/fractional seconds and offset accepted", token: craft(replaceClaim("exp", `"2026-11-23T07:15:00.999-05:00"`)), want: nil},
		{name: "time/auth_time in the future", token: craft(payloadJSON(`"auth_time":"2026-11-23T13:00:00Z"`)), want: ErrInvalidClaims},
		// Missing and mistyped claims.
		{name: "claims/missing exp", token: craft(dropClaim("exp")), want: ErrInvalidClaims},
		{name: "claims/missing jti", token: craft(dropClaim("jti")), want: ErrInvalidClaims},
		{name: "claims/missing type", token: craft(dropClaim("type")), want: ErrInvalidClaims},
		{name: "claims/numeric exp", token: craft(replaceClaim("exp", `1795000000`)), want: ErrInvalidClaims},
		{name: "claims/null exp", token: craft(replaceClaim("exp", `null`)), want: ErrInvalidClaims},
		{name: "claims/array exp", token: craft(replaceClaim("exp", `["2026-11-23T12:15:00Z"]`)), want: ErrInvalidClaims},
		{name: "claims/lower-case t", token: craft(replaceClaim("exp", `"2026-11-23t12:15:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/lower-case z", token: craft(replaceClaim("exp", `"2026-11-23T12:15:00z"`)), want: ErrInvalidClaims},
		{name: "claims/space separator", token: craft(replaceClaim("exp", `"2026-11-23 12:15:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/hour 24", token: craft(replaceClaim("exp", `"2026-11-23T24:00:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/second 60", token: craft(replaceClaim("exp", `"2026-11-23T12:14:60Z"`)), want: ErrInvalidClaims},
		{name: "claims/offset +24:00", token: craft(replaceClaim("exp", `"2026-11-23T12:15:00+24:00"`)), want: ErrInvalidClaims},
		{name: "claims/array aud", token: craft(payloadJSON(`"aud":["api"]`)), want: ErrInvalidClaims},
		{name: "claims/numeric sub", token: craft(replaceClaim("sub", `7`)), want: ErrInvalidClaims},
		{name: "claims/string fresh", token: craft(payloadJSON(`"fresh":"true"`)), want: ErrInvalidClaims},
		{name: "claims/duplicate exp", token: craft(payloadJSON(`"exp":"2099-01-01T00:00:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/duplicate via escape", token: craft(payloadJSON(`"\u0065xp":"2099-01-01T00:00:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/upper-case EXP next to exp", token: craft(payloadJSON(`"EXP":"2099-01-01T00:00:00Z"`)), want: ErrInvalidClaims},
		{name: "claims/custom claims in two cases", token: craft(payloadJSON(`"role":"user","ROLE":"admin"`)), want: ErrInvalidClaims},
		{name: "claims/custom claim of another case than a missing claim", token: craft(payloadJSON(`"ISS":"x"`)), want: nil},
		{name: "claims/scope split on SP", token: craft(payloadJSON(`"scope":"read write"`)), want: nil},
		{name: "claims/scope with a tab", token: craft(payloadJSON(`"scope":"read	write"`)), want: ErrInvalidClaims},
		{name: "claims/scope with NBSP", token: craft(payloadJSON(`"scope":"read write"`)), want: ErrInvalidClaims},
		{name: "claims/payload is an array", token: craft(`[` + payloadJSON("") + `]`), want: ErrInvalidClaims},
		{name: "claims/payload is empty", token: craft(``), want: ErrInvalidClaims},
		{name: "claims/invalid UTF-8", token: craft(payloadJSON("\"x\":\"\xff\"")), want: ErrInvalidClaims},
		{name: "claims/trailing data", token: craft(payloadJSON("") + "{}"), want: ErrInvalidClaims},
		// Size and pathological input.
		{name: "size/empty", token: "", want: ErrMissingToken},
		{name: "size/header only", token: "v4.local.", want: ErrMalformed},
		{name: "size/over 8 KiB", token: "v4.local." + strings.Repeat("A", DefaultMaxTokenSize), want: ErrMalformed},
		{name: "size/megabyte of dots", token: "v4.local." + strings.Repeat(".", 1<<20), want: ErrMalformed},
		{name: "size/five segments", token: good + ".AAAA", want: ErrMalformed},
		{name: "size/short body", token: "v4.local.AAAA." + footerB64, want: ErrMalformed},
		{name: "size/NUL bytes", token: "v4.local.\x00\x00\x00", want: ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ver := c.verify
			if ver == nil {
				ver = v
			}
			claims, err := ver.Verify(context.Background(), c.token)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify: unexpected error %v", err)
				}
				if claims == nil || claims.ID == "" {
					t.Fatal("Verify returned no claims")
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify error = %v, want %v", err, c.want)
			}
			if c.wantNot != nil && errors.Is(err, c.wantNot) {
				t.Fatalf("Verify error = %v, must not be %v", err, c.wantNot)
			}
			if claims != nil {
				t.Fatal("claims returned together with an error")
			}
		})
	}
}

func flipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func mustSymmetric(t *testing.T, b []byte) SymmetricKey {
	t.Helper()
	k, err := NewSymmetricKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerifyBoundedWork(t *testing.T) {
	v := mustVerifier(t, mustLocalRing(t), TypeAccess, VerifierConfig{})
	for _, tok := range []string{
		"v4.local." + strings.Repeat(".", 1<<20),
		"v4.local." + strings.Repeat("A", 1<<20),
		"v4.local." + strings.Repeat("A.", 1<<19),
	} {
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrMalformed) {
				t.Fatalf("want ErrMalformed, got %v", err)
			}
		})
		if allocs > 8 { // the error wrapping; constant, whatever the input size
			t.Errorf("oversize token: %v allocations, want a constant (<= 8)", allocs)
		}
	}
}

func TestVerifyRevocationAfterCheaperChecks(t *testing.T) {
	clock := newTestClock(epoch)
	ring := mustLocalRing(t)
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now})
	tok, claims, err := iss.Issue(Template{Subject: "alice", Session: "fam-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	rc := &fakeSessions{ended: map[string]bool{}}
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now, Sessions: rc})
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rc.calls.Load() != 1 {
		t.Fatalf("revocation calls = %d, want 1", rc.calls.Load())
	}

	for name, bad := range map[string]string{"tampered": flipChar(tok, 30), "malformed": tok + "="} {
		before := rc.calls.Load()
		if _, err := v.Verify(ctx, bad); err == nil {
			t.Fatalf("%s token accepted", name)
		}
		if rc.calls.Load() != before {
			t.Errorf("%s token reached the revocation store", name)
		}
	}
	expired := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.at(time.Hour), Sessions: rc})
	before := rc.calls.Load()
	if _, err := expired.Verify(ctx, tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("want ErrExpired, got %v", err)
	}
	if _, err := v.Verify(ctx, tok, RequireFresh(0)); !errors.Is(err, ErrNotFresh) {
		t.Fatalf("want ErrNotFresh, got %v", err)
	}
	if rc.calls.Load() != before {
		t.Error("expired or non-fresh token reached the revocation store")
	}

	// A token outside any session cannot be vouched for.
	loose, _, err := iss.Issue(Template{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	before = rc.calls.Load()
	if _, err := v.Verify(ctx, loose); !errors.Is(err, ErrRevoked) {
		t.Fatalf("token without a session: want ErrRevoked, got %v", err)
	}
	if rc.calls.Load() != before {
		t.Error("a token without a session reached the store")
	}
	rc.ended = map[string]bool{claims.Subject + "/fam-1": true}
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("ended session: want ErrRevoked, got %v", err)
	}
	rc.ended = map[string]bool{}
	rc.err = errors.New("connection refused")
	_, err = v.Verify(ctx, tok)
	if !errors.Is(err, ErrStoreUnavailable) || Code(err) != "temporarily_unavailable" {
		t.Fatalf("store down: want ErrStoreUnavailable, got %v (code %q)", err, Code(err))
	}
}

func TestFreshness(t *testing.T) {
	clock := newTestClock(epoch)
	ring := mustLocalRing(t)
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now})
	fresh := mustIssue(t, iss, Template{Subject: "alice", Fresh: true})
	stale := mustIssue(t, iss, Template{Subject: "alice", AuthTime: epoch}) // as minted by refresh
	ctx := context.Background()
	cases := []struct {
		name  string
		token string
		at    time.Duration
		req   Requirement
		want  error
	}{
		{"fresh token, fresh required", fresh, 0, RequireFresh(0), nil},
		{"fresh token within max age", fresh, 5 * time.Minute, RequireFresh(5 * time.Minute), nil},
		{"fresh token past max age", fresh, 5*time.Minute + time.Second, RequireFresh(5 * time.Minute), ErrNotFresh},
		{"refreshed token, fresh required", stale, 0, RequireFresh(0), ErrNotFresh},
		{"refreshed token within max age is still not fresh", stale, 0, RequireFresh(time.Hour), ErrNotFresh},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.at(c.at)})
			claims, err := v.Verify(ctx, c.token, c.req)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if err == nil && !claims.AuthTime.Equal(epoch) {
				t.Fatalf("auth_time = %v, want %v", claims.AuthTime, epoch)
			}
		})
	}
}

func TestIssuerAndAudience(t *testing.T) {
	ring := mustLocalRing(t)
	tok := mustIssue(t, mustIssuer(t, ring, TypeAccess, IssuerConfig{Issuer: "https://a.example", Audience: "app-a"}), Template{Subject: "alice"})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  VerifierConfig
		want error
	}{
		{"match", VerifierConfig{Issuer: "https://a.example", Audience: "app-a"}, nil},
		{"other issuer", VerifierConfig{Issuer: "https://b.example"}, ErrIssuer},
		{"other audience", VerifierConfig{Audience: "app-b"}, ErrAudience},
		{"unconfigured accepts any", VerifierConfig{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := mustVerifier(t, ring, TypeAccess, c.cfg).Verify(ctx, tok)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// A token without aud is refused where an audience is required.
	bare := mustIssue(t, mustIssuer(t, ring, TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
	if _, err := mustVerifier(t, ring, TypeAccess, VerifierConfig{Audience: "app-a"}).Verify(ctx, bare); !errors.Is(err, ErrAudience) {
		t.Fatalf("missing aud: got %v", err)
	}
}

// The footer fast path answers exactly what the strict parser answers.
func TestPlainKeyIDFooter(t *testing.T) {
	id := "k4.lid." + strings.Repeat("A", 44) // 51 characters, as keyIDValid wants
	for _, footer := range []string{
		`{"kid":"` + id + `"}`,
		`{"kid":"` + id[:50] + `"}`,
		`{"kid":"` + id + `A"}`,
		`{"kid":"` + id[:50] + `\"}`,
		`{"kid":"` + id[:50] + `"}}`,
		`{"kid":"` + id[:49] + `\u0041"}`,
		`{ "kid":"` + id[:50] + `"}`,
		`{"kId":"` + id + `"}`,
		`{"kid":"` + id[:50] + "\x00" + `"}`,
		`{"kid":"` + id[:50] + `é"}`,
	} {
		fast, ok := plainKeyIDFooter([]byte(footer))
		if !ok {
			continue
		}
		// Turn the fast path off by asking the strict parser directly.
		var slow []byte
		err := strictjson.Object([]byte(footer), footerLimits, func(k []byte, v strictjson.Value) error {
			if string(k) == "kid" && v.Kind == strictjson.KindString {
				slow = v.Raw[1 : len(v.Raw)-1]
			}
			return nil
		})
		if err != nil || string(slow) != string(fast) {
			t.Fatalf("%q: fast path %q, strict parser %q, %v", footer, fast, slow, err)
		}
	}
	if _, ok := plainKeyIDFooter([]byte(`{"kid":"` + id + `"}`)); !ok {
		t.Fatal("the Issuer's footer missed the fast path")
	}
}

// TestVerifyTokenSizes verifies tokens on both sides of the stack buffer
// authenticate decodes into (splitStackSize), local and public, with custom
// claims: the claims, custom ones included, survive the buffer, which is
// reused by the next verification.
func TestVerifyTokenSizes(t *testing.T) {
	ctx := context.Background()
	for _, public := range []bool{false, true} {
		ring := mustLocalRing(t)
		if public {
			ring = mustPublicRing(t, GenerateSecretKey())
		}
		iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{})
		v := mustVerifier(t, ring, TypeAccess, VerifierConfig{})
		for _, n := range []int{0, 100, splitStackSize - 400, splitStackSize, 3 * splitStackSize} {
			note := strings.Repeat("n", n)
			tok := mustIssue(t, iss, Template{Subject: "user-1234", Claims: map[string]any{"note": note, "role": "admin"}})
			c, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatalf("public %v, %d-byte claim: %v", public, n, err)
			}
			// Another verification reuses the stack memory the first one
			// decoded into.
			other := mustIssue(t, iss, Template{Subject: "user-5678", Claims: map[string]any{"note": strings.Repeat("x", n)}})
			if _, err := v.Verify(ctx, other); err != nil {
				t.Fatal(err)
			}
			got, err := Claim[string](c, "note")
			if err != nil || got != note || c.Subject != "user-1234" {
				t.Fatalf("public %v, %d-byte claim: note %d bytes, subject %q, %v", public, n, len(got), c.Subject, err)
			}
			if role, err := Claim[string](c, "role"); err != nil || role != "admin" {
				t.Fatalf("role %q, %v", role, err)
			}
		}
	}
}

// TestVerifyPreparedKeysFollowSetKeys: the prepared v4.local keys belong
// to one ring; after SetKeys a key the new ring dropped no longer verifies
// and a key it added does, with no verification in between to refresh
// anything.
func TestVerifyPreparedKeysFollowSetKeys(t *testing.T) {
	ctx := context.Background()
	k1, k2 := GenerateSymmetricKey(), GenerateSymmetricKey()
	r1, r2 := mustLocalRing(t, k1), mustLocalRing(t, k2)
	tok1 := mustIssue(t, mustIssuer(t, r1, TypeAccess, IssuerConfig{}), Template{Subject: "u"})
	tok2 := mustIssue(t, mustIssuer(t, r2, TypeAccess, IssuerConfig{}), Template{Subject: "u"})
	v := mustVerifier(t, r1, TypeAccess, VerifierConfig{})
	if _, err := v.Verify(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok2); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token under a key the ring lacks: %v, want ErrInvalid", err)
	}
	if err := v.SetKeys(r2); err != nil {
		t.Fatal(err)
	}
	if v.prepared.Load() != nil {
		t.Fatal("the removed ring's prepared keys outlive SetKeys")
	}
	// A verification that began under the old ring prepares it for itself
	// only: the Verifier does not keep it.
	if _, ok := v.localKey(r1, []byte(r1.CurrentID())); !ok {
		t.Fatal("the old ring's key, prepared for an in-flight verification")
	}
	if p := v.prepared.Load(); p != nil && p.ring == r1 {
		t.Fatal("an in-flight verification stored the removed ring's prepared keys")
	}
	if _, err := v.Verify(ctx, tok1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token under the removed key: %v, want ErrInvalid", err)
	}
	if _, err := v.Verify(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if p := v.prepared.Load(); p == nil || p.ring != r2 {
		t.Fatal("the current ring's keys are not kept prepared")
	}
}
