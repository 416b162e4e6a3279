// The JSON form of Claims: the strict decoder every verified payload passes,
// and the encoder whose output Issue seals.

package paseto

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// payloadLimits bound the claims object. Payloads are only parsed after
// authentication, so these are a backstop against a careless issuer.
var payloadLimits = strictjson.Limits{MaxDepth: 32, MaxMembers: 256}

// decodeClaims fills c from the authenticated payload, strictly: a JSON
// object whose objects (custom claims' included) have no two keys equal
// ignoring case, valid UTF-8 without unpaired surrogate escapes,
// registered claims of the right JSON type, and a scope claim of
// RFC 6749 scope-tokens. Custom claims are validated here, with the rest,
// and decoded only when asked for (Get); c keeps the payload only if all
// of it passed.
func decodeClaims(payload []byte, c *Claims) error {
	var haveExp bool
	// One conversion for the whole payload: every claim string without
	// escapes is a substring of it, so a typical token's claims cost one
	// allocation instead of one per string.
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
			c.Expiration, err = timeClaim(k, v, str)
			haveExp = true
		case ClaimNotBefore:
			c.NotBefore, err = timeClaim(k, v, str)
		case ClaimIssuedAt:
			c.IssuedAt, err = timeClaim(k, v, str)
		case ClaimAuthTime:
			c.AuthTime, err = timeClaim(k, v, str)
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

func timeClaim(k []byte, v strictjson.Value, str func([]byte, strictjson.Value) (string, error)) (time.Time, error) {
	if v.Kind != strictjson.KindString {
		return time.Time{}, fmt.Errorf("%w: %q must be an RFC 3339 string", ErrInvalidClaims, k)
	}
	s, err := str(k, v)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: %q is not an RFC 3339 date-time", ErrInvalidClaims, k)
	}
	return t, nil
}

// parseTime accepts RFC 3339 date-times as the PASETO spec requires: upper
// case T and Z, optional fractional seconds, any offset (compared as an
// instant). time.Parse alone would also accept offsets such as +24:00.
func parseTime(s string) (time.Time, bool) {
	if t, ok := parseTimeUTCSeconds(s); ok {
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

// appendJSON writes the claims as a JSON object: registered claims first in a
// fixed order, then custom claims sorted by name.
func (c *Claims) appendJSON(dst []byte, custom map[string]any) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	field := func(name, val string) {
		if val == "" || err != nil {
			return
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
		dst, err = appendJSONString(dst, val)
	}
	timeField := func(name string, t time.Time) {
		if t.IsZero() || err != nil {
			return
		}
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':', '"')
		dst = t.UTC().AppendFormat(dst, time.RFC3339)
		dst = append(dst, '"')
	}
	field(ClaimIssuer, c.Issuer)
	field(ClaimSubject, c.Subject)
	field(ClaimAudience, c.Audience)
	field(ClaimTokenID, c.ID)
	field(ClaimType, c.Type)
	field(ClaimSession, c.Session)
	if len(c.Scopes) > 0 && err == nil {
		var scope string
		if scope, err = joinScopes(c.Scopes); err == nil {
			field(ClaimScope, scope)
		}
	}
	field(ClaimCSRF, c.CSRF)
	if c.Fresh {
		dst = append(dst, `,"fresh":true`...)
	}
	timeField(ClaimAuthTime, c.AuthTime)
	timeField(ClaimIssuedAt, c.IssuedAt)
	timeField(ClaimNotBefore, c.NotBefore)
	timeField(ClaimExpiration, c.Expiration)
	if err != nil {
		return nil, err
	}
	if dst, err = appendCustom(dst, custom); err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendCustom marshals custom claims in a stable order, refusing reserved
// names (ignoring case) and values encoding/json cannot represent. The
// caller checks the whole payload against the verifier's rules.
func appendCustom(dst []byte, custom map[string]any) ([]byte, error) {
	for _, name := range slices.Sorted(maps.Keys(custom)) {
		if reservedFold(name) {
			return nil, fmt.Errorf("%w: %q", ErrReservedClaim, name)
		}
		val, err := json.Marshal(custom[name])
		if err != nil {
			return nil, fmt.Errorf("paseto: custom claim %q: %w", name, err)
		}
		dst = append(dst, ',')
		if dst, err = appendJSONString(dst, name); err != nil {
			return nil, err
		}
		dst = append(dst, ':')
		dst = append(dst, val...)
	}
	return dst, nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 is refused
// rather than replaced, so what is signed is what the caller passed.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: claim value is not valid UTF-8", ErrConfig)
	}
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		default:
			dst = append(dst, b)
		}
	}
	return append(dst, '"'), nil
}

// parseTimeUTCSeconds is parseTime's fast path for the form the Issuer
// writes, "2006-01-02T15:04:05Z". It reports false for anything else, and
// for any field out of range, leaving the decision to the general path; so
// it only ever accepts what time.Parse accepts, with the same result.
func parseTimeUTCSeconds(s string) (time.Time, bool) {
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
	if t.Day() != day { // past the month's last day: time.Date normalised it
		return time.Time{}, false
	}
	return t, true
}
