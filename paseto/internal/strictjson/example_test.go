package strictjson_test

import (
	"errors"
	"fmt"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

func ExampleObject() {
	payload := []byte(`{"sub":"user-1234","exp":"2026-11-23T19:15:00Z","fresh":true}`)

	var sub, exp string
	var fresh bool
	err := strictjson.Object(payload, strictjson.Limits{MaxDepth: 1, MaxMembers: 16}, func(key []byte, v strictjson.Value) error {
		var err error
		switch string(key) { // exact match: "EXP" is not "exp"
		case "sub":
			sub, err = v.String()
		case "exp":
			exp, err = v.String()
		case "fresh":
			fresh, err = v.Bool()
		}
		return err
	})
	fmt.Println(sub, exp, fresh, err)

	// encoding/json would silently keep the second "sub".
	err = strictjson.Object([]byte(`{"sub":"alice","sub":"admin"}`), strictjson.Limits{}, nil)
	fmt.Println(errors.Is(err, strictjson.ErrDuplicateKey), err)

	// encoding/json would decode both into a field tagged "role", keeping
	// "admin".
	err = strictjson.Object([]byte(`{"role":"user","ROLE":"admin"}`), strictjson.Limits{}, nil)
	fmt.Println(errors.Is(err, strictjson.ErrDuplicateKey))
	// Output:
	// user-1234 2026-11-23T19:15:00Z true <nil>
	// true strictjson: duplicate object key at offset 15: keys equal ignoring case
	// true
}
