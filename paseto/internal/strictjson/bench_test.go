package strictjson_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// claimsStruct is the typed destination used to compare strictjson with
// encoding/json on equal terms.
type claimsStruct struct {
	Sub      string `json:"sub"`
	Type     string `json:"type"`
	JTI      string `json:"jti"`
	IAT      string `json:"iat"`
	NBF      string `json:"nbf"`
	EXP      string `json:"exp"`
	Fresh    bool   `json:"fresh"`
	AuthTime string `json:"auth_time"`
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	Role     string `json:"role"`
}

// decodeClaims is the intended way to use Object: an exact, case-sensitive
// switch on the key and typed accessors on the value.
func decodeClaims(data []byte, c *claimsStruct) error {
	return strictjson.Object(data, strictjson.Limits{MaxDepth: 2, MaxMembers: 32}, func(key []byte, v strictjson.Value) error {
		var dst *string
		switch string(key) {
		case "sub":
			dst = &c.Sub
		case "type":
			dst = &c.Type
		case "jti":
			dst = &c.JTI
		case "iat":
			dst = &c.IAT
		case "nbf":
			dst = &c.NBF
		case "exp":
			dst = &c.EXP
		case "auth_time":
			dst = &c.AuthTime
		case "iss":
			dst = &c.Iss
		case "aud":
			dst = &c.Aud
		case "role":
			dst = &c.Role
		case "fresh":
			b, err := v.Bool()
			c.Fresh = b
			return err
		default:
			return nil
		}
		s, err := v.String()
		if err != nil {
			return fmt.Errorf("claim %q: %w", key, err)
		}
		*dst = s
		return nil
	})
}

func TestDecodeClaimsMatchesEncodingJSON(t *testing.T) {
	var got, want claimsStruct
	if err := decodeClaims([]byte(claims), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(claims), &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func BenchmarkObject(b *testing.B) {
	data := []byte(claims)
	b.Run("strictjson/validate", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		fn := func([]byte, strictjson.Value) error { return nil }
		for b.Loop() {
			if err := strictjson.Object(data, strictjson.Limits{}, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strictjson/struct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var c claimsStruct
			if err := decodeClaims(data, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json/map_raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json/struct", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var c claimsStruct
			if err := json.Unmarshal(data, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
