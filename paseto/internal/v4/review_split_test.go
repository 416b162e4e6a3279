package v4

import (
	"bytes"
	"strings"
	"testing"
)

// Review of the verify-path performance merge (3881d9b): SplitInto and
// decodeSegment against f88feca's Split, kept here verbatim (renamed),
// which decoded with encoding/base64's strict decoder.
func f88Split(token, header string, maxLen, maxFooter int) (body, footer []byte, err error) {
	if len(token) > maxLen {
		return nil, nil, ErrTooLarge
	}
	if header != LocalHeader && header != PublicHeader {
		return nil, nil, ErrHeader
	}
	if len(token) < len(header) || token[:len(header)] != header {
		return nil, nil, ErrHeader
	}
	rest := token[len(header):]
	dot := strings.IndexByte(rest, '.')
	if dot >= 0 && strings.IndexByte(rest[dot+1:], '.') >= 0 {
		return nil, nil, ErrMalformed
	}
	encBody, encFooter := rest, ""
	if dot >= 0 {
		encBody, encFooter = rest[:dot], rest[dot+1:]
		if len(encFooter) == 0 {
			return nil, nil, ErrMalformed
		}
	}
	if len(encBody) == 0 {
		return nil, nil, ErrMalformed
	}
	if len(encBody)%4 == 1 || len(encFooter)%4 == 1 {
		return nil, nil, ErrMalformed
	}
	if !inAlphabet(encBody) || !inAlphabet(encFooter) {
		return nil, nil, ErrMalformed
	}
	if !canonicalTail(encBody) || (len(encFooter) > 0 && !canonicalTail(encFooter)) {
		return nil, nil, ErrMalformed
	}
	bodyLen := b64.DecodedLen(len(encBody))
	footerLen := b64.DecodedLen(len(encFooter))
	if bodyLen < minBody {
		return nil, nil, ErrMalformed
	}
	if footerLen > maxFooter {
		return nil, nil, ErrTooLarge
	}
	buf := make([]byte, bodyLen+footerLen)
	if n, err := b64.Decode(buf[:bodyLen], []byte(encBody)); err != nil || n != bodyLen {
		return nil, nil, ErrMalformed
	}
	body = buf[:bodyLen:bodyLen]
	if dot >= 0 {
		if n, err := b64.Decode(buf[bodyLen:], []byte(encFooter)); err != nil || n != footerLen {
			return nil, nil, ErrMalformed
		}
		footer = buf[bodyLen:]
	}
	return body, footer, nil
}

// compareSplit fails t unless Split and SplitInto with buffers of every
// interesting size give f88feca's answer: same error, same bytes, footer
// nil exactly when f88feca's was, and windows that never overlap or reach
// past the decoded length.
func compareSplit(t *testing.T, token, header string, maxLen, maxFooter int) {
	t.Helper()
	wb, wf, werr := f88Split(token, header, maxLen, maxFooter)
	need := len(wb) + len(wf)
	for _, size := range []int{-1, 0, need - 1, need, need + 1, 1023, 1024, 1025} {
		var buf []byte
		if size >= 0 {
			buf = bytes.Repeat([]byte{0xA5}, size)
		}
		var gb, gf []byte
		var gerr error
		if size < 0 {
			gb, gf, gerr = Split(token, header, maxLen, maxFooter)
		} else {
			gb, gf, gerr = SplitInto(buf, token, header, maxLen, maxFooter)
		}
		if gerr != werr {
			t.Fatalf("token %q max %d/%d buf %d: err %v, f88feca %v", token, maxLen, maxFooter, size, gerr, werr)
		}
		if gerr != nil {
			continue
		}
		if !bytes.Equal(gb, wb) || !bytes.Equal(gf, wf) || (gf == nil) != (wf == nil) {
			t.Fatalf("token %q buf %d: got %x.%x, f88feca %x.%x", token, size, gb, gf, wb, wf)
		}
		if cap(gb) != len(gb) || cap(gf) != len(gf) {
			t.Fatalf("token %q buf %d: capacities not capped: %d/%d %d/%d", token, size, len(gb), cap(gb), len(gf), cap(gf))
		}
		if size >= need {
			// In the caller's buffer; nothing past need written.
			for i := need; i < size; i++ {
				if buf[i] != 0xA5 {
					t.Fatalf("token %q buf %d: byte %d past the decoded length written", token, size, i)
				}
			}
		}
	}
}

func reviewSplitSeeds(tb testing.TB) []string {
	seeds := seedTokens(tb)
	key := new([32]byte)
	key[0] = 7
	// Tokens whose decoded size straddles the 1 KiB stack buffer.
	for _, n := range []int{0, 1, 2, 3, 900, 955, 956, 957, 958, 959, 960, 961, 990, 1024} {
		for _, f := range []string{"", "f", "ff", `{"kid":"k4.lid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`} {
			if 64+n+len(f) < 900 && n > 3 {
				continue
			}
			seeds = append(seeds, Encrypt(key, bytes.Repeat([]byte{'x'}, n), []byte(f), nil))
		}
	}
	return seeds
}

// TestReviewSplitIntoMatchesF88feca compares on the vectors, their
// mutations (bytes replaced near both ends and at a sample between, a character dropped or added at each
// end, padding, whitespace, trailing-bit flips) and tokens at the 1 KiB
// edge, under several size limits.
func TestReviewSplitIntoMatchesF88feca(t *testing.T) {
	muts := []string{"=", "==", " ", "\n", "\r", "+", "/", ".", "A", "B", "_", "-", "\x00", "\xff", "é"}
	for _, tok := range reviewSplitSeeds(t) {
		for _, limits := range [][2]int{{len(tok), 1024}, {len(tok) - 1, 1024}, {1 << 20, 0}, {1 << 20, 1}, {1 << 20, 51 + 10}} {
			compareSplit(t, tok, LocalHeader, limits[0], limits[1])
			compareSplit(t, tok, PublicHeader, limits[0], limits[1])
		}
		for i := len(LocalHeader); i < len(tok); i++ {
			if i > len(LocalHeader)+12 && i < len(tok)-12 && i%41 != 0 {
				continue // the ends, where the segments' edges are, and a sample between
			}
			for _, m := range muts {
				compareSplit(t, tok[:i]+m+tok[i+1:], LocalHeader, 1<<20, 1<<20)
				compareSplit(t, tok[:i]+m+tok[i:], LocalHeader, 1<<20, 1<<20)
			}
			compareSplit(t, tok[:i]+tok[i+1:], LocalHeader, 1<<20, 1<<20)
		}
	}
}

// TestReviewDecodeSegment compares decodeSegment with the strict decoder
// on every string of up to 2 bytes, on 3-byte strings, and on alphabet
// strings of 1 to 25
// with one byte varied through all 256 values at each position.
func TestReviewDecodeSegment(t *testing.T) {
	check := func(s string) {
		want, werr := b64.DecodeString(s)
		if werr == nil && !inAlphabet(s) { // CR/LF skipped by encoding/base64
			werr = ErrMalformed
		}
		dst := make([]byte, b64.DecodedLen(len(s)))
		ok := decodeSegment(dst, s)
		if ok != (werr == nil) || (ok && !bytes.Equal(dst, want)) {
			t.Fatalf("decodeSegment(%q) = %v %x; strict decoder %x, %v", s, ok, dst, want, werr)
		}
	}
	check("")
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// A sample of first and second characters; the third, whose two low
	// bits are the trailing bits, takes all 256 values.
	for i := 0; i < len(alpha); i += 4 {
		for j := 1; j < len(alpha); j += 4 {
			a, b := alpha[i], alpha[j]
			for c := range 256 {
				check(string([]byte{a, b, byte(c)}))
			}
		}
	}
	for _, base := range []string{"QUJD", "QUJDRA", "QUJDREU", "QUJDREVG", "QUJDREVGRw", "QUJDREVGR0g", "QUJDREVGR0hJ", "_-_-_-_-_-_-_-_-_-_-_-_-_"} {
		for n := len(base) - 3; n <= len(base); n++ {
			for i := range n {
				for c := range 256 {
					b := []byte(base[:n])
					b[i] = byte(c)
					check(string(b))
				}
			}
		}
	}
}

// FuzzReviewSplitInto differential-fuzzes SplitInto against f88feca's Split.
func FuzzReviewSplitInto(f *testing.F) {
	for _, s := range reviewSplitSeeds(f) {
		f.Add(s, 1<<16, 512)
	}
	f.Fuzz(func(t *testing.T, token string, maxLen, maxFooter int) {
		if maxLen < 0 || maxLen > 1<<16 || maxFooter < 0 {
			return
		}
		compareSplit(t, token, LocalHeader, maxLen, maxFooter)
		compareSplit(t, token, PublicHeader, maxLen, maxFooter)
	})
}
