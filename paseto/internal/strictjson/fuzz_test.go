package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// refShape is what the reference (encoding/json's tokenizer) says about an
// input that encoding/json.Valid accepts.
type refShape struct {
	object  bool // the top-level value is an object
	depth   int  // maximum container nesting, top-level object = 1
	members int  // members of the top-level object
	dup     bool // some object, at any depth, has a repeated key
}

// reference computes refShape with encoding/json.Decoder.Token, an
// implementation independent of the scanner under test. Keys are compared
// with strings.EqualFold after encoding/json's unescaping, which is exact
// for inputs that are valid UTF-8 and contain no unpaired surrogate escapes
// (the only inputs the result is used for).
func reference(data []byte) (refShape, error) {
	type frame struct {
		obj       bool
		expectKey bool
		keys      []string
	}
	var (
		shape refShape
		stack []frame
	)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return shape, nil
		}
		if err != nil {
			return shape, err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.obj && top.expectKey {
			for _, k := range top.keys {
				shape.dup = shape.dup || strings.EqualFold(k, s)
			}
			top.keys = append(top.keys, s)
			top.expectKey = false
			if len(stack) == 1 {
				shape.members++
			}
			continue
		}
		// Any other token is a value (or the end of one) in its parent.
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.obj {
			top.expectKey = true
		}
		if d, ok := tok.(json.Delim); ok {
			if len(stack) == 0 {
				shape.object = d == '{'
			}
			stack = append(stack, frame{obj: d == '{', expectKey: true})
			shape.depth = max(shape.depth, len(stack))
		}
	}
}

// hasLoneSurrogate reports whether JSON text that encoding/json.Valid
// accepts contains a \u escape for an unpaired UTF-16 surrogate. In valid
// JSON a backslash only occurs inside strings, so escapes can be found by
// a plain left-to-right walk.
func hasLoneSurrogate(data []byte) bool {
	hex := func(i int) int {
		if i+4 > len(data) {
			return -1
		}
		var v int
		for _, c := range data[i : i+4] {
			switch {
			case '0' <= c && c <= '9':
				v = v<<4 | int(c-'0')
			case 'a' <= c && c <= 'f':
				v = v<<4 | int(c-'a'+10)
			case 'A' <= c && c <= 'F':
				v = v<<4 | int(c-'A'+10)
			default:
				return -1
			}
		}
		return v
	}
	for i := 0; i+1 < len(data); {
		if data[i] != '\\' {
			i++
			continue
		}
		if data[i+1] != 'u' {
			i += 2
			continue
		}
		v := hex(i + 2)
		switch {
		case v >= 0xD800 && v <= 0xDBFF:
			if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
				if lo := hex(i + 8); lo >= 0xDC00 && lo <= 0xDFFF {
					i += 12
					continue
				}
			}
			return true
		case v >= 0xDC00 && v <= 0xDFFF:
			return true
		}
		i += 6
	}
	return false
}

var sentinels = []error{
	strictjson.ErrSyntax, strictjson.ErrDuplicateKey, strictjson.ErrDepth,
	strictjson.ErrTooManyMembers, strictjson.ErrUTF8,
}

func FuzzObject(f *testing.F) {
	for _, tc := range objectCases {
		if len(tc.in) > 1024 {
			// Large seeds make minimisation of their mutants slow without
			// adding coverage the smaller wide/deep cases lack.
			continue
		}
		f.Add([]byte(tc.in), uint8(tc.lim.MaxDepth), uint8(tc.lim.MaxMembers))
	}
	for _, s := range []string{
		claims,
		`{"a":{"b":{"c":[1,2,{"d":null}]}},"e":[[],[{}]]}`,
		`{"a":"\ud83d\ude00","\ud83d\ude00":"😀"}`,
		`{"a":1,"\u0061":2}`,
		`{"\u0041":1,"A":2,"a":3}`,
		`{"role":"user","ROLE":"admin"}`,
		`{"kid":1,"\u212aid":2,"ſub":3,"SUB":4}`,
		`{"i":1,"İ":2,"ı":3,"σ":4,"ς":5}`,
		`{"x":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"\u212a":18}}`,
		`{"k":"\u00e9","k2":"é","k3":"\uD834\uDD1E"}`,
		`{"n":-0.0e-0,"m":1E+9,"o":0.1}`,
		`{"a":"\ud800"}`,
		`{"a":"\\ud800"}`,
		`{"a":"\\\ud800\udc00"}`,
		"{\"a\":\"\xed\xa0\x80\"}",
		"{\"\xc3\xa9\":1,\"\\u00e9\":2}",
		`{"x":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}}`,
		`{"a":[{"a":[{"a":[]}]}]}`,
		`{"a" : 1 , "b" : [ 1 , 2 ] }`,
		`{"a":1}  `,
		`{}`,
	} {
		f.Add([]byte(s), uint8(0), uint8(0))
		f.Add([]byte(s), uint8(2), uint8(3))
	}

	f.Fuzz(func(t *testing.T, data []byte, depthLimit, memberLimit uint8) {
		lim := strictjson.Limits{MaxDepth: int(depthLimit % 24), MaxMembers: int(memberLimit)}
		effDepth, effMembers := lim.MaxDepth, lim.MaxMembers
		if effDepth == 0 {
			effDepth = strictjson.DefaultMaxDepth
		}
		if effMembers == 0 {
			effMembers = strictjson.DefaultMaxMembers
		}

		type member struct {
			key string
			v   strictjson.Value
		}
		var got []member
		err := strictjson.Object(data, lim, func(key []byte, v strictjson.Value) error {
			got = append(got, member{string(key), v})
			return nil
		})
		// Validation alone must agree with validation plus delivery.
		if errNil := strictjson.Object(data, lim, nil); (errNil == nil) != (err == nil) {
			t.Fatalf("nil callback: %v, with callback: %v", errNil, err)
		}

		if err != nil {
			var e *strictjson.Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(data) {
				t.Fatalf("error %v is not an *Error with an in-range offset", err)
			}
			known := false
			for _, s := range sentinels {
				known = known || e.Err == s
			}
			if !known {
				t.Fatalf("error %v wraps an unknown sentinel", err)
			}
			if len(got) != 0 {
				t.Fatalf("callback ran %d times for rejected input", len(got))
			}
		}

		valid := json.Valid(data)
		cleanUTF8 := utf8.Valid(data) && (!valid || !hasLoneSurrogate(data))

		if err == nil {
			if !valid {
				t.Fatalf("accepted input encoding/json.Valid rejects: %q", data)
			}
			if !cleanUTF8 {
				t.Fatalf("accepted invalid UTF-8 or unpaired surrogate: %q", data)
			}
			if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] != '{' {
				t.Fatalf("accepted a non-object: %q", data)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("encoding/json cannot decode accepted input %q: %v", data, err)
			}
			if len(m) != len(got) {
				t.Fatalf("%d members delivered, encoding/json decoded %d (duplicates?): %q", len(got), len(m), data)
			}
			if len(got) > effMembers {
				t.Fatalf("%d members delivered, limit %d", len(got), effMembers)
			}
			// StringIn, given the input as a string, answers what String
			// answers; given a string that is not the input, still so.
			src := string(data)
			for _, g := range got {
				if g.v.Kind != strictjson.KindString {
					continue
				}
				want, wantErr := g.v.String()
				for _, in := range []string{src, strings.Repeat("x", len(src))} {
					if s, err := g.v.StringIn(in, data); s != want || (err == nil) != (wantErr == nil) {
						t.Fatalf("StringIn = %q, %v; String = %q, %v", s, err, want, wantErr)
					}
				}
			}
			for _, g := range got {
				raw, ok := m[g.key]
				if !ok {
					t.Fatalf("key %q not found by encoding/json", g.key)
				}
				if !bytes.Equal(raw, g.v.Raw) {
					t.Fatalf("key %q: Raw %q, encoding/json %q", g.key, g.v.Raw, raw)
				}
				wantKind := map[byte]strictjson.Kind{'"': strictjson.KindString, '{': strictjson.KindObject,
					'[': strictjson.KindArray, 't': strictjson.KindBool, 'f': strictjson.KindBool, 'n': strictjson.KindNull}[raw[0]]
				if wantKind == 0 {
					wantKind = strictjson.KindNumber
				}
				if g.v.Kind != wantKind {
					t.Fatalf("key %q: kind %v for %q", g.key, g.v.Kind, raw)
				}
				if g.v.Kind == strictjson.KindString {
					var want string
					if err := json.Unmarshal(raw, &want); err != nil {
						t.Fatal(err)
					}
					s, err := g.v.String()
					if err != nil || s != want {
						t.Fatalf("key %q: String() = %q, %v; encoding/json %q", g.key, s, err, want)
					}
				}
			}
		}

		if valid && cleanUTF8 {
			ref, rerr := reference(data)
			if rerr != nil {
				t.Fatalf("reference tokenizer failed on valid input: %v", rerr)
			}
			ok := ref.object && !ref.dup && ref.depth <= effDepth && ref.members <= effMembers
			if ok != (err == nil) {
				t.Fatalf("Object = %v, reference %+v (limits depth %d members %d): %q", err, ref, effDepth, effMembers, data)
			}
			// Each rejection must be justified by the reference.
			switch {
			case err == nil:
			case errors.Is(err, strictjson.ErrSyntax) && ref.object:
				t.Fatalf("ErrSyntax for a valid object: %v: %q", err, data)
			case errors.Is(err, strictjson.ErrUTF8):
				t.Fatalf("ErrUTF8 for clean input: %v: %q", err, data)
			case errors.Is(err, strictjson.ErrDuplicateKey) && !ref.dup,
				errors.Is(err, strictjson.ErrDepth) && ref.depth <= effDepth,
				errors.Is(err, strictjson.ErrTooManyMembers) && ref.members <= effMembers:
				t.Fatalf("unjustified %v, reference %+v: %q", err, ref, data)
			}
		}
		// On any input, an ErrUTF8 for UTF-8-valid bytes must point at a
		// \u escape (the unpaired surrogate).
		var e *strictjson.Error
		if errors.As(err, &e) && e.Err == strictjson.ErrUTF8 && utf8.Valid(data) &&
			!bytes.HasPrefix(data[e.Offset:], []byte(`\u`)) {
			t.Fatalf("ErrUTF8 at offset %d of valid UTF-8, not at a \\u escape: %q", e.Offset, data)
		}
	})
}
