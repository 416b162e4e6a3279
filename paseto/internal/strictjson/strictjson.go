// Package strictjson validates and walks the JSON objects that carry PASETO
// claims and footers, enforcing the rules encoding/json does not.
//
// The PASETO payload-processing rules require that a payload be a single JSON
// object with unique keys and that footers be bounded (length, depth, number
// of keys) before they are decoded. encoding/json is too lenient for that:
// it accepts duplicate keys (the last one wins, which lets an attacker who can
// influence part of a payload shadow an earlier claim), it matches struct
// fields case-insensitively (so "EXP" can fill an Exp field) and it silently
// replaces invalid UTF-8 and unpaired surrogates with U+FFFD (so two different
// byte strings can decode to the same claim value).
//
// encoding/json also matches an object key to a struct field ignoring case,
// so {"role":"user","ROLE":"admin"} decoded into a struct with a "role"
// field gives "admin". Object therefore counts two keys of one object as
// duplicates when they are equal ignoring case, with the folding
// encoding/json uses (strings.EqualFold): whatever a caller later decodes
// from an accepted object with encoding/json, no key can shadow another.
//
// Object is a hand-written, single-pass, iterative scanner. It validates the
// whole input — RFC 8259 grammar, UTF-8, unpaired surrogate escapes, keys
// duplicated (ignoring case) at any nesting level, and the caller's depth
// and member bounds —
// and only then hands each top-level member to a callback as an unescaped key
// plus a Value whose Raw bytes alias the input. The caller switches on the
// exact (case-sensitive) key and decodes the value into a typed struct, so
// there is no map[string]any and no reflection. On the common path (an object
// of a dozen scalar members with unescaped keys) Object does not allocate.
//
// The length bound is not part of Limits because it needs no parsing: callers
// must check len(data) before calling Object.
package strictjson

import (
	"errors"
	"strconv"
)

// Default limits, used when the corresponding Limits field is zero (or
// negative). They are generous for PASETO claims — real tokens carry a
// dozen or so top-level claims and rarely nest at all — while keeping the
// work an attacker can cause per token small. Footers should use tighter,
// explicit limits.
const (
	// DefaultMaxDepth is the nesting depth allowed when Limits.MaxDepth is 0.
	DefaultMaxDepth = 16
	// DefaultMaxMembers is the number of top-level members allowed when
	// Limits.MaxMembers is 0.
	DefaultMaxMembers = 128
)

// Limits bounds the shape of the object accepted by Object. The bounds are
// enforced while scanning, so an oversized input is rejected as soon as the
// offending byte is reached, without examining the rest of it.
type Limits struct {
	// MaxDepth is the maximum container nesting depth, counting the
	// top-level object as depth 1. With MaxDepth 1 every top-level value must
	// be a scalar; with 2 a top-level value may be an object or array whose
	// own elements are scalars; and so on. Zero or negative selects
	// DefaultMaxDepth.
	MaxDepth int
	// MaxMembers is the maximum number of members of the top-level object.
	// Nested objects are not counted against it (they are bounded by the
	// input length, which the caller checks). Zero or negative selects
	// DefaultMaxMembers.
	MaxMembers int
}

// depth returns the effective MaxDepth. Non-positive values map to the
// default rather than to "unlimited" so that a miscomputed limit fails safe.
func (l Limits) depth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxDepth
}

// members returns the effective MaxMembers; see depth for why non-positive
// values select the default.
func (l Limits) members() int {
	if l.MaxMembers > 0 {
		return l.MaxMembers
	}
	return DefaultMaxMembers
}

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of JSON value. KindInvalid is the zero Kind and is never
// produced by Object.
const (
	KindInvalid Kind = iota
	KindString
	KindNumber
	KindBool // true or false
	KindNull
	KindObject
	KindArray
)

var kindNames = [...]string{
	KindInvalid: "invalid",
	KindString:  "string",
	KindNumber:  "number",
	KindBool:    "bool",
	KindNull:    "null",
	KindObject:  "object",
	KindArray:   "array",
}

// String returns the lower-case name of the kind, for error messages.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinel errors. Object and the Value methods return them wrapped in an
// *Error carrying the byte offset, so test them with errors.Is.
var (
	// ErrSyntax reports input that is not exactly one RFC 8259 JSON object:
	// malformed JSON of any kind, a top-level value that is not an object,
	// or data after the object.
	ErrSyntax = errors.New("strictjson: syntax error")
	// ErrDuplicateKey reports two members of the same object (at any depth)
	// whose keys are equal after unescaping, ignoring case as
	// strings.EqualFold does: "exp" and "EXP" are duplicates, and so are
	// "k" and "\u212a" (KELVIN SIGN), which encoding/json would match to
	// the same struct field.
	ErrDuplicateKey = errors.New("strictjson: duplicate object key")
	// ErrDepth reports nesting deeper than Limits.MaxDepth.
	ErrDepth = errors.New("strictjson: nesting too deep")
	// ErrTooManyMembers reports a top-level object with more than
	// Limits.MaxMembers members.
	ErrTooManyMembers = errors.New("strictjson: too many object members")
	// ErrUTF8 reports bytes that are not valid UTF-8, or a \u escape that
	// encodes an unpaired UTF-16 surrogate. Both would otherwise be decoded
	// as U+FFFD, making distinct inputs compare equal.
	ErrUTF8 = errors.New("strictjson: invalid UTF-8 or unpaired surrogate")
	// ErrKind reports a Value accessor called on a value of another kind,
	// e.g. Value.String on a number.
	ErrKind = errors.New("strictjson: wrong value kind")
)

// Error describes where and why input was rejected. Err is one of the
// sentinel errors and is returned by Unwrap.
//
// The message deliberately never quotes input bytes: claims and footers may
// hold secrets or attacker-chosen text, and these errors end up in logs.
type Error struct {
	Err    error  // the sentinel: ErrSyntax, ErrUTF8, ...
	Offset int    // byte offset at which the problem was detected
	Reason string // short fixed description of the problem
}

// Error implements the error interface.
func (e *Error) Error() string {
	return e.Err.Error() + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Unwrap returns the sentinel error, so errors.Is(err, ErrSyntax) etc. work.
func (e *Error) Unwrap() error { return e.Err }

// fail builds an *Error. Keeping it out of line keeps the scanner's hot
// loops small; it only runs on the error path.
//
//go:noinline
func fail(sentinel error, off int, reason string) error {
	return &Error{Err: sentinel, Offset: off, Reason: reason}
}

// Value is one JSON value found by Object.
//
// Treat a Value as read-only: Values produced by Object carry a private
// marker recording that the string needs no unescaping, which is only true
// of the Raw they were created with. A Value built by hand (for example from
// a nested object's Raw) is fully re-validated by its accessors.
type Value struct {
	// Kind is the JSON type of the value.
	Kind Kind
	// Raw is the exact bytes of the value in the input, including the quotes
	// of a string and the brackets of an object or array. It aliases the
	// input passed to Object and must not be modified. Nested objects and
	// arrays are delivered only as Raw; they have already been fully
	// validated (including duplicate keys) and can be walked with another
	// call to Object.
	Raw []byte

	// plain is set by Object for strings it has checked to contain no escape
	// sequences, so String can skip unescaping and re-validation.
	plain bool
}

// Object scans data, which must be exactly one JSON object (surrounded by
// optional JSON whitespace and nothing else), and calls fn for each
// top-level member in input order with the unescaped key and the member's
// value. fn may be nil, in which case Object only validates.
//
// The key slice aliases data when the key contains no escapes and otherwise
// an internal buffer; in both cases it is valid only during the call and
// must not be modified or retained (copy it, e.g. with string(key), if
// needed). Switching on string(key) does not allocate.
//
// Object rejects, with an error wrapping the matching sentinel:
//   - anything encoding/json.Valid rejects, a top-level value other than an
//     object, and trailing data (ErrSyntax);
//   - invalid UTF-8 anywhere in data, and \u escapes encoding an unpaired
//     surrogate (ErrUTF8);
//   - duplicate keys in any object, compared after unescaping and ignoring
//     case, so "a" and "\u0061" are duplicates, and so are "exp" and "EXP"
//     (ErrDuplicateKey);
//   - nesting deeper than lim.MaxDepth (ErrDepth);
//   - more than lim.MaxMembers top-level members (ErrTooManyMembers).
//
// The whole input is validated before fn is first called, so fn never sees
// members of an input that is then rejected — it cannot, for instance,
// observe the first of two duplicate claims. If fn returns an error, Object
// stops and returns that error unchanged.
//
// When data has several problems, which one is reported is not part of the
// contract; scanning stops at the first problem it meets, so an oversized or
// deeply nested input is rejected without reading the rest of it.
func Object(data []byte, lim Limits, fn func(key []byte, v Value) error) error {
	// Top-level members are recorded during the scan and delivered after it.
	// The backing array lives on Object's stack; it only moves to the heap
	// for objects with more members than it holds.
	var memberBuf [16]Member
	members, err := Members(data, lim, memberBuf[:0])
	if err != nil || fn == nil {
		return err
	}
	// Allocated only if some key has escapes, which well-formed tokens
	// essentially never contain. It cannot be a stack array because it is
	// passed to fn, an unknown function, which forces it onto the heap.
	var scratch []byte
	for i := range members {
		m := &members[i]
		key := data[m.key.start:m.key.end]
		if m.key.esc {
			// Cannot fail: the scan already validated the key.
			scratch, _ = appendUnescaped(scratch[:0], data, m.key.start, m.key.end)
			key = scratch
		}
		if err := fn(key, m.Value(data)); err != nil {
			return err
		}
	}
	return nil
}

// Members validates data exactly as Object does and, if it is acceptable,
// appends its top-level members, in input order, to buf and returns the
// extended slice; on error it returns nil.
//
// It is Object without the callback, for hot paths: a Member records
// offsets, not slices, so neither data nor buf escapes to the heap through
// it, and with a stack array as buf (its length the expected number of
// members) a typical claims object is validated and walked without
// allocating. Member's accessors take the same data.
func Members(data []byte, lim Limits, buf []Member) ([]Member, error) {
	return scan(data, lim.depth(), lim.members(), buf)
}

// Key returns m's unescaped key. It aliases data (which must be the slice
// passed to Members) when the key has no escape sequences, and is a fresh
// copy otherwise; either way the caller must not modify it.
func (m *Member) Key(data []byte) []byte {
	if !m.key.esc {
		return data[m.key.start:m.key.end]
	}
	// Cannot fail: the scan already validated the key.
	key, _ := appendUnescaped(nil, data, m.key.start, m.key.end)
	return key
}

// Value returns m's value; its Raw aliases data, which must be the slice
// passed to Members.
func (m *Member) Value(data []byte) Value {
	return Value{Kind: m.kind, Raw: data[m.valStart:m.valEnd], plain: m.plain}
}
