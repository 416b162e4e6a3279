package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Everything printed from a token is attacker-controlled. These helpers keep
// it from reaching the terminal as control sequences (ESC, CSI), bidi
// overrides that reorder what is shown, or invalid UTF-8.

// unsafeRune reports whether r must not be printed as is.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// safeJSON escapes unsafe runes of valid (possibly indented) JSON as \u
// escapes, so the result is the same JSON value and safe to print. Outside
// strings valid JSON holds only ASCII punctuation, digits, letters and the
// whitespace of the indentation, which is kept.
func safeJSON(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == '\n' || r == '\t':
			sb.WriteRune(r)
		case r == utf8.RuneError && n == 1:
			sb.WriteString(`\ufffd`)
		case unsafeRune(r):
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&sb, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&sb, `\u%04x`, r)
			}
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// safeQuote quotes b as a Go string literal: non-printable runes, bidi
// controls and invalid UTF-8 come out as escapes.
func safeQuote(b []byte) string { return strconv.Quote(string(b)) }

// safeLine returns s with unsafe runes escaped and nothing else changed, for
// one-line messages that may carry parts of a token.
func safeLine(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&sb, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			sb.WriteString(q[1 : len(q)-1])
		default:
			sb.WriteRune(r)
		}
		i += n
	}
	return sb.String()
}
