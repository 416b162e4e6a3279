package paseto

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Review of the verify-path performance merge (3881d9b): pooled BLAKE2b
// digests, the per-Verifier prepared-key cache and the stack buffer must
// not let state cross keys, rings, goroutines or calls. Run with -race.

// snapshot is a deep copy of the parts of c a caller reads.
type snapshot struct {
	c      Claims
	custom map[string]string
}

func snap(c *Claims) snapshot {
	s := snapshot{c: *c, custom: map[string]string{}}
	s.c.Issuer, s.c.Subject, s.c.ID = strings.Clone(c.Issuer), strings.Clone(c.Subject), strings.Clone(c.ID)
	s.c.Type, s.c.Session, s.c.CSRF = strings.Clone(c.Type), strings.Clone(c.Session), strings.Clone(c.CSRF)
	s.c.Audience = strings.Clone(c.Audience)
	s.c.Scopes = nil
	for _, sc := range c.Scopes {
		s.c.Scopes = append(s.c.Scopes, strings.Clone(sc))
	}
	s.c.payload = nil
	for k, v := range c.Custom() {
		s.custom[k] = string(v)
	}
	return s
}

func sameSnapshot(a, b snapshot) bool { return reflect.DeepEqual(a, b) }

// TestReviewClaimsDoNotAliasTheStack: Claims returned by Verify, for
// v4.local and v4.public tokens with and without custom claims, small and
// past the 1 KiB stack buffer, stay the same while the same Verifier goes
// on to verify other tokens (which reuse authenticate's stack frame and
// the pooled digests), and mutating them does not change what the next
// verification of the same token returns.
func TestReviewClaimsDoNotAliasTheStack(t *testing.T) {
	for _, purpose := range []string{"local", "public"} {
		t.Run(purpose, func(t *testing.T) {
			var r *KeyRing
			if purpose == "local" {
				r = mustLocalRing(t)
			} else {
				r = mustPublicRing(t, GenerateSecretKey())
			}
			clock := func() time.Time { return epoch }
			iss := mustIssuer(t, r, "access", IssuerConfig{Clock: clock, Issuer: "https://iss"})
			v := mustVerifier(t, r, "access", VerifierConfig{Clock: clock, Issuer: "https://iss"})
			var toks []string
			for i, tpl := range []Template{
				{Subject: "alice", Session: "s-alice", Scopes: []string{"read", "write"}, CSRF: "c1"},
				{Subject: "bob", Claims: map[string]any{"role": "admin", "n": 1}},
				{Subject: "carol", Claims: map[string]any{"pad": strings.Repeat("C", 900)}},
				{Subject: "dave", Scopes: []string{strings.Repeat("d", 700)}},
				{Subject: "eve\u00e9", Fresh: true},
			} {
				tpl.Subject = fmt.Sprintf("%s-%d", tpl.Subject, i)
				toks = append(toks, mustIssue(t, iss, tpl))
			}
			var got []*Claims
			var want []snapshot
			for _, tok := range toks {
				c, err := v.Verify(context.Background(), tok)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c)
				want = append(want, snap(c))
			}
			for range 3 {
				for _, tok := range slices.Backward(toks) {
					if _, err := v.Verify(context.Background(), tok); err != nil {
						t.Fatal(err)
					}
				}
				// Rejected tokens write partly decoded bytes to the stack.
				for _, tok := range toks {
					_, _ = v.Verify(context.Background(), tok[:len(tok)-3]+"AAA")
				}
			}
			for i, c := range got {
				if s := snap(c); !sameSnapshot(s, want[i]) {
					t.Fatalf("token %d: claims changed after later verifications:\n now %+v\nthen %+v", i, s, want[i])
				}
				// Mutate what the caller got; a fresh verification must
				// not see it.
				c.Subject, c.ID = "mutated", "mutated"
				if len(c.Scopes) > 0 {
					c.Scopes[0] = "mutated"
				}
				if len(c.payload) > 0 {
					c.payload[len(c.payload)/2] ^= 0xff
				}
				again, err := v.Verify(context.Background(), toks[i])
				if err != nil {
					t.Fatal(err)
				}
				if s := snap(again); !sameSnapshot(s, want[i]) {
					t.Fatalf("token %d: a caller's mutation reached the next verification:\n now %+v\nthen %+v", i, s, want[i])
				}
			}
		})
	}
}

// TestReviewConcurrentKeysAndSetKeys verifies tokens under two unrelated
// local keys from many goroutines: two Verifiers with one ring each, and a
// third whose ring SetKeys swaps between the two while it verifies. Every
// success must carry the claims of the token verified (never another
// key's, never a pooled digest's leftover), each token must fail under the
// other fixed Verifier, and once the swapping stops the swapped Verifier
// must refuse the key SetKeys removed.
func TestReviewConcurrentKeysAndSetKeys(t *testing.T) {
	k1, k2 := GenerateSymmetricKey(), GenerateSymmetricKey()
	r1, r2 := mustLocalRing(t, k1), mustLocalRing(t, k2)
	clock := func() time.Time { return epoch }
	i1 := mustIssuer(t, r1, "access", IssuerConfig{Clock: clock})
	i2 := mustIssuer(t, r2, "access", IssuerConfig{Clock: clock})
	v1 := mustVerifier(t, r1, "access", VerifierConfig{Clock: clock})
	v2 := mustVerifier(t, r2, "access", VerifierConfig{Clock: clock})
	vs := mustVerifier(t, r1, "access", VerifierConfig{Clock: clock})

	const perKey = 8
	type tok struct {
		s, sub string
		key    int
	}
	var toks []tok
	for i := range perKey {
		sub1, sub2 := fmt.Sprintf("k1-%d", i), fmt.Sprintf("k2-%d", i)
		pad := map[string]any{"pad": strings.Repeat("p", i*130)} // some past 1 KiB
		toks = append(toks, tok{mustIssue(t, i1, Template{Subject: sub1, Claims: pad}), sub1, 1},
			tok{mustIssue(t, i2, Template{Subject: sub2, Claims: pad}), sub2, 2})
	}

	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 6 {
		wg.Go(func() {
			for n := 0; n < 4000 && time.Now().Before(deadline); n++ {
				tk := toks[(g+n)%len(toks)]
				own, other := v1, v2
				if tk.key == 2 {
					own, other = v2, v1
				}
				c, err := own.Verify(ctx, tk.s)
				if err != nil || c.Subject != tk.sub {
					errs <- fmt.Errorf("own verifier: %v, claims %+v for %s", err, c, tk.sub)
					return
				}
				if _, err := other.Verify(ctx, tk.s); !errors.Is(err, ErrInvalid) {
					errs <- fmt.Errorf("other key's verifier: err %v, want ErrInvalid", err)
					return
				}
				if c, err := vs.Verify(ctx, tk.s); err == nil && c.Subject != tk.sub {
					errs <- fmt.Errorf("swapped verifier: claims %+v for %s", c, tk.sub)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for n := 0; n < 2000 && time.Now().Before(deadline); n++ {
			r := r1
			if n%2 == 1 {
				r = r2
			}
			if err := vs.SetKeys(r); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Now at rest: each ring in turn, each token checked.
	for _, r := range []*KeyRing{r1, r2, r1} {
		if err := vs.SetKeys(r); err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			c, err := vs.Verify(ctx, tk.s)
			inRing := (tk.key == 1) == (r == r1)
			switch {
			case inRing && (err != nil || c.Subject != tk.sub):
				t.Fatalf("key in ring: %v, %+v", err, c)
			case !inRing && !errors.Is(err, ErrInvalid):
				t.Fatalf("key removed by SetKeys still verifies (err %v)", err)
			}
		}
	}
}

// TestReviewStackEdgeAndMaxTokenSize: tokens whose decoded body and footer
// go from below to above authenticate's 1 KiB stack buffer verify with the
// same claims on both sides of it, under a MaxTokenSize of exactly their
// length, and are refused as too large one byte under it.
func TestReviewStackEdgeAndMaxTokenSize(t *testing.T) {
	for _, purpose := range []string{"local", "public"} {
		r := mustLocalRing(t)
		if purpose == "public" {
			r = mustPublicRing(t, GenerateSecretKey())
		}
		clock := func() time.Time { return epoch }
		iss := mustIssuer(t, r, "access", IssuerConfig{Clock: clock})
		crossed := [2]bool{}
		for pad := 640; pad <= 760; pad++ {
			sub := fmt.Sprintf("user-%d", pad)
			tok := mustIssue(t, iss, Template{Subject: sub, Claims: map[string]any{"pad": strings.Repeat("q", pad)}})
			// The decoded length, compared with splitStackSize.
			decoded := (len(tok) - len(r.purpose.String()) - 2) * 3 / 4
			crossed[min(decoded/(splitStackSize+1), 1)] = true
			exact := mustVerifier(t, r, "access", VerifierConfig{Clock: clock, MaxTokenSize: len(tok)})
			c, err := exact.Verify(context.Background(), tok)
			if err != nil || c.Subject != sub {
				t.Fatalf("%s pad %d (decoded ~%d): %v, %+v", purpose, pad, decoded, err, c)
			}
			var got string
			if err := c.Get("pad", &got); err != nil || got != strings.Repeat("q", pad) {
				t.Fatalf("%s pad %d: custom claim %d bytes, %v", purpose, pad, len(got), err)
			}
			under := mustVerifier(t, r, "access", VerifierConfig{Clock: clock, MaxTokenSize: len(tok) - 1})
			if _, err := under.Verify(context.Background(), tok); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s pad %d: MaxTokenSize one under the length: %v", purpose, pad, err)
			}
		}
		if !crossed[0] || !crossed[1] {
			t.Fatalf("%s: the tokens did not straddle the stack buffer: %v", purpose, crossed)
		}
	}
}
