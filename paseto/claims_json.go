// The JSON form of Claims: the strict decoder every verified payload passes,
// and the encoder whose output Issue seals.

package paseto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/bits"
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
// and decoded only when asked for (Get); c keeps a copy of the payload
// only if all of it passed and it has custom claims. payload is not
// retained.
//
// It walks strictjson.Members rather than a strictjson.Object callback: a
// closure that sees the payload would force it, and everything it
// touches, onto the heap.
func decodeClaims(payload []byte, c *Claims) error {
	// One conversion for the whole payload: every claim string without
	// escapes is a substring of it, so a typical token's claims cost one
	// allocation instead of one per string.
	src := string(payload)
	if decodeIssued(payload, src, c) {
		return nil
	}
	*c = Claims{}
	return decodeStrict(payload, src, c)
}

// decodeStrict is decodeClaims through the strict JSON parser, for any
// payload decodeIssued leaves to it; src is string(payload).
func decodeStrict(payload []byte, src string, c *Claims) error {
	var buf [16]strictjson.Member
	members, err := strictjson.Members(payload, payloadLimits, buf[:0])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidClaims, err)
	}
	var haveExp bool
	for i := range members {
		m := &members[i]
		k, v := m.Key(payload), m.Value(payload)
		switch string(k) {
		case ClaimIssuer:
			c.Issuer, err = claimString(k, v, src, payload)
		case ClaimSubject:
			c.Subject, err = claimString(k, v, src, payload)
		case ClaimAudience:
			c.Audience, err = claimString(k, v, src, payload)
		case ClaimTokenID:
			c.ID, err = claimString(k, v, src, payload)
		case ClaimType:
			c.Type, err = claimString(k, v, src, payload)
		case ClaimSession:
			c.Session, err = claimString(k, v, src, payload)
		case ClaimCSRF:
			c.CSRF, err = claimString(k, v, src, payload)
		case ClaimScope:
			var scope string
			if scope, err = claimString(k, v, src, payload); err == nil {
				c.Scopes, err = parseScope(scope)
			}
		case ClaimExpiration:
			c.Expiration, err = timeClaim(k, v, src, payload)
			haveExp = true
		case ClaimNotBefore:
			c.NotBefore, err = timeClaim(k, v, src, payload)
		case ClaimIssuedAt:
			c.IssuedAt, err = timeClaim(k, v, src, payload)
		case ClaimAuthTime:
			c.AuthTime, err = timeClaim(k, v, src, payload)
		case ClaimFresh:
			if v.Kind != strictjson.KindBool {
				return fmt.Errorf("%w: %q must be a boolean", ErrInvalidClaims, string(k))
			}
			c.Fresh, err = v.Bool()
		default:
			c.hasCustom = true
		}
		if err != nil {
			if errors.Is(err, ErrInvalidClaims) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrInvalidClaims, err)
		}
	}
	switch {
	case !haveExp:
		return fmt.Errorf("%w: exp is required", ErrInvalidClaims)
	case c.ID == "":
		return fmt.Errorf("%w: jti is required", ErrInvalidClaims)
	case c.Type == "":
		return fmt.Errorf("%w: type is required", ErrInvalidClaims)
	}
	if c.hasCustom {
		// Kept for Get, Has and Custom; payload itself is the caller's
		// (authenticate's stack), and the registered claims above are
		// substrings of src, so only tokens with custom claims pay this.
		c.payload = []byte(src)
	}
	return nil
}

// decodeIssued is decodeClaims' fast path for payloads shaped as the
// Issuer writes them: one object, no whitespace, only registered claims,
// each at most once, with string values of printable ASCII without
// escapes (RFC 3339 "…Z" times with whole seconds for the time claims,
// valid scope-tokens for scope) and true or false for fresh, and exp, jti
// and type present. It fills c and reports true only for such a payload;
// on anything else (custom claims, escapes, spacing, non-ASCII, a wrong
// type, a repeated or missing claim, trailing bytes...) it reports false,
// leaving c partly filled, and the caller runs the strict parser from
// scratch, so every error is the strict parser's.
//
// Whatever it accepts, the strict parser accepts too, with the same
// Claims: such a payload is RFC 8259 JSON of depth 1 with at most 13
// members, ASCII, without escapes, and its keys, being distinct
// registered names, are distinct ignoring case. FuzzDecodeIssued holds the
// two to that.
func decodeIssued(payload []byte, src string, c *Claims) bool {
	if len(src) != len(payload) || len(payload) < 2 || payload[0] != '{' || payload[len(payload)-1] != '}' {
		return false
	}
	var seen uint16
	p := 1
	for {
		// A key: a registered name, between quotes, then ':'.
		end, ok := quotedPlain(payload, p)
		if !ok {
			return false
		}
		key := payload[p+1 : end]
		p = end + 1
		if p >= len(payload) || payload[p] != ':' {
			return false
		}
		p++
		id := registeredID(key)
		if id < 0 || seen&(1<<id) != 0 {
			return false
		}
		seen |= 1 << id
		if id == idFresh {
			switch {
			case bytes.HasPrefix(payload[p:], []byte("true")):
				c.Fresh, p = true, p+4
			case bytes.HasPrefix(payload[p:], []byte("false")):
				c.Fresh, p = false, p+5
			default:
				return false
			}
		} else {
			// A string of printable ASCII without escapes.
			end, ok := quotedPlain(payload, p)
			if !ok {
				return false
			}
			val := src[p+1 : end]
			p = end + 1
			if !setIssued(c, id, val) {
				return false
			}
		}
		if p >= len(payload) {
			return false
		}
		if payload[p] == '}' {
			break
		}
		if payload[p] != ',' {
			return false
		}
		p++
	}
	const required = 1<<idExpiration | 1<<idTokenID | 1<<idType
	return p == len(payload)-1 && seen&required == required && c.ID != "" && c.Type != ""
}

// Registered claims' numbers in decodeIssued's bit set.
const (
	idIssuer = iota
	idSubject
	idAudience
	idTokenID
	idType
	idSession
	idCSRF
	idScope
	idExpiration
	idNotBefore
	idIssuedAt
	idAuthTime
	idFresh
)

// registeredID returns the number of the registered claim named key
// exactly, or -1.
func registeredID(key []byte) int {
	switch string(key) {
	case ClaimIssuer:
		return idIssuer
	case ClaimSubject:
		return idSubject
	case ClaimAudience:
		return idAudience
	case ClaimTokenID:
		return idTokenID
	case ClaimType:
		return idType
	case ClaimSession:
		return idSession
	case ClaimCSRF:
		return idCSRF
	case ClaimScope:
		return idScope
	case ClaimExpiration:
		return idExpiration
	case ClaimNotBefore:
		return idNotBefore
	case ClaimIssuedAt:
		return idIssuedAt
	case ClaimAuthTime:
		return idAuthTime
	case ClaimFresh:
		return idFresh
	}
	return -1
}

// setIssued stores the string value of registered claim id in c, as
// decodeStrict would; false when the strict parser must decide (a time
// not in the Issuer's form, an invalid scope).
func setIssued(c *Claims, id int, val string) bool {
	var ok bool
	switch id {
	case idIssuer:
		c.Issuer, ok = val, true
	case idSubject:
		c.Subject, ok = val, true
	case idAudience:
		c.Audience, ok = val, true
	case idTokenID:
		c.ID, ok = val, true
	case idType:
		c.Type, ok = val, true
	case idSession:
		c.Session, ok = val, true
	case idCSRF:
		c.CSRF, ok = val, true
	case idScope:
		var err error
		c.Scopes, err = parseScope(val)
		ok = err == nil
	case idExpiration:
		c.Expiration, ok = parseTimeUTCSeconds(val)
	case idNotBefore:
		c.NotBefore, ok = parseTimeUTCSeconds(val)
	case idIssuedAt:
		c.IssuedAt, ok = parseTimeUTCSeconds(val)
	case idAuthTime:
		c.AuthTime, ok = parseTimeUTCSeconds(val)
	}
	return ok
}

// quotedPlain reports where the string that opens at payload[p] ends (the
// index of its closing quote), when payload[p] is a quote and the string
// is printable ASCII without escapes (see plainString).
func quotedPlain(payload []byte, p int) (end int, ok bool) {
	if p >= len(payload) || payload[p] != '"' {
		return 0, false
	}
	return plainString(payload, p+1)
}

// plainString returns the index of the quote that ends the JSON string
// whose content starts at b[i], and true, if every byte before that quote
// is printable ASCII other than a backslash (so the string has no escapes
// and stands for itself); otherwise false. It looks at eight bytes at a
// time while eight remain, with plainMask.
func plainString(b []byte, i int) (int, bool) {
	for ; i+8 <= len(b); i += 8 {
		if m := plainMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			// The lowest flagged byte is exact (see plainMask).
			i += bits.TrailingZeros64(m) >> 3
			return i, b[i] == '"'
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return i, c == '"'
		}
	}
	return 0, false
}

// plainMask flags (sets the top bit of) the bytes of the little-endian
// word x that do not stand for themselves in a JSON string or are not
// ASCII: below 0x20 ((x - 0x20…) &^ x & 0x80…), 0x80 and above
// (x & 0x80…), '"' and '\\' (x ^ 0x22… and x ^ 0x5C… have a zero byte:
// the same test with 0x01…). The mask is zero exactly when all eight bytes
// are plain, and its lowest flagged byte is always a true one: a borrow
// only reaches the bytes above a byte that is itself flagged.
func plainMask(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	qs, bs := x^0x22*ones, x^0x5C*ones
	return ((x-0x20*ones)&^x | x | (qs-ones)&^qs | (bs-ones)&^bs) & highs
}

// claimString returns the string claim k, a substring of src (the payload
// as a string) unless it has escapes.
func claimString(k []byte, v strictjson.Value, src string, payload []byte) (string, error) {
	if v.Kind != strictjson.KindString {
		return "", fmt.Errorf("%w: %q must be a string", ErrInvalidClaims, string(k))
	}
	return v.StringIn(src, payload)
}

func timeClaim(k []byte, v strictjson.Value, src string, payload []byte) (time.Time, error) {
	if v.Kind != strictjson.KindString {
		return time.Time{}, fmt.Errorf("%w: %q must be an RFC 3339 string", ErrInvalidClaims, string(k))
	}
	s, err := v.StringIn(src, payload)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: %q is not an RFC 3339 date-time", ErrInvalidClaims, string(k))
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
// it only ever accepts what time.Parse accepts, with the same result
// (TestParseTimeUTCSeconds compares the two).
//
// It computes the instant directly (days from the civil date, then
// time.Unix) rather than through time.Date, which normalises every field
// and consults the location: a third of the time per claim.
func parseTimeUTCSeconds(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	y1, ok1 := twoDigits(s, 0)
	y2, ok2 := twoDigits(s, 2)
	month, ok3 := twoDigits(s, 5)
	day, ok4 := twoDigits(s, 8)
	hour, ok5 := twoDigits(s, 11)
	minute, ok6 := twoDigits(s, 14)
	sec, ok7 := twoDigits(s, 17)
	year := y1*100 + y2
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, 0).UTC(), true
}

// twoDigits returns the number written by the two ASCII digits at s[i:i+2].
func twoDigits(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0' // bytes below '0' wrap around above 9
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// daysIn returns the number of days in month (1 to 12) of the proleptic
// Gregorian year, as package time counts them.
func daysIn(month, year int) int {
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return int(daysInMonth[month])
}

var daysInMonth = [13]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date, for years 0 to 9999 (H. Hinnant's
// days_from_civil, with March as the first month of the computing year so
// that the leap day comes last).
func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400        // [0, 399]
	mp := int64(month+9) % 12 // March = 0
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
