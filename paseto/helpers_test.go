package paseto

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
)

// testClock is the repository's fake clock (internal/fakeclock) with the
// shorthands these tests use; nothing here sleeps.
type testClock struct{ *fakeclock.Clock }

func newTestClock(t time.Time) *testClock { return &testClock{fakeclock.New(t)} }
func (c *testClock) add(d time.Duration)  { c.Advance(d) }
func (c *testClock) now() time.Time       { return c.Now() }

// at returns a clock stopped d from c's now.
func (c *testClock) at(d time.Duration) func() time.Time {
	t := c.Now().Add(d)
	return func() time.Time { return t }
}

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func mustLocalRing(t testing.TB, keys ...SymmetricKey) *KeyRing {
	t.Helper()
	if len(keys) == 0 {
		keys = []SymmetricKey{GenerateSymmetricKey()}
	}
	r, err := NewLocalKeyRing(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustPublicRing(t testing.TB, sk SecretKey, prev ...PublicKey) *KeyRing {
	t.Helper()
	r, err := NewPublicKeyRing(sk, prev...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustIssuer(t testing.TB, r *KeyRing, typ string, cfg IssuerConfig) *Issuer {
	t.Helper()
	i, err := NewIssuer(r, typ, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func mustVerifier(t testing.TB, r *KeyRing, typ string, cfg VerifierConfig) *Verifier {
	t.Helper()
	v, err := NewVerifier(r, typ, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustIssue(t testing.TB, i *Issuer, tpl Template) string {
	t.Helper()
	tok, _, err := i.Issue(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// seal mints a token with an arbitrary payload and footer under the ring's
// current key, for crafting tokens the Issuer would never produce.
func seal(r *KeyRing, payload, footer string) string {
	if r.purpose == Local {
		return v4.Encrypt(r.local[r.currentID], []byte(payload), []byte(footer), nil)
	}
	return v4.Sign(r.signer.private(), []byte(payload), []byte(footer), nil)
}

// fakeSessions records calls and vouches for every session not in ended.
type fakeSessions struct {
	calls atomic.Int64
	ended map[string]bool
	err   error
}

func (f *fakeSessions) SessionLive(_ context.Context, subject, sid string, _ time.Time) (bool, error) {
	f.calls.Add(1)
	if f.err != nil {
		return false, f.err
	}
	return !f.ended[subject+"/"+sid], nil
}
