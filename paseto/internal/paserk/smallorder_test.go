package paserk

import (
	"crypto/ed25519"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"testing"
)

// This file re-derives the edwards25519 torsion subgroup from the curve
// equation with math/big, independently of libsodium and of the hard-coded
// blocklist, and checks IsSmallOrderPublicKey against it.

var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19)) // p = 2^255 - 19
	// curveD = -121665 / 121666 mod p.
	curveD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), fieldP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, fieldP)
	}()
	// groupL is the order of the prime-order subgroup: 2^252 + 27742317777372353535851937790883648493.
	groupL = func() *big.Int {
		c, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
		return c.Add(c, new(big.Int).Lsh(big.NewInt(1), 252))
	}()
	two255 = new(big.Int).Lsh(big.NewInt(1), 255)
)

// point is an affine point on -x^2 + y^2 = 1 + d x^2 y^2 over GF(p).
type point struct{ x, y *big.Int }

var identity = point{big.NewInt(0), big.NewInt(1)}

func mod(v *big.Int) *big.Int { return v.Mod(v, fieldP) }

func (a point) onCurve() bool {
	x2 := mod(new(big.Int).Mul(a.x, a.x))
	y2 := mod(new(big.Int).Mul(a.y, a.y))
	lhs := mod(new(big.Int).Sub(y2, x2))
	rhs := mod(new(big.Int).Add(big.NewInt(1), mod(new(big.Int).Mul(curveD, mod(new(big.Int).Mul(x2, y2))))))
	return lhs.Cmp(rhs) == 0
}

func (a point) equal(b point) bool { return a.x.Cmp(b.x) == 0 && a.y.Cmp(b.y) == 0 }

// add is the complete twisted Edwards addition law for a = -1:
// x3 = (x1 y2 + y1 x2) / (1 + d x1 x2 y1 y2), y3 = (y1 y2 + x1 x2) / (1 - d x1 x2 y1 y2).
func (a point) add(b point) point {
	x1x2 := mod(new(big.Int).Mul(a.x, b.x))
	y1y2 := mod(new(big.Int).Mul(a.y, b.y))
	t := mod(new(big.Int).Mul(curveD, mod(new(big.Int).Mul(x1x2, y1y2))))
	xn := mod(new(big.Int).Add(new(big.Int).Mul(a.x, b.y), new(big.Int).Mul(a.y, b.x)))
	yn := mod(new(big.Int).Add(y1y2, x1x2))
	xd := new(big.Int).ModInverse(mod(new(big.Int).Add(big.NewInt(1), t)), fieldP)
	yd := new(big.Int).ModInverse(mod(new(big.Int).Sub(big.NewInt(1), t)), fieldP)
	return point{mod(xn.Mul(xn, xd)), mod(yn.Mul(yn, yd))}
}

func (a point) mul(k *big.Int) point {
	r := identity
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = r.add(r)
		if k.Bit(i) == 1 {
			r = r.add(a)
		}
	}
	return r
}

func (a point) order() int {
	q := a
	for n := 1; n <= 8; n++ {
		if q.equal(identity) {
			return n
		}
		q = q.add(a)
	}
	return -1 // not small order
}

// decompress recovers x from y with the given sign (x mod 2), or ok=false.
func decompress(y *big.Int, sign uint) (point, bool) {
	y2 := mod(new(big.Int).Mul(y, y))
	num := mod(new(big.Int).Sub(y2, big.NewInt(1)))
	den := mod(new(big.Int).Add(mod(new(big.Int).Mul(curveD, y2)), big.NewInt(1)))
	x2 := mod(num.Mul(num, new(big.Int).ModInverse(den, fieldP)))
	x := new(big.Int).ModSqrt(x2, fieldP)
	if x == nil {
		return point{}, false
	}
	if x.Bit(0) != sign {
		x = mod(x.Neg(x))
	}
	p := point{x, new(big.Int).Set(y)}
	return p, p.onCurve()
}

// encodeY returns the 32-byte little-endian encoding of y (which may be a
// non-canonical y+p) with the x sign bit set to sign.
func encodeY(y *big.Int, sign uint) []byte {
	be := y.FillBytes(make([]byte, 32))
	le := make([]byte, 32)
	for i := range be {
		le[i] = be[31-i]
	}
	le[31] |= byte(sign) << 7
	return le
}

func decodeLE(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i := range b {
		be[i] = b[len(b)-1-i]
	}
	return new(big.Int).SetBytes(be)
}

// torsionPoints finds all 8 points of order dividing 8 as [L]P for
// pseudo-random curve points P: multiplication by the odd L permutes the
// torsion subgroup, so the torsion components are uniformly distributed.
func torsionPoints(t *testing.T) []point {
	t.Helper()
	rng := mrand.New(mrand.NewChaCha8([32]byte{'t', 'o', 'r', 's', 'i', 'o', 'n'}))
	var found []point
	for tries := 0; len(found) < 8; tries++ {
		if tries > 2000 {
			t.Fatalf("found only %d torsion points", len(found))
		}
		var yb [32]byte
		for i := range yb {
			yb[i] = byte(rng.Uint32())
		}
		y := mod(decodeLE(yb[:]))
		p, ok := decompress(y, uint(rng.Uint32()&1))
		if !ok {
			continue
		}
		q := p.mul(groupL)
		dup := false
		for _, f := range found {
			dup = dup || f.equal(q)
		}
		if !dup {
			found = append(found, q)
		}
	}
	return found
}

// TestTorsionSubgroupBlocklist re-derives the torsion subgroup and checks
// that (1) it has the expected structure, (2) every encoding of every
// torsion point (both sign bits; y and, where it fits in 255 bits, y+p) is
// reported small-order, and (3) every blocklist entry is such an encoding,
// i.e. the list has nothing extra and nothing missing.
func TestTorsionSubgroupBlocklist(t *testing.T) {
	if !(point{big.NewInt(0), big.NewInt(1)}).onCurve() {
		t.Fatal("identity not on curve: curve constants wrong")
	}
	// Cross-check the curve constants against the Ed25519 base point.
	by, _ := new(big.Int).SetString("46316835694926478169428394003475163141307993866256225615783033603165251855960", 10)
	base, ok := decompress(by, 0)
	if !ok || !base.mul(groupL).equal(identity) {
		t.Fatal("base point does not have order L: curve constants wrong")
	}

	pts := torsionPoints(t)
	orders := map[int]int{}
	for _, p := range pts {
		if !p.onCurve() || !p.mul(big.NewInt(8)).equal(identity) {
			t.Fatalf("(%v, %v) is not an 8-torsion point", p.x, p.y)
		}
		orders[p.order()]++
	}
	if orders[1] != 1 || orders[2] != 1 || orders[4] != 2 || orders[8] != 4 {
		t.Fatalf("torsion orders = %v, want 1:1 2:1 4:2 8:4", orders)
	}

	var encodings int
	ys := map[string]bool{}
	for _, p := range pts {
		ys[p.y.String()] = true
		for _, y := range []*big.Int{p.y, new(big.Int).Add(p.y, fieldP)} {
			if y.Cmp(two255) >= 0 {
				continue // not representable in 255 bits
			}
			for _, sign := range []uint{0, 1} {
				enc := encodeY(y, sign)
				encodings++
				if !IsSmallOrderPublicKey(enc) {
					t.Errorf("order-%d point, encoding %x not reported", p.order(), enc)
				}
			}
		}
	}
	// y = 1 (identity), y = p-1 (order 2), y = 0 (the two order-4 points
	// x = ±sqrt(-1)) and ±y8 (the four order-8 points): 5 values, whose
	// canonical encodings plus the non-canonical p (= 0) and p+1 (= 1) are
	// exactly libsodium's 7 entries.
	if len(ys) != 5 {
		t.Fatalf("torsion points have %d distinct y values, want 5", len(ys))
	}
	t.Logf("checked %d encodings of %d torsion points", encodings, len(pts))

	seen := map[string]bool{}
	for i, bl := range smallOrderBlocklist {
		y := decodeLE(bl[:])
		if !ys[mod(new(big.Int).Set(y)).String()] {
			t.Errorf("blocklist entry %d (%x) is not a torsion y coordinate", i, bl)
		}
		if seen[y.String()] {
			t.Errorf("blocklist entry %d is a duplicate", i)
		}
		seen[y.String()] = true
	}
	if len(seen) != 7 {
		t.Fatalf("blocklist has %d distinct entries, want 7", len(seen))
	}
}

// TestSmallOrderRealKeys checks that genuine keys, including a mixed-order
// key (out of scope by design), are not flagged, and wrong lengths are.
func TestSmallOrderRealKeys(t *testing.T) {
	for i := 0; i < 1000; i++ {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if IsSmallOrderPublicKey(pub) {
			t.Fatalf("random key %x reported small-order", pub)
		}
	}

	t.Run("vector keys", func(t *testing.T) {
		for _, v := range loadPaserk(t, "k4.public.json") {
			if v.Key == nil || v.ExpectFail {
				continue
			}
			key := unhex(t, v.Key)
			// k4.public-1 is the all-zero key: it serialises, but must never
			// be used to verify.
			if got, want := IsSmallOrderPublicKey(key), v.Name == "k4.public-1"; got != want {
				t.Fatalf("%s: IsSmallOrderPublicKey = %v, want %v", v.Name, got, want)
			}
		}
	})

	t.Run("mixed order", func(t *testing.T) {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		y := decodeLE(append([]byte(nil), pub[:31]...))
		y.Add(y, new(big.Int).Lsh(big.NewInt(int64(pub[31]&0x7f)), 248))
		a, ok := decompress(y, uint(pub[31]>>7))
		if !ok {
			t.Fatal("cannot decompress a real public key")
		}
		for _, tp := range torsionPoints(t) {
			if tp.order() != 8 {
				continue
			}
			m := a.add(tp)
			enc := encodeY(m.y, m.x.Bit(0))
			if IsSmallOrderPublicKey(enc) {
				t.Fatalf("mixed-order key reported small-order")
			}
		}
	})

	t.Run("wrong length fails closed", func(t *testing.T) {
		for _, n := range []int{0, 31, 33, 64} {
			if !IsSmallOrderPublicKey(make([]byte, n)) {
				t.Fatalf("length %d not reported", n)
			}
		}
	})
}
