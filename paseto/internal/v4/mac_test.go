package v4

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// TestKeyedHash holds the pooled digests to blake2b.New: for both output
// sizes v4.local uses, random keys and messages of every length around the
// block boundaries, one digest reused across keys gives exactly the keyed
// BLAKE2b of each, so nothing of an earlier key or message carries over.
func TestKeyedHash(t *testing.T) {
	if !keyedOK {
		t.Fatal("pooled keyed BLAKE2b disabled: the x/crypto state format changed; every hash falls back to blake2b.New")
	}
	for _, size := range []int{tagSize, tmpSize} {
		for n := 0; n <= 3*blake2b.BlockSize+1; n++ {
			var key [32]byte
			copy(key[:], randBytes(32))
			msg := randBytes(n)
			want, err := blake2b.New(size, key[:])
			if err != nil {
				t.Fatal(err)
			}
			want.Write(msg)
			m, ok := keyed(size, &key)
			if !ok {
				t.Fatalf("keyed(%d) refused", size)
			}
			m.h.Write(msg[:n/2])
			m.h.Write(msg[n/2:])
			if got := m.sum(); !bytes.Equal(got, want.Sum(nil)) {
				t.Fatalf("size %d, %d-byte message: pooled %x, blake2b.New %x", size, n, got, want.Sum(nil))
			}
			putMAC(m)
		}
	}
	// Sizes other than the two prepared are refused, not mis-hashed.
	m := getMAC()
	defer putMAC(m)
	var key [32]byte
	for _, size := range []int{-1, 0, 16, 64, 65} {
		if m.reset(size, &key) {
			t.Fatalf("reset(%d) accepted an unprepared size", size)
		}
	}
}

// TestKeyedHashWipes checks that a digest returned to the pool keeps no
// copy of the key or of the output in its scratch buffers.
func TestKeyedHashWipes(t *testing.T) {
	key := [32]byte{0: 0xAA, 31: 0xBB}
	m, ok := keyed(tagSize, &key)
	if !ok {
		t.Fatal("keyed refused")
	}
	m.h.Write([]byte("x"))
	m.sum()
	putMAC(m)
	if m.st != ([stateSize]byte{}) || m.out != ([blake2b.Size]byte{}) || m.buf != ([512]byte{}) {
		t.Fatal("putMAC left key material, input or output in the pooled buffers")
	}
	// The digest is back to the zero key's initial state: it hashes as
	// blake2b.New(32, zero key) does.
	zero, _ := blake2b.New(tagSize, make([]byte, 32))
	zero.Write([]byte("y"))
	m.h.Write([]byte("y"))
	if got := m.h.Sum(nil); !bytes.Equal(got, zero.Sum(nil)) {
		t.Fatal("putMAC left the digest in a key's state")
	}
}

// TestAfterKey: a digest started from afterKey's state and fed a message
// gives the keyed BLAKE2b of that message, for both sizes and messages of
// every length up to three blocks.
func TestAfterKey(t *testing.T) {
	for _, size := range []int{tagSize, tmpSize} {
		for n := 1; n <= 3*blake2b.BlockSize+1; n++ {
			var key [32]byte
			copy(key[:], randBytes(32))
			st, ok := afterKey(size, &key)
			if !ok {
				t.Fatalf("afterKey(%d) refused", size)
			}
			msg := randBytes(n)
			want, _ := blake2b.New(size, key[:])
			want.Write(msg)
			m := getMAC()
			if err := m.set.UnmarshalBinary(st[:]); err != nil {
				t.Fatal(err)
			}
			m.write(msg)
			if got := m.sum(); !bytes.Equal(got, want.Sum(nil)) {
				t.Fatalf("size %d, %d-byte message: from afterKey %x, blake2b.New %x", size, n, got, want.Sum(nil))
			}
			putMAC(m)
		}
	}
	if _, ok := afterKey(64, new([32]byte)); ok {
		t.Fatal("afterKey accepted an unprepared size")
	}
}

// TestDecryptWith: a prepared key decrypts exactly what the plain key
// does (the official vectors, and random tokens), and refuses the same
// tampered tokens.
func TestDecryptWith(t *testing.T) {
	check := func(key *[32]byte, tok string, implicit []byte) {
		t.Helper()
		b1, f1, err := Split(tok, LocalHeader, testMaxLen, testMaxFooter)
		if err != nil {
			t.Fatal(err)
		}
		b2 := bytes.Clone(b1)
		p1, err1 := Decrypt(key, b1, f1, implicit)
		k := NewLocalKey(key)
		if k.enc == nil || k.auth == nil {
			t.Fatal("NewLocalKey prepared nothing")
		}
		p2, err2 := DecryptWith(k, b2, f1, implicit)
		if err1 != err2 || !bytes.Equal(p1, p2) {
			t.Fatalf("Decrypt %q, %v; DecryptWith %q, %v", p1, err1, p2, err2)
		}
	}
	for _, v := range loadVectors(t) {
		if _, _, err := Split(v.Token, LocalHeader, testMaxLen, testMaxFooter); v.isLocal() && err == nil {
			check(mustKey(t, v.Key), v.Token, []byte(v.Implicit))
		}
	}
	for range 50 {
		key, tok, _, _, implicit := newLocalFixture(t)
		check(key, tok, implicit)
		check(key, tok, nil)               // wrong implicit assertion: ErrAuth
		check(flipKey(key), tok, implicit) // wrong key: ErrAuth
	}
}
