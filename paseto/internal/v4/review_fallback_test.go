package v4

import (
	"bytes"
	"encoding"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// TestReviewFallbackWithoutPooledDigests: if x/crypto's saved-state format
// ever changed, the start-up self-check leaves keyedOK false; every path
// must then fall back to blake2b.New and still reproduce the official
// vectors, refuse their failing ones, and prepare no LocalKey state. A
// LocalKey prepared before the switch must keep decrypting the same.
func TestReviewFallbackWithoutPooledDigests(t *testing.T) {
	if !keyedOK {
		t.Skip("pooled digests already disabled by the self-check")
	}
	type result struct {
		tok       string
		plain     []byte
		err, errW error
	}
	run := func(prepared map[string]*LocalKey) []result {
		var out []result
		for _, v := range loadVectors(t) {
			if !v.isLocal() {
				continue
			}
			key := mustKey(t, v.Key)
			var r result
			if v.Payload != nil && v.Nonce != "" {
				r.tok = encrypt(key, mustHex(t, v.Nonce), []byte(*v.Payload), []byte(v.Footer), []byte(v.Implicit))
			}
			body, footer, err := Split(v.Token, LocalHeader, testMaxLen, testMaxFooter)
			if err != nil {
				r.err = err
				out = append(out, r)
				continue
			}
			b2 := bytes.Clone(body)
			r.plain, r.err = Decrypt(key, body, footer, []byte(v.Implicit))
			k := prepared[v.Name]
			if k == nil {
				k = NewLocalKey(key)
				if !keyedOK && (k.enc != nil || k.auth != nil) {
					t.Fatalf("%s: NewLocalKey prepared state without pooled digests", v.Name)
				}
				prepared[v.Name] = k
			}
			var p2 []byte
			p2, r.errW = DecryptWith(k, b2, footer, []byte(v.Implicit))
			if r.err != r.errW || !bytes.Equal(r.plain, p2) {
				t.Fatalf("%s: Decrypt %q, %v; DecryptWith %q, %v", v.Name, r.plain, r.err, p2, r.errW)
			}
			if v.ExpectFail == (r.err == nil) {
				t.Fatalf("%s: expect-fail %v, err %v", v.Name, v.ExpectFail, r.err)
			}
			if r.tok != "" && !v.ExpectFail && r.tok != v.Token {
				t.Fatalf("%s: encrypt gave %s", v.Name, r.tok)
			}
			out = append(out, r)
		}
		return out
	}
	pooledKeys := map[string]*LocalKey{}
	pooled := run(pooledKeys)
	keyedOK = false
	defer func() { keyedOK = true }()
	plain := run(map[string]*LocalKey{})
	again := run(pooledKeys) // LocalKeys prepared while pooled digests were on
	if len(pooled) == 0 {
		t.Fatal("no local vectors")
	}
	for i := range pooled {
		for _, other := range []result{plain[i], again[i]} {
			if pooled[i].tok != other.tok || pooled[i].err != other.err || !bytes.Equal(pooled[i].plain, other.plain) {
				t.Fatalf("vector %d: pooled %+v, fallback %+v", i, pooled[i], other)
			}
		}
	}
}

// TestReviewAfterKeyWipesScratch: the scratch digest NewLocalKey's
// afterKey works in keeps nothing of the key once it returns, neither the
// key bytes of its pending block nor the chaining value after the key
// block: it is back in the zero key's initial state, as a pooled digest is
// after putMAC.
func TestReviewAfterKeyWipesScratch(t *testing.T) {
	if !keyedOK {
		t.Skip("pooled digests disabled by the self-check")
	}
	var key [32]byte
	for i := range key {
		key[i] = 0xC3 ^ byte(i)
	}
	for _, size := range []int{tagSize, tmpSize} {
		d, err := blake2b.New(blake2b.Size, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := afterKeyIn(d, size, &key)
		if !ok {
			t.Fatalf("afterKeyIn(%d) refused", size)
		}
		raw, err := d.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, key[1:]) || bytes.Contains(raw, st[stateH0:stateH0+64]) {
			t.Fatalf("size %d: the scratch digest still holds the key or its chaining value", size)
		}
		if !bytes.Equal(raw, keyedInit[tagSize][:]) {
			t.Fatalf("size %d: the scratch digest is not in the zero key's initial state", size)
		}
	}
}
