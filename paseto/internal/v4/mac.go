package v4

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"hash"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Keyed BLAKE2b without an allocation per hash.
//
// v4.local needs three keyed BLAKE2b hashes per token (two subkey
// derivations under the long-term key, the tag under the per-token Ak).
// blake2b.New allocates a fresh digest (about 380 bytes) every time, and
// x/crypto offers no way to re-key an existing one. It does let a digest
// be set to any state with UnmarshalBinary, in the documented
// encoding.BinaryMarshaler format; a keyed digest's initial state is plain
// data: the parameter word folded into the IV, a zero counter, and the
// key, zero-padded, as a full pending block. So a pooled digest is set to
// exactly the state blake2b.New(size, key) would start from, and used as
// usual.
//
// The state encoding is taken from x/crypto itself (an unkeyed digest's
// MarshalBinary, with the key length added to the parameter word), never
// written out by hand, and checked at start-up against blake2b.New on a
// test key: if a future x/crypto ever changed the format, keyedOK is false
// and every hash falls back to blake2b.New. TestKeyedHash checks the same
// equivalence on random keys, sizes and messages.

// stateSize is the length of a marshalled BLAKE2b state: "b2b", h[0..7],
// c[0..1], the output size, the pending block and its fill.
const stateSize = 3 + 8*8 + 2*8 + 1 + blake2b.BlockSize + 1

// Offsets inside a marshalled state.
const (
	stateH0     = 3                       // h[0], big-endian
	stateBlock  = stateH0 + 8*8 + 2*8 + 1 // the pending block
	stateOffset = stateBlock + blake2b.BlockSize
)

// keyedInit[size] is the marshalled initial state of blake2b.New(size, k)
// for a 32-byte k, with the key bytes (stateBlock to stateBlock+32) left
// zero for the caller to fill. Only sizes 32 and 56 are prepared.
var keyedInit [blake2b.Size + 1]*[stateSize]byte

// keyedOK reports whether pooled digests reproduce blake2b.New; see above.
var keyedOK = func() bool {
	for _, size := range []int{tagSize, tmpSize} {
		st, ok := initialState(size)
		if !ok {
			return false
		}
		keyedInit[size] = st
	}
	key := [32]byte{31: 1}
	msg := []byte("paseto v4 keyed BLAKE2b self-test")
	for _, size := range []int{tagSize, tmpSize} {
		want, _ := blake2b.New(size, key[:])
		want.Write(msg)
		m := getMAC()
		ok := m.reset(size, &key)
		if ok {
			m.h.Write(msg)
			ok = bytes.Equal(m.sum(), want.Sum(nil))
		}
		putMAC(m)
		if !ok {
			return false
		}
	}
	return true
}()

// initialState returns the marshalled state of a new digest of size
// output bytes keyed with a 32-byte key whose bytes are still to be filled.
func initialState(size int) (*[stateSize]byte, bool) {
	d, err := blake2b.New(size, nil)
	if err != nil {
		return nil, false
	}
	m, ok := d.(encoding.BinaryMarshaler)
	if !ok {
		return nil, false
	}
	raw, err := m.MarshalBinary()
	if err != nil || len(raw) != stateSize || string(raw[:3]) != "b2b" || raw[stateOffset] != 0 {
		return nil, false
	}
	st := new([stateSize]byte)
	copy(st[:], raw)
	// The parameter block's key length byte is h[0]'s second lowest byte.
	h0 := binary.BigEndian.Uint64(st[stateH0:])
	binary.BigEndian.PutUint64(st[stateH0:], h0^32<<8)
	// The key, zero-padded to a block, is the pending (full) block.
	st[stateOffset] = blake2b.BlockSize
	return st, true
}

// mac is a pooled BLAKE2b digest with the scratch space its interface calls
// need: slices passed to a hash.Hash escape, so the state being set, the
// length prefixes and the output live here rather than on the stack.
type mac struct {
	h   hash.Hash
	set encoding.BinaryUnmarshaler
	st  [stateSize]byte
	le  [paeCount]byte
	out [blake2b.Size]byte
	buf [512]byte // see write
}

var macPool = sync.Pool{New: func() any {
	// The digest's own key and size are never used: reset replaces its
	// whole state.
	h, err := blake2b.New(blake2b.Size, make([]byte, 32))
	if err != nil {
		panic("paseto/v4: blake2b: " + err.Error()) // unreachable: constant sizes
	}
	set, _ := h.(encoding.BinaryUnmarshaler)
	return &mac{h: h, set: set}
}}

func getMAC() *mac { return macPool.Get().(*mac) }

// putMAC wipes m and returns it to the pool: the copies of key material,
// input and output in its buffers, and the digest's own chaining value and
// pending block (set to the initial state of an all-zero key), so a
// pooled digest keeps nothing of a key, not even one a key rotation has
// since removed. (A discarded blake2b.New digest kept its key until the
// garbage collector reused its memory.)
func putMAC(m *mac) {
	clear(m.st[:])
	clear(m.out[:])
	clear(m.buf[:])
	if st := keyedInit[tagSize]; st != nil && m.set != nil {
		_ = m.set.UnmarshalBinary(st[:]) // cannot fail: keyedOK checked this state
	}
	macPool.Put(m)
}

// reset sets m.h to the state of blake2b.New(size, key[:]). It reports
// false if that is not possible (size not prepared, unexpected x/crypto),
// in which case m must not be used.
func (m *mac) reset(size int, key *[32]byte) bool {
	if size < 0 || size >= len(keyedInit) || keyedInit[size] == nil || m.set == nil {
		return false
	}
	m.st = *keyedInit[size]
	copy(m.st[stateBlock:], key[:])
	err := m.set.UnmarshalBinary(m.st[:])
	clear(m.st[stateBlock : stateBlock+32])
	return err == nil
}

// write feeds p to the hash through m.buf: a slice passed to the
// interface's Write escapes to the heap, and so would the caller's buffer
// (Split can decode a token into a stack array); a copy of a few hundred
// bytes costs far less than that allocation.
func (m *mac) write(p []byte) {
	for len(p) > 0 {
		n := copy(m.buf[:], p)
		m.h.Write(m.buf[:n])
		p = p[n:]
	}
}

// writePAE feeds PAE(pieces), PASETO's pre-authentication encoding, to the
// hash. The lengths and the pieces are gathered in m.buf, so that a short
// piece and the lengths around it reach the hash in one Write rather than
// one each (eleven for v4.local's five pieces).
func (m *mac) writePAE(pieces [][]byte) {
	n := 0
	put := func(p []byte) {
		for len(p) > 0 {
			if n == len(m.buf) {
				m.h.Write(m.buf[:n])
				n = 0
			}
			k := copy(m.buf[n:], p)
			n += k
			p = p[k:]
		}
	}
	binary.LittleEndian.PutUint64(m.le[:], uint64(len(pieces))&maxLE64)
	put(m.le[:])
	for _, p := range pieces {
		binary.LittleEndian.PutUint64(m.le[:], uint64(len(p))&maxLE64)
		put(m.le[:])
		put(p)
	}
	if n > 0 {
		m.h.Write(m.buf[:n])
	}
}

// sum returns the hash of what was written, in m's own buffer.
func (m *mac) sum() []byte {
	return m.h.Sum(m.out[:0])
}

// keyed returns a hash.Hash in the state of blake2b.New(size, key[:]) and a
// function that returns it to the pool (nil when it did not come from the
// pool). Writes and Sum go through the interface, so every slice passed to
// them escapes: callers pass heap or package-level data, or m's buffers.
func keyed(size int, key *[32]byte) (*mac, bool) {
	if !keyedOK {
		return nil, false
	}
	m := getMAC()
	if !m.reset(size, key) {
		putMAC(m)
		return nil, false
	}
	return m, true
}

// afterKey returns the marshalled state of blake2b.New(size, key[:]) once
// its key block has been compressed: the chaining value and counter every
// hash under key starts from, whatever the message (for a non-empty one).
// Starting from it saves one of the two compressions of each subkey
// derivation. It is as secret as the key. ok is false when x/crypto does
// not allow it (see keyedOK).
func afterKey(size int, key *[32]byte) (st *[stateSize]byte, ok bool) {
	if !keyedOK || size < 0 || size >= len(keyedInit) || keyedInit[size] == nil {
		return nil, false
	}
	// An unkeyed digest, so that MarshalBinary (which refuses MACs) reads
	// the state back; its parameter word comes from the state set here.
	d, err := blake2b.New(blake2b.Size, nil)
	if err != nil {
		return nil, false
	}
	return afterKeyIn(d, size, key)
}

// afterKeyIn is afterKey in the scratch digest d (an unkeyed BLAKE2b),
// which it leaves in the zero key's initial state, as putMAC does: its
// pending block held key bytes 1 to 31 (only byte 0 is overwritten by the
// byte written) and its chaining value the state returned, and the
// garbage collector does not wipe a discarded digest.
func afterKeyIn(d hash.Hash, size int, key *[32]byte) (st *[stateSize]byte, ok bool) {
	set, ok1 := d.(encoding.BinaryUnmarshaler)
	get, ok2 := d.(encoding.BinaryMarshaler)
	if !ok1 || !ok2 {
		return nil, false
	}
	st = new([stateSize]byte)
	*st = *keyedInit[size]
	copy(st[stateBlock:], key[:])
	if set.UnmarshalBinary(st[:]) != nil {
		clear(st[:])
		return nil, false
	}
	d.Write([]byte{0}) // compresses the pending key block, buffers one byte
	raw, err := get.MarshalBinary()
	clear(st[:])
	_ = set.UnmarshalBinary(keyedInit[tagSize][:]) // the wipe; cannot fail: keyedOK
	if err != nil || len(raw) != stateSize || raw[stateOffset] != 1 {
		clear(raw)
		return nil, false
	}
	copy(st[:], raw)
	clear(raw)
	// Drop the buffered byte: the state is "key block done, nothing
	// pending".
	clear(st[stateBlock:stateOffset])
	st[stateOffset] = 0
	return st, true
}
