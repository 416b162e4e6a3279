package strictjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// claims is the typical access-token payload used by the allocation test
// and the benchmarks.
const claims = `{"sub":"user-1234","type":"access","jti":"Zx8Qm3vT1pLk9sRw2YbN4a",` +
	`"iat":"2026-11-23T19:00:00Z","nbf":"2026-11-23T19:00:00Z","exp":"2026-11-23T19:15:00Z",` +
	`"fresh":true,"auth_time":"2026-11-23T19:00:00Z","iss":"https://api.example.com",` +
	`"aud":"example-app","role":"admin"}`

// nested returns an object nested depth levels deep (depth 1 is "{}"-like):
// {"a":{"a":...{"a":1}...}}.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{"a":1}` + strings.Repeat("}", depth-1)
}

// nestedArr returns {"a":[[...[1]...]]} with total depth depth (>= 2).
func nestedArr(depth int) string {
	return `{"a":` + strings.Repeat("[", depth-1) + "1" + strings.Repeat("]", depth-1) + "}"
}

// wide returns an object with n members "k0".."k{n-1}", followed by extra
// raw members (e.g. `"k3":0` to create a duplicate).
func wide(n int, extra ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	for _, e := range extra {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(e)
	}
	b.WriteByte('}')
	return b.String()
}

type objectCase struct {
	name string
	in   string
	lim  strictjson.Limits
	want error // nil for valid input
}

var objectCases = []objectCase{
	// Valid.
	{"empty object", `{}`, strictjson.Limits{}, nil},
	{"surrounding whitespace", " \t\r\n{ \t\r\n} \t\r\n", strictjson.Limits{}, nil},
	{"claims", claims, strictjson.Limits{}, nil},
	{"same key at different levels", `{"a":{"a":{"a":1}}}`, strictjson.Limits{}, nil},
	{"same key in sibling objects", `{"a":[{"b":1},{"b":2}],"c":{"b":3}}`, strictjson.Limits{}, nil},
	{"empty key", `{"":1}`, strictjson.Limits{}, nil},
	{"all scalar kinds", `{"s":"x","n":-1.5e+3,"t":true,"f":false,"z":null}`, strictjson.Limits{}, nil},
	{"numbers", `{"a":0,"b":-0,"c":1.0,"d":1e10,"e":1E-2,"f":-0.0e+0,"g":123456789012345678901234567890}`, strictjson.Limits{}, nil},
	{"empty containers", `{"a":{},"b":[],"c":[{}],"d":[[]]}`, strictjson.Limits{}, nil},
	{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u0000\u00e9\uFFFF\ud83d\ude00"}`, strictjson.Limits{}, nil},
	{"escaped NUL key", `{"\u0000":1}`, strictjson.Limits{}, nil},
	{"raw multibyte UTF-8", `{"é":"日本語😀","\u00e8":"é"}`, strictjson.Limits{}, nil},
	{"raw DEL and U+2028", "{\"a\":\"\x7f\u2028\"}", strictjson.Limits{}, nil},
	{"raw U+FFFD is valid", "{\"a\":\"\uFFFD\"}", strictjson.Limits{}, nil},
	{"escaped vs raw backslash keys differ", `{"a\"b":1,"a\\b":2,"a/b":3}`, strictjson.Limits{}, nil},

	// Not a single object.
	{"empty input", ``, strictjson.Limits{}, strictjson.ErrSyntax},
	{"whitespace only", " \n\t", strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level array", `[]`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level array of object", `[{"a":1}]`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level string", `"str"`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level number", `1`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level null", `null`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"top-level true", `true`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing garbage", `{"a":1} x`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"two objects", `{"a":1}{}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"extra closing brace", `{"a":1}}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing NUL", "{\"a\":1}\x00", strictjson.Limits{}, strictjson.ErrSyntax},
	{"byte order mark", "\uFEFF{}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"NBSP is not whitespace", "\u00a0{}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"form feed is not whitespace", "{\f}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"vertical tab is not whitespace", "{}\v", strictjson.Limits{}, strictjson.ErrSyntax},

	// Structure.
	{"unterminated object", `{`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"unterminated after member", `{"a":1`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"key without value", `{"a"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"missing value", `{"a":}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"missing colon", `{"a" 1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing comma object", `{"a":1,}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing comma nested object", `{"a":{"b":1,}}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing comma array", `{"a":[1,]}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"leading comma array", `{"a":[,1]}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"lone comma", `{,}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"double comma", `{"a":1,,"b":2}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"missing comma", `{"a":1 "b":2}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"mismatched bracket", `{"a":[}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"mismatched brace", `{"a":{]}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"array with colon", `{"a":[1:2]}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"single-quoted key", `{'a':1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"single-quoted value", `{"a":'b'}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"unquoted key", `{a:1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"number key", `{0:"test"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"line comment", "{\"a\":1}// c", strictjson.Limits{}, strictjson.ErrSyntax},
	{"block comment", `{/* c */"a":1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"hash comment", "{\"a\":1 # c\n}", strictjson.Limits{}, strictjson.ErrSyntax},

	// Numbers.
	{"leading zero", `{"a":01}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"negative leading zero", `{"a":-01}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"double zero", `{"a":00}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"plus sign", `{"a":+1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"leading dot", `{"a":.5}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"trailing dot", `{"a":1.}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"dot before exponent", `{"a":1.e5}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"empty exponent", `{"a":1e}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"signed empty exponent", `{"a":1e+}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"lone minus", `{"a":-}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"double minus", `{"a":--1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"NaN", `{"a":NaN}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"Infinity", `{"a":Infinity}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"negative Infinity", `{"a":-Infinity}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"hex number", `{"a":0x10}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"truncated number at EOF", `{"a":-`, strictjson.Limits{}, strictjson.ErrSyntax},

	// Literals.
	{"truncated true", `{"a":tru}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"true with suffix", `{"a":truex}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"capitalised True", `{"a":True}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"truncated null", `{"a":nul}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"null with extra l", `{"a":nulll}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"false at EOF", `{"a":fals`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"undefined", `{"a":undefined}`, strictjson.Limits{}, strictjson.ErrSyntax},

	// Strings and escapes.
	{"unterminated string", `{"a":"b}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"unterminated key", `{"a`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"bad escape x", `{"a":"\x41"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"bad escape single quote", `{"a":"\'"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"bad escape capital U", `{"a":"\U0041"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"bad escape in key", `{"\a":1}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"short \\u escape", `{"a":"\u12"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"non-hex \\u escape", `{"a":"\u12G4"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"backslash at EOF", `{"a":"\`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"escaped closing quote", `{"a":"\"}`, strictjson.Limits{}, strictjson.ErrSyntax},
	{"raw tab in value", "{\"a\":\"\t\"}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"raw newline in value", "{\"a\":\"x\ny\"}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"raw NUL in value", "{\"a\":\"\x00\"}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"raw 0x1f in key", "{\"\x1f\":1}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"raw control char nested", "{\"a\":[\"\x01\"]}", strictjson.Limits{}, strictjson.ErrSyntax},
	{"high surrogate then bad escape", `{"a":"\ud800\uZZZZ"}`, strictjson.Limits{}, strictjson.ErrSyntax},

	// UTF-8 and surrogates.
	{"invalid byte in value", "{\"a\":\"\xff\"}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"invalid byte in key", "{\"\xfe\":1}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"truncated sequence", "{\"a\":\"\xc3\"}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"overlong encoding", "{\"a\":\"\xc0\xaf\"}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"invalid byte nested", "{\"a\":{\"b\":[\"\x80\"]}}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"invalid byte after object", "{\"a\":1}\xff", strictjson.Limits{}, strictjson.ErrUTF8},
	{"invalid byte before object", "\xff{}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"invalid byte as value", "{\"a\":\xff}", strictjson.Limits{}, strictjson.ErrUTF8},
	{"lone high surrogate", `{"a":"\ud800"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"lone low surrogate", `{"a":"\udc00"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"lone surrogate in key", `{"\uDFFF":1}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"lone surrogate nested", `{"a":["\uD834"]}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"high surrogate then BMP escape", `{"a":"\ud800\u0041"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"high surrogate then raw char", `{"a":"\ud800x"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"high surrogate then other escape", `{"a":"\ud800\n"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"two high surrogates", `{"a":"\ud800\ud800"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"reversed pair", `{"a":"\udc00\ud800"}`, strictjson.Limits{}, strictjson.ErrUTF8},
	{"pair split across strings", `{"a":["\ud83d","\ude00"]}`, strictjson.Limits{}, strictjson.ErrUTF8},

	// Duplicates.
	{"duplicate", `{"a":1,"a":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate same value", `{"a":1,"a":1}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate not adjacent", `{"a":1,"b":2,"a":3}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate claim", `{"sub":"alice","role":"user","sub":"bob"}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate empty key", `{"":1,"":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped duplicate second", `{"a":1,"\u0061":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped duplicate first", `{"\u0061":1,"a":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"both escaped duplicate", `{"\u0061":1,"\u0061":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escape case differs", `{"\u00E9":1,"\u00e9":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped vs raw multibyte", `{"\u00e9":1,"é":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"surrogate pair vs raw", `{"\ud83d\ude00":1,"😀":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped slash", `{"a/b":1,"a\/b":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped NUL keys", `{"\u0000":1,"\u0000":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"partly escaped", `{"exp":1,"e\u0078p":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate after nested object", `{"a":{"b":1},"a":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate nested", `{"x":{"a":1,"a":2}}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate nested in array", `{"x":[{"a":1},{"a":1,"a":2}]}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"duplicate top after nested same key", `{"a":{"a":1},"b":2,"a":3}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	// Keys equal ignoring case are duplicates: encoding/json would decode
	// both into one struct field, the last one winning.
	{"case variant", `{"role":"user","ROLE":"admin"}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant of a claim", `{"exp":"a","EXP":"b"}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant one letter", `{"role":1,"rolE":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant escaped", `{"role":1,"\u0052ole":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant nested", `{"profile":{"role":"user","Role":"admin"}}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant nested in array", `{"a":[{"id":1},{"id":1,"ID":2}]}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"kelvin sign raw", `{"kid":1,"Kid":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"kelvin sign escaped", `{"kid":1,"\u212aid":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"long s", `{"sub":1,"ſub":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"long s vs upper", `{"ſub":1,"SUB":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"greek sigma forms", `{"σ":1,"ς":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"non-ASCII case variant", `{"été":1,"ÉTÉ":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant in map mode", wide(30, `"K7":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"kelvin in map mode", wide(30, `"\u212a7":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"case variant nested map mode", `{"x":` + wide(20, `"K19":1`) + `}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"dotted capital I is not i", `{"i":1,"İ":2}`, strictjson.Limits{}, nil},
	{"dotless i is not I", `{"I":1,"ı":2}`, strictjson.Limits{}, nil},
	{"letters that do not fold", `{"a_b":1,"a-b":2,"ab":3,"AB_":4,"@":5,"` + "`" + `":6,"[":7,"{":8}`, strictjson.Limits{}, nil},
	{"same letters different length", `{"ab":1,"abb":2,"AbBb":3}`, strictjson.Limits{}, nil},
	{"escaped prefix is not duplicate", `{"ab":1,"\u0061":2}`, strictjson.Limits{}, nil},
	{"escaped longer is not duplicate", `{"a":1,"\u0061b":2}`, strictjson.Limits{}, nil},

	// Depth limits.
	{"depth 1 scalars", `{"a":1,"b":"x"}`, strictjson.Limits{MaxDepth: 1}, nil},
	{"depth 1 nested object", `{"a":{}}`, strictjson.Limits{MaxDepth: 1}, strictjson.ErrDepth},
	{"depth 1 nested array", `{"a":[]}`, strictjson.Limits{MaxDepth: 1}, strictjson.ErrDepth},
	{"depth 2 at limit", `{"a":{"b":1},"c":[1,2]}`, strictjson.Limits{MaxDepth: 2}, nil},
	{"depth 2 object over", `{"a":{"b":{}}}`, strictjson.Limits{MaxDepth: 2}, strictjson.ErrDepth},
	{"depth 2 array over", `{"a":[[1]]}`, strictjson.Limits{MaxDepth: 2}, strictjson.ErrDepth},
	{"depth 3 at limit", nested(3), strictjson.Limits{MaxDepth: 3}, nil},
	{"depth 3 over", nested(4), strictjson.Limits{MaxDepth: 3}, strictjson.ErrDepth},
	{"default depth at limit", nested(strictjson.DefaultMaxDepth), strictjson.Limits{}, nil},
	{"default depth over", nested(strictjson.DefaultMaxDepth + 1), strictjson.Limits{}, strictjson.ErrDepth},
	{"default depth array at limit", nestedArr(strictjson.DefaultMaxDepth), strictjson.Limits{}, nil},
	{"default depth array over", nestedArr(strictjson.DefaultMaxDepth + 1), strictjson.Limits{}, strictjson.ErrDepth},
	{"negative depth means default", nested(strictjson.DefaultMaxDepth + 1), strictjson.Limits{MaxDepth: -1}, strictjson.ErrDepth},
	{"depth checked before syntax", `{"a":{"b":{`, strictjson.Limits{MaxDepth: 2}, strictjson.ErrDepth},
	{"large depth limit", nested(100), strictjson.Limits{MaxDepth: 100}, nil},

	// Member limits.
	{"members at limit", `{"a":1,"b":2}`, strictjson.Limits{MaxMembers: 2}, nil},
	{"members over", `{"a":1,"b":2,"c":3}`, strictjson.Limits{MaxMembers: 2}, strictjson.ErrTooManyMembers},
	{"members 1 at limit", `{"a":1}`, strictjson.Limits{MaxMembers: 1}, nil},
	{"members 1 over", `{"a":1,"b":2}`, strictjson.Limits{MaxMembers: 1}, strictjson.ErrTooManyMembers},
	{"nested members not counted", `{"a":{"x":1,"y":2,"z":3}}`, strictjson.Limits{MaxMembers: 1}, nil},
	{"default members at limit", wide(strictjson.DefaultMaxMembers), strictjson.Limits{}, nil},
	{"default members over", wide(strictjson.DefaultMaxMembers + 1), strictjson.Limits{}, strictjson.ErrTooManyMembers},
	{"negative members means default", wide(strictjson.DefaultMaxMembers + 1), strictjson.Limits{MaxMembers: -5}, strictjson.ErrTooManyMembers},
	{"members checked before syntax", `{"a":1,"b":2,"c":`, strictjson.Limits{MaxMembers: 2}, strictjson.ErrTooManyMembers},

	// Wide objects cross from linear to map duplicate detection.
	{"16 members", wide(16), strictjson.Limits{}, nil},
	{"17 members", wide(17), strictjson.Limits{}, nil},
	{"dup at 17th member", wide(16, `"k0":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"dup at 18th member", wide(17, `"k16":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"dup in map mode", wide(100, `"k50":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped dup in map mode", wide(100, `"\u006b50":0`), strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"escaped keys in map mode", wide(20, `"\u0061":1`, `"\u0062":2`, `"c":3`), strictjson.Limits{}, nil},
	{"wide with escaped dup of escaped key", strings.TrimSuffix(wide(20, `"\u00e9":1`), "}") + `,"é":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"wide nested dup", `{"x":` + wide(40, `"k39":1`) + `}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"wide nested unique then top dup", `{"x":` + wide(40) + `,"y":1,"x":2}`, strictjson.Limits{}, strictjson.ErrDuplicateKey},
	{"wide nested objects share keys", `{"x":` + wide(40) + `,"y":` + wide(40) + `}`, strictjson.Limits{}, nil},
	{"wide top many", wide(1000), strictjson.Limits{MaxMembers: 1000}, nil},
	{"wide top many dup", wide(1000, `"k999":1`), strictjson.Limits{MaxMembers: 1001}, strictjson.ErrDuplicateKey},
}

func TestObject(t *testing.T) {
	for _, tc := range objectCases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := strictjson.Object([]byte(tc.in), tc.lim, func(key []byte, v strictjson.Value) error {
				calls++
				return nil
			})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Object(%q) = %v, want nil", tc.in, err)
				}
				// Cross-check the valid cases against encoding/json.
				if !json.Valid([]byte(tc.in)) {
					t.Errorf("accepted input that encoding/json.Valid rejects: %q", tc.in)
				}
				var m map[string]json.RawMessage
				if err := json.Unmarshal([]byte(tc.in), &m); err != nil {
					t.Fatalf("encoding/json: %v", err)
				}
				if calls != len(m) {
					t.Errorf("fn called %d times, encoding/json found %d members", calls, len(m))
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Object(%q) = %v, want %v", tc.in, err, tc.want)
			}
			if calls != 0 {
				t.Errorf("fn called %d times for rejected input", calls)
			}
			var e *strictjson.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if e.Offset < 0 || e.Offset > len(tc.in) {
				t.Errorf("offset %d outside input of length %d", e.Offset, len(tc.in))
			}
		})
	}
}

type got struct {
	key  string
	kind strictjson.Kind
	raw  string
}

func collect(t *testing.T, in string, lim strictjson.Limits) []got {
	t.Helper()
	var out []got
	err := strictjson.Object([]byte(in), lim, func(key []byte, v strictjson.Value) error {
		out = append(out, got{string(key), v.Kind, string(v.Raw)})
		return nil
	})
	if err != nil {
		t.Fatalf("Object(%q): %v", in, err)
	}
	return out
}

func TestObjectDelivery(t *testing.T) {
	in := ` { "s" : "x\ny" , "n":-1.5e3,"t":true,"f":false,"z":null,` +
		`"o":{"a":[1,{"b":2}]} ,"a":[ "x" , {} ],"\u0065\u0078p":"é","":0 } `
	want := []got{
		{"s", strictjson.KindString, `"x\ny"`},
		{"n", strictjson.KindNumber, `-1.5e3`},
		{"t", strictjson.KindBool, `true`},
		{"f", strictjson.KindBool, `false`},
		{"z", strictjson.KindNull, `null`},
		{"o", strictjson.KindObject, `{"a":[1,{"b":2}]}`},
		{"a", strictjson.KindArray, `[ "x" , {} ]`},
		{"exp", strictjson.KindString, `"é"`},
		{"", strictjson.KindNumber, `0`},
	}
	gotMembers := collect(t, in, strictjson.Limits{})
	if fmt.Sprint(gotMembers) != fmt.Sprint(want) {
		t.Errorf("members:\n got %v\nwant %v", gotMembers, want)
	}
}

// TestObjectCaseVariants shows why keys equal ignoring case are refused:
// encoding/json puts both into one struct field, the last one winning, so
// a caller that switches on exact keys and one that decodes with
// encoding/json would read different values from the same input.
func TestObjectCaseVariants(t *testing.T) {
	for _, in := range []string{
		`{"role":"user","ROLE":"admin"}`,
		`{"role":"user","\u212aole":"admin"}`, // no k in "role": not a variant, a control
		`{"kind":"user","\u212aind":"admin"}`,
	} {
		var v struct {
			Role string `json:"role"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		merged := v.Role == "admin" || v.Kind == "admin"
		err := strictjson.Object([]byte(in), strictjson.Limits{}, nil)
		if merged != errors.Is(err, strictjson.ErrDuplicateKey) {
			t.Errorf("%s: encoding/json merged=%v, Object = %v", in, merged, err)
		}
	}
}

func TestObjectWideDelivery(t *testing.T) {
	// More members than the internal stack buffers hold, with an escaped
	// key after the duplicate detector has switched to a map.
	in := strings.TrimSuffix(wide(40), "}") + `,"\u0078":"y"}`
	members := collect(t, in, strictjson.Limits{})
	if len(members) != 41 {
		t.Fatalf("got %d members, want 41", len(members))
	}
	for i := 0; i < 40; i++ {
		if want := fmt.Sprintf("k%d", i); members[i].key != want || members[i].raw != fmt.Sprint(i) {
			t.Errorf("member %d = %v, want key %s", i, members[i], want)
		}
	}
	if members[40].key != "x" || members[40].raw != `"y"` {
		t.Errorf("last member = %v", members[40])
	}
}

func TestObjectCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var keys []string
	err := strictjson.Object([]byte(`{"a":1,"b":2,"c":3}`), strictjson.Limits{}, func(key []byte, v strictjson.Value) error {
		keys = append(keys, string(key))
		if string(key) == "b" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("err = %v, want the callback's error unchanged", err)
	}
	if strings.Join(keys, ",") != "a,b" {
		t.Errorf("callback saw %v, want [a b]", keys)
	}
}

func TestObjectNilCallback(t *testing.T) {
	if err := strictjson.Object([]byte(claims), strictjson.Limits{}, nil); err != nil {
		t.Errorf("valid input: %v", err)
	}
	if err := strictjson.Object([]byte(`{"a":1,"a":2}`), strictjson.Limits{}, nil); !errors.Is(err, strictjson.ErrDuplicateKey) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestErrorDetails(t *testing.T) {
	secret := `{"sub":"s3cr3t","sub":"x"}`
	err := strictjson.Object([]byte(secret), strictjson.Limits{}, nil)
	var e *strictjson.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *Error", err)
	}
	if e.Err != strictjson.ErrDuplicateKey || e.Offset != strings.LastIndex(secret, `"sub"`) {
		t.Errorf("got Err=%v Offset=%d", e.Err, e.Offset)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "sub") {
		t.Errorf("error message quotes input: %q", msg)
	}
	if want := "strictjson: duplicate object key at offset 16: keys equal ignoring case"; err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

// TestDeepNesting checks that hostile nesting fails fast at the depth limit
// with O(1) allocations and without recursion.
func TestDeepNesting(t *testing.T) {
	inputs := map[string][]byte{
		"objects":          []byte(strings.Repeat(`{"a":`, 100_000)),
		"arrays":           []byte(`{"a":` + strings.Repeat(`[`, 100_000)),
		"closed objects":   []byte(nested(100_000)),
		"objects in array": []byte(`{"a":` + strings.Repeat(`[{"a":`, 50_000)),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			var err error
			allocs := testing.AllocsPerRun(10, func() {
				err = strictjson.Object(in, strictjson.Limits{}, nil)
			})
			if !errors.Is(err, strictjson.ErrDepth) {
				t.Fatalf("err = %v, want ErrDepth", err)
			}
			var e *strictjson.Error
			if errors.As(err, &e) && e.Offset > 200 {
				t.Errorf("depth error at offset %d; want it near the start", e.Offset)
			}
			if allocs > 1 { // the *Error
				t.Errorf("%v allocations, want at most 1", allocs)
			}
		})
	}
	// With a limit large enough to allow it, 100k levels are parsed
	// iteratively: a recursive parser would need a very deep goroutine stack.
	if err := strictjson.Object([]byte(nested(100_000)), strictjson.Limits{MaxDepth: 1 << 30}, nil); err != nil {
		t.Errorf("deep valid input with huge limit: %v", err)
	}
}

func TestZeroAllocs(t *testing.T) {
	data := []byte(claims)
	allocs := testing.AllocsPerRun(100, func() {
		if err := strictjson.Object(data, strictjson.Limits{}, func([]byte, strictjson.Value) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Object with no-op callback: %v allocs/op, want 0", allocs)
	}

	// A realistic allocation-free consumer: compare claims against expected
	// values through a stack buffer instead of materialising strings.
	allocs = testing.AllocsPerRun(100, func() {
		var buf [64]byte
		var isAccess, fresh bool
		err := strictjson.Object(data, strictjson.Limits{MaxDepth: 1, MaxMembers: 32}, func(key []byte, v strictjson.Value) error {
			switch string(key) {
			case "type":
				s, err := v.AppendString(buf[:0])
				if err != nil {
					return err
				}
				isAccess = string(s) == "access"
			case "fresh":
				b, err := v.Bool()
				if err != nil {
					return err
				}
				fresh = b
			}
			return nil
		})
		if err != nil || !isAccess || !fresh {
			t.Fatalf("err=%v access=%v fresh=%v", err, isAccess, fresh)
		}
	})
	if allocs != 0 {
		t.Errorf("Object with comparing callback: %v allocs/op, want 0", allocs)
	}
}

// valueOf returns the Value Object delivers for the raw JSON value raw.
func valueOf(t *testing.T, raw string) strictjson.Value {
	t.Helper()
	var out strictjson.Value
	err := strictjson.Object([]byte(`{"k":`+raw+`}`), strictjson.Limits{}, func(_ []byte, v strictjson.Value) error {
		out = v
		return nil
	})
	if err != nil {
		t.Fatalf("Object with value %s: %v", raw, err)
	}
	return out
}

func TestValueStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`""`,
		`"plain ascii"`,
		`"user-1234"`,
		`"\""`,
		`"\\"`,
		`"\/"`,
		`"\b\f\n\r\t"`,
		`"a\"b\\c\/d"`,
		`"\u0000"`,
		`"\u001f\u0020\u007f"`,
		`"\u0041\u00e9\u00E9"`,
		`"\u2028\u2029"`,
		`"\uFFFD\uffff\ufffe"`,
		`"\ud800\udc00"`,
		`"\uD83D\uDE00 smile"`,
		`"\udbff\udfff"`,
		`"é日本語😀"`,
		`"mixed é \u00e9 😀 \ud83d\ude00"`,
		`"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"`,
		`"` + strings.Repeat(`\n`, 200) + `"`, // longer than String's stack buffer
		`"<script>\u003c/script\u003e &amp;"`,
	}
	for _, raw := range cases {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", raw, err)
		}
		v := valueOf(t, raw)
		if v.Kind != strictjson.KindString {
			t.Fatalf("%s: kind %v", raw, v.Kind)
		}
		got, err := v.String()
		if err != nil || got != want {
			t.Errorf("String(%s) = %q, %v; want %q", raw, got, err, want)
		}
		b, err := v.AppendString([]byte("prefix:"))
		if err != nil || string(b) != "prefix:"+want {
			t.Errorf("AppendString(%s) = %q, %v; want %q", raw, b, err, "prefix:"+want)
		}
		// A hand-built Value takes the validating slow path.
		hand := strictjson.Value{Kind: strictjson.KindString, Raw: []byte(raw)}
		if got, err := hand.String(); err != nil || got != want {
			t.Errorf("hand-built String(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func TestValueStringErrors(t *testing.T) {
	cases := []struct {
		name string
		v    strictjson.Value
		want error
	}{
		// encoding/json would return "\uFFFD" for these; rejecting them keeps
		// distinct inputs from decoding to the same claim.
		{"lone high surrogate", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"\ud800"`)}, strictjson.ErrUTF8},
		{"lone low surrogate", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"x\udfff"`)}, strictjson.ErrUTF8},
		{"high then BMP", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"\ud800\u0041"`)}, strictjson.ErrUTF8},
		{"invalid UTF-8", strictjson.Value{Kind: strictjson.KindString, Raw: []byte("\"\xff\"")}, strictjson.ErrUTF8},
		{"control char", strictjson.Value{Kind: strictjson.KindString, Raw: []byte("\"\x01\"")}, strictjson.ErrSyntax},
		{"bad escape", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"\x"`)}, strictjson.ErrSyntax},
		{"dangling backslash", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"abc\"`)}, strictjson.ErrSyntax},
		{"inner quote", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"a"b"`)}, strictjson.ErrSyntax},
		{"unquoted", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`abc`)}, strictjson.ErrSyntax},
		{"lone quote", strictjson.Value{Kind: strictjson.KindString, Raw: []byte(`"`)}, strictjson.ErrSyntax},
		{"empty raw", strictjson.Value{Kind: strictjson.KindString}, strictjson.ErrSyntax},
		{"number", strictjson.Value{Kind: strictjson.KindNumber, Raw: []byte(`1`)}, strictjson.ErrKind},
		{"zero value", strictjson.Value{}, strictjson.ErrKind},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.v.String()
			if !errors.Is(err, tc.want) || s != "" {
				t.Errorf("String() = %q, %v; want %v", s, err, tc.want)
			}
			dst := []byte("keep")
			b, err := tc.v.AppendString(dst)
			if !errors.Is(err, tc.want) || string(b) != "keep" {
				t.Errorf("AppendString() = %q, %v; want dst unchanged and %v", b, err, tc.want)
			}
		})
	}
	// Object-produced non-string values.
	for _, raw := range []string{`1`, `true`, `null`, `{}`, `[]`} {
		if _, err := valueOf(t, raw).String(); !errors.Is(err, strictjson.ErrKind) {
			t.Errorf("String() on %s: %v, want ErrKind", raw, err)
		}
	}
}

func TestValueStringAllocs(t *testing.T) {
	plain := valueOf(t, `"2026-11-23T19:00:00Z"`)
	escaped := valueOf(t, `"caf\u00e9"`)
	for name, v := range map[string]strictjson.Value{"plain": plain, "escaped": escaped} {
		if n := testing.AllocsPerRun(100, func() { _, _ = v.String() }); n != 1 {
			t.Errorf("%s String: %v allocs, want 1", name, n)
		}
		if n := testing.AllocsPerRun(100, func() {
			var buf [32]byte
			_, _ = v.AppendString(buf[:0])
		}); n != 0 {
			t.Errorf("%s AppendString: %v allocs, want 0", name, n)
		}
	}
}

func TestValueBool(t *testing.T) {
	for raw, want := range map[string]bool{"true": true, "false": false} {
		got, err := valueOf(t, raw).Bool()
		if err != nil || got != want {
			t.Errorf("Bool(%s) = %v, %v", raw, got, err)
		}
	}
	if _, err := valueOf(t, `"true"`).Bool(); !errors.Is(err, strictjson.ErrKind) {
		t.Errorf("Bool on string: %v, want ErrKind", err)
	}
	if _, err := valueOf(t, `null`).Bool(); !errors.Is(err, strictjson.ErrKind) {
		t.Errorf("Bool on null: %v, want ErrKind", err)
	}
	hand := strictjson.Value{Kind: strictjson.KindBool, Raw: []byte("True")}
	if _, err := hand.Bool(); !errors.Is(err, strictjson.ErrSyntax) {
		t.Errorf("Bool on hand-built True: %v, want ErrSyntax", err)
	}
}

func TestKindString(t *testing.T) {
	want := map[strictjson.Kind]string{
		strictjson.KindInvalid: "invalid",
		strictjson.KindString:  "string",
		strictjson.KindNumber:  "number",
		strictjson.KindBool:    "bool",
		strictjson.KindNull:    "null",
		strictjson.KindObject:  "object",
		strictjson.KindArray:   "array",
		strictjson.Kind(200):   "Kind(200)",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), k.String(), s)
		}
	}
}

// TestMembers holds Members to Object: on every case of the Object table
// the same verdict and the same sentinel, and for accepted inputs the same
// keys (unescaped) and values, in order; and it does not allocate with a
// stack buffer that fits, even for escaped values.
func TestMembers(t *testing.T) {
	for _, tc := range objectCases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.in)
			var buf [4]strictjson.Member
			members, err := strictjson.Members(data, tc.lim, buf[:0])
			oerr := strictjson.Object(data, tc.lim, nil)
			if (err == nil) != (oerr == nil) || (err != nil && err.Error() != oerr.Error()) {
				t.Fatalf("Members error %v, Object error %v", err, oerr)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Members error %v, want %v", err, tc.want)
			}
			if err != nil {
				if members != nil {
					t.Fatal("Members returned members with an error")
				}
				return
			}
			var viaMembers []got
			for i := range members {
				v := members[i].Value(data)
				viaMembers = append(viaMembers, got{string(members[i].Key(data)), v.Kind, string(v.Raw)})
			}
			if want := collect(t, tc.in, tc.lim); fmt.Sprint(viaMembers) != fmt.Sprint(want) {
				t.Fatalf("Members gave\n %v\nObject gave\n %v", viaMembers, want)
			}
		})
	}
	data := []byte(claims)
	allocs := testing.AllocsPerRun(100, func() {
		var buf [32]strictjson.Member
		members, err := strictjson.Members(data, strictjson.Limits{}, buf[:0])
		if err != nil || len(members) == 0 {
			t.Fatal(err)
		}
		for i := range members {
			_ = members[i].Value(data)
		}
	})
	if allocs != 0 {
		t.Errorf("Members with a stack buffer: %v allocs/op, want 0", allocs)
	}
}
