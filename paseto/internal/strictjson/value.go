package strictjson

import (
	"unicode/utf8"
)

// String returns the unescaped content of a string value. It fails with
// ErrKind for other kinds.
//
// Escapes, including \uXXXX and surrogate pairs, are decoded per RFC 8259;
// an unpaired surrogate is an error (ErrUTF8), never replaced with U+FFFD.
// For a string from Object without escapes this is a single allocation for
// the result.
func (v Value) String() (string, error) {
	if v.Kind != KindString {
		return "", fail(ErrKind, 0, "value is a "+v.Kind.String()+", not a string")
	}
	if content, ok := v.plainContent(); ok {
		return string(content), nil
	}
	// Unescaped content is never longer than the raw text, so short strings
	// are decoded without a heap buffer; only the result string allocates.
	var buf [128]byte
	b, err := v.AppendString(buf[:0])
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// StringIn is String for a caller that has converted the whole input of
// Object to a string once: src must hold the same bytes as data, the slice
// passed to Object. A string without escape sequences is then returned as a
// substring of src, without allocating; any other string is unescaped as by
// String. The substring is checked against Raw byte for byte, so a src or
// data that does not match only costs the allocation, never a wrong value.
func (v Value) StringIn(src string, data []byte) (string, error) {
	if content, ok := v.plainContent(); ok {
		// content aliases data: its capacity tells where it starts.
		if off := cap(data) - cap(content); off >= 0 && off <= len(src)-len(content) {
			if sub := src[off : off+len(content)]; sub == string(content) {
				return sub, nil
			}
		}
	}
	return v.String()
}

// AppendString appends the unescaped content of a string value to dst and
// returns the extended slice. It is String without the allocation: with a
// dst of sufficient capacity (for example a stack array) it does not
// allocate, which suits comparing a claim against an expected value.
// On error dst is returned unchanged.
func (v Value) AppendString(dst []byte) ([]byte, error) {
	if v.Kind != KindString {
		return dst, fail(ErrKind, 0, "value is a "+v.Kind.String()+", not a string")
	}
	if content, ok := v.plainContent(); ok {
		return append(dst, content...), nil
	}
	raw := v.Raw
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, fail(ErrSyntax, 0, "string value is not quoted")
	}
	out, err := appendUnescaped(dst, raw, 1, len(raw)-1)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// plainContent returns the content of a string Object has already checked
// to contain no escapes. The shape check guards against a Value whose Raw
// was replaced after Object produced it; content checks would defeat the
// purpose of the fast path.
func (v Value) plainContent() ([]byte, bool) {
	raw := v.Raw
	if !v.plain || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
}

// Bool returns the value of a true or false literal. It fails with ErrKind
// for other kinds.
func (v Value) Bool() (bool, error) {
	if v.Kind != KindBool {
		return false, fail(ErrKind, 0, "value is a "+v.Kind.String()+", not a bool")
	}
	switch string(v.Raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fail(ErrSyntax, 0, "invalid bool literal")
}

// appendUnescaped validates the string content s[start:end] (the text
// between the quotes) and appends its unescaped form to dst. Error offsets
// are indexes into s. It validates fully, rather than trusting the scanner,
// because it also serves hand-built Values.
func appendUnescaped(dst, s []byte, start, end int) ([]byte, error) {
	s = s[:end]
	i := start
	for i < len(s) {
		j := i
		for j < len(s) && plainByte[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		switch c := s[i]; {
		case c == '\\':
			r, n, err := decodeEscape(s, i)
			if err != nil {
				return dst, err
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, fail(ErrUTF8, i, "invalid UTF-8")
			}
			dst = append(dst, s[i:i+size]...)
			i += size
		case c == '"':
			return dst, fail(ErrSyntax, i, "unescaped quote in string")
		default:
			return dst, fail(ErrSyntax, i, "control character in string")
		}
	}
	return dst, nil
}
