package strictjson

import (
	"unicode"
	"unicode/utf8"
)

// linearDupMax is how many keys an object may have before duplicate
// detection switches from comparing against every earlier key (no
// allocation, O(n²) but tiny for claim-sized objects) to a map (allocates,
// O(n)), which keeps adversarial objects with many keys linear.
const linearDupMax = 16

// keyRef locates an object key's content (between the quotes) in the input.
type keyRef struct {
	start, end int
	esc        bool // content contains at least one backslash escape
	// slow is set for keys with escapes or non-ASCII bytes, which need
	// rune-by-rune comparison. The others are plain: their bytes are their
	// characters, and a plain key can only equal another plain key of its
	// length, ignoring case.
	slow bool
	fp   uint32 // fingerprint of plain keys; see fingerprint
}

// fingerprint packs a key's length and its first and last bytes,
// upper-cased, and reports whether the key is ASCII. Comparing
// fingerprints first rejects nearly all unequal plain claim names (which
// are short and often of equal length) without a memory comparison, which
// matters because the linear duplicate check compares every pair of keys.
func fingerprint(s []byte) (fp uint32, ascii bool) {
	if len(s) == 0 {
		return 0, true
	}
	var or byte
	for _, c := range s {
		or |= c
	}
	return uint32(len(s))<<16 | uint32(asciiUpper[s[0]])<<8 | uint32(asciiUpper[s[len(s)-1]]), or < utf8.RuneSelf
}

// asciiUpper maps a-z to A-Z and every other byte to itself.
var asciiUpper = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c - 'a' + 'A')
	}
	return t
}()

// asciiEqualFold reports whether two ASCII strings are equal ignoring the
// case of letters, which for ASCII is exactly strings.EqualFold.
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && asciiUpper[a[i]] != asciiUpper[b[i]] {
			return false
		}
	}
	return true
}

// foldRune returns the smallest rune of r's case-folding orbit (the one
// unicode.SimpleFold cycles through), so that foldRune(a) == foldRune(b)
// exactly when strings.EqualFold would match a and b. encoding/json folds
// names the same way when it matches object keys to struct fields.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		// Only letters fold, and 'k' and 's' fold to non-ASCII runes too,
		// whose orbit's smallest member is the ASCII upper case.
		return rune(asciiUpper[r])
	}
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// Member is a validated top-level member, recorded by Members (and by
// Object, so that its callback runs only once the whole input is known to
// be acceptable). It holds offsets into the input, read back with Key and
// Value.
type Member struct {
	key              keyRef
	valStart, valEnd int
	kind             Kind
	plain            bool // string value without escapes
}

// level is one open container on the scanner's explicit stack. Using an
// explicit stack instead of recursion bounds stack use by MaxDepth and keeps
// hostile nesting from costing more than a failed depth check.
type level struct {
	obj bool
	// keyBase is the index in the shared key list of this object's first key
	// while it is in linear duplicate-detection mode. Nested objects push
	// their keys after it and truncate back on close, so an object's keys
	// are always keys[keyBase:] when it is the innermost level.
	keyBase int
	// slowKeys counts the object's slow keys while it is in linear mode;
	// while it is zero, a plain key is compared by fingerprint alone.
	slowKeys int
	// set holds the object's keys, unescaped and case-folded, once it has
	// more than linearDupMax of them.
	set map[string]struct{}
}

// Scanner states: what may follow at the current position.
const (
	stOpen  = iota // just after '{' or '[': a closing bracket or a first element
	stElem         // just after ',': an element (a trailing comma is an error)
	stAfter        // just after an element: ',' or a closing bracket
)

// scan validates data as described for Object and appends the top-level
// members to members.
func scan(data []byte, maxDepth, maxMembers int, members []Member) ([]Member, error) {
	// Stack-allocated backing arrays for the container stack and the key
	// list used for duplicate detection; they spill to the heap only for
	// inputs deeper than the default depth limit or with many keys open at
	// once.
	var levelBuf [DefaultMaxDepth]level
	var keyBuf [32]keyRef
	levels := levelBuf[:0]
	keys := keyBuf[:0]
	var scratch []byte // for unescaping keys in map mode; rarely used

	p := skipWS(data, 0)
	if p >= len(data) {
		return nil, fail(ErrSyntax, p, "no JSON object in input")
	}
	if data[p] != '{' {
		return nil, unexpected(data, p, "top-level value is not an object")
	}
	levels = append(levels, level{obj: true})
	p++
	state := stOpen

	for {
		p = skipWS(data, p)
		if p >= len(data) {
			return nil, fail(ErrSyntax, p, "unexpected end of input")
		}
		c := data[p]
		lv := &levels[len(levels)-1]

		if (c == '}' || c == ']') && state != stElem {
			if (c == '}') != lv.obj {
				return nil, fail(ErrSyntax, p, "mismatched closing bracket")
			}
			p++
			if len(levels) == 1 {
				if p = skipWS(data, p); p != len(data) {
					return nil, unexpected(data, p, "data after top-level object")
				}
				return members, nil
			}
			if lv.obj {
				keys = keys[:lv.keyBase]
			}
			levels = levels[:len(levels)-1]
			if len(levels) == 1 {
				// The closed container was a top-level member's value.
				members[len(members)-1].valEnd = p
			}
			state = stAfter
			continue
		}

		if state == stAfter {
			if c != ',' {
				if lv.obj {
					return nil, unexpected(data, p, "expected ',' or '}' after object member")
				}
				return nil, unexpected(data, p, "expected ',' or ']' after array element")
			}
			p++
			state = stElem
			continue
		}

		// stOpen or stElem: an element follows. In an object, first its key.
		top := len(levels) == 1
		if lv.obj {
			if c != '"' {
				return nil, unexpected(data, p, "expected string object key")
			}
			end, esc, err := scanString(data, p)
			if err != nil {
				return nil, err
			}
			k := keyRef{start: p + 1, end: end - 1, esc: esc}
			if top && len(members) >= maxMembers {
				return nil, fail(ErrTooManyMembers, p, "top-level object has too many members")
			}
			if keys, err = addKey(data, keys, lv, k, &scratch); err != nil {
				return nil, fail(ErrDuplicateKey, p, "keys equal ignoring case")
			}
			if top {
				members = append(members, Member{key: k})
			}
			p = skipWS(data, end)
			if p >= len(data) || data[p] != ':' {
				return nil, unexpected(data, p, "expected ':' after object key")
			}
			p = skipWS(data, p+1)
			if p >= len(data) {
				return nil, fail(ErrSyntax, p, "unexpected end of input")
			}
			c = data[p]
		}

		var (
			end   int
			kind  Kind
			plain bool
			err   error
		)
		switch {
		case c == '"':
			var esc bool
			end, esc, err = scanString(data, p)
			kind, plain = KindString, !esc
		case c == '{' || c == '[':
			if len(levels) >= maxDepth {
				return nil, fail(ErrDepth, p, "nesting deeper than the limit")
			}
			if top {
				m := &members[len(members)-1]
				m.valStart, m.kind = p, KindArray
				if c == '{' {
					m.kind = KindObject
				}
			}
			levels = append(levels, level{obj: c == '{', keyBase: len(keys)})
			p++
			state = stOpen
			continue
		case c == '-' || ('0' <= c && c <= '9'):
			end, err = scanNumber(data, p)
			kind = KindNumber
		case c == 't':
			end, err = scanLiteral(data, p, "true")
			kind = KindBool
		case c == 'f':
			end, err = scanLiteral(data, p, "false")
			kind = KindBool
		case c == 'n':
			end, err = scanLiteral(data, p, "null")
			kind = KindNull
		default:
			return nil, unexpected(data, p, "expected a JSON value")
		}
		if err != nil {
			return nil, err
		}
		if top {
			m := &members[len(members)-1]
			m.valStart, m.valEnd, m.kind, m.plain = p, end, kind, plain
		}
		p = end
		state = stAfter
	}
}

// addKey records key k of the innermost object lv and reports a non-nil
// error (the caller supplies position) if lv already has a key equal to k
// ignoring case (see foldRune).
func addKey(data []byte, keys []keyRef, lv *level, k keyRef, scratch *[]byte) ([]keyRef, error) {
	if lv.set != nil {
		b := foldedKey(data, k, scratch)
		if _, dup := lv.set[string(b)]; dup {
			return keys, ErrDuplicateKey
		}
		lv.set[string(b)] = struct{}{}
		return keys, nil
	}
	fp, ascii := fingerprint(data[k.start:k.end])
	k.fp, k.slow = fp, k.esc || !ascii
	if !k.slow && lv.slowKeys == 0 {
		// The common case: plain keys only.
		for _, prev := range keys[lv.keyBase:] {
			if prev.fp == k.fp && asciiEqualFold(data[prev.start:prev.end], data[k.start:k.end]) {
				return keys, ErrDuplicateKey
			}
		}
	} else {
		for _, prev := range keys[lv.keyBase:] {
			if k.slow || prev.slow {
				if keysEqualFold(data, prev, k) {
					return keys, ErrDuplicateKey
				}
			} else if prev.fp == k.fp && asciiEqualFold(data[prev.start:prev.end], data[k.start:k.end]) {
				return keys, ErrDuplicateKey
			}
		}
	}
	if k.slow {
		lv.slowKeys++
	}
	keys = append(keys, k)
	if n := len(keys) - lv.keyBase; n > linearDupMax {
		// Wide object: move its keys into a map so a hostile object with
		// many keys costs O(n) rather than O(n²). The map is the only
		// allocation on this path and happens once per wide object.
		lv.set = make(map[string]struct{}, 2*n)
		for _, kr := range keys[lv.keyBase:] {
			lv.set[string(foldedKey(data, kr, scratch))] = struct{}{}
		}
		keys = keys[:lv.keyBase]
	}
	return keys, nil
}

// foldedKey returns k's unescaped content with every rune replaced by
// foldRune's choice, so keys equal ignoring case have equal folded forms.
// It aliases data for a key already in folded form.
func foldedKey(data []byte, k keyRef, scratch *[]byte) []byte {
	s := data[k.start:k.end]
	if !k.esc {
		folded := true
		for _, c := range s {
			folded = folded && c < utf8.RuneSelf && asciiUpper[c] == c
		}
		if folded {
			return s
		}
	}
	out := (*scratch)[:0]
	for i := 0; i < len(s); {
		r, n := nextRune(s, i)
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	*scratch = out
	return out
}

// keysEqualFold reports whether two validated keys are equal ignoring case
// after unescaping. It decodes both keys rune by rune in place, so
// comparing never allocates; both are valid UTF-8 without unpaired
// surrogates, so every rune is a real character.
func keysEqualFold(data []byte, a, b keyRef) bool {
	as, bs := data[a.start:a.end], data[b.start:b.end]
	i, j := 0, 0
	for i < len(as) && j < len(bs) {
		ra, na := nextRune(as, i)
		rb, nb := nextRune(bs, j)
		if ra != rb && foldRune(ra) != foldRune(rb) {
			return false
		}
		i += na
		j += nb
	}
	return i == len(as) && j == len(bs)
}

// nextRune decodes the character at s[i] of validated string content,
// returning it and the number of input bytes it occupies.
func nextRune(s []byte, i int) (rune, int) {
	c := s[i]
	if c == '\\' {
		r, n, _ := decodeEscape(s, i)
		return r, n
	}
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(s[i:])
}

// skipWS returns the index of the first non-whitespace byte at or after p.
// Only the four RFC 8259 whitespace bytes count.
func skipWS(data []byte, p int) int {
	for p < len(data) {
		switch data[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// unexpected reports an unexpected byte at p (or end of input). A byte
// that starts no valid UTF-8 sequence is reported as ErrUTF8 rather than
// ErrSyntax, so "invalid UTF-8 anywhere" is reported as such even outside
// strings.
func unexpected(data []byte, p int, reason string) error {
	if p >= len(data) {
		return fail(ErrSyntax, p, "unexpected end of input")
	}
	if data[p] >= utf8.RuneSelf {
		if r, size := utf8.DecodeRune(data[p:]); r == utf8.RuneError && size == 1 {
			return fail(ErrUTF8, p, "invalid UTF-8")
		}
	}
	return fail(ErrSyntax, p, reason)
}

// plainByte[c] is true for bytes that stand for themselves inside a JSON
// string: printable ASCII other than '"' and '\\'. Control characters must
// be escaped (RFC 8259 §7); bytes >= 0x80 need UTF-8 validation.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString validates the string starting with the quote at data[p] and
// returns the index just past its closing quote and whether it contains
// escapes.
func scanString(data []byte, p int) (end int, esc bool, err error) {
	i := p + 1
	for {
		for i < len(data) && plainByte[data[i]] {
			i++
		}
		if i >= len(data) {
			return 0, false, fail(ErrSyntax, i, "unterminated string")
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			_, n, err := decodeEscape(data, i)
			if err != nil {
				return 0, false, err
			}
			esc = true
			i += n
		case c < 0x20:
			return 0, false, fail(ErrSyntax, i, "control character in string")
		default: // >= 0x80
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, fail(ErrUTF8, i, "invalid UTF-8")
			}
			i += size
		}
	}
}

// decodeEscape decodes the escape sequence starting with the backslash at
// s[i], returning the character and the sequence's length. A surrogate
// pair (\uD83D\uDE00) is one 12-byte sequence; an unpaired surrogate is
// rejected with ErrUTF8 instead of being replaced with U+FFFD as
// encoding/json does, because replacement maps distinct inputs to equal
// strings.
func decodeEscape(s []byte, i int) (rune, int, error) {
	if i+1 >= len(s) {
		return 0, 0, fail(ErrSyntax, i, "unterminated escape")
	}
	switch s[i+1] {
	case '"':
		return '"', 2, nil
	case '\\':
		return '\\', 2, nil
	case '/':
		return '/', 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		r, ok := hex4(s, i+2)
		if !ok {
			return 0, 0, fail(ErrSyntax, i, `invalid \u escape`)
		}
		if r < 0xD800 || r > 0xDFFF {
			return r, 6, nil
		}
		if r >= 0xDC00 {
			return 0, 0, fail(ErrUTF8, i, "unpaired low surrogate escape")
		}
		if i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
			lo, ok := hex4(s, i+8)
			if !ok {
				return 0, 0, fail(ErrSyntax, i+6, `invalid \u escape`)
			}
			if lo >= 0xDC00 && lo <= 0xDFFF {
				return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, nil
			}
		}
		return 0, 0, fail(ErrUTF8, i, "unpaired high surrogate escape")
	}
	return 0, 0, fail(ErrSyntax, i, "invalid escape")
}

// hexVal maps hex digits to their value and every other byte to 0xFF.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// hex4 parses the four hex digits at s[i:i+4].
func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	a, b, c, d := hexVal[s[i]], hexVal[s[i+1]], hexVal[s[i+2]], hexVal[s[i+3]]
	if a|b|c|d > 0x0F { // some byte was not a hex digit (0xFF)
		return 0, false
	}
	return rune(a)<<12 | rune(b)<<8 | rune(c)<<4 | rune(d), true
}

// scanNumber validates the RFC 8259 number starting at data[p]:
//
//	-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
//
// It returns the index just past it. What follows is checked by the caller,
// which is what rejects leading zeros such as "01" (the number ends after
// "0" and '1' is not a valid separator).
func scanNumber(data []byte, p int) (int, error) {
	i := p
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return 0, fail(ErrSyntax, i, "truncated number")
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i = digits(data, i+1)
	default:
		return 0, unexpected(data, i, "invalid number")
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return 0, unexpected(data, j, "number needs digits after '.'")
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return 0, unexpected(data, j, "number needs digits in exponent")
		}
		i = j
	}
	return i, nil
}

// digits returns the index of the first non-digit at or after i.
func digits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// scanLiteral checks that data[p:] starts with lit (true, false or null).
// Anything glued on after it ("truex") is rejected by the caller's
// separator check.
func scanLiteral(data []byte, p int, lit string) (int, error) {
	if len(data)-p >= len(lit) && string(data[p:p+len(lit)]) == lit {
		return p + len(lit), nil
	}
	return 0, fail(ErrSyntax, p, "invalid literal")
}
