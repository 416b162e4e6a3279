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
	if m.st != ([stateSize]byte{}) || m.out != ([blake2b.Size]byte{}) {
		t.Fatal("putMAC left key material or output in the pooled buffers")
	}
}
