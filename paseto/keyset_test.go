package paseto

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/paserk"
)

// rotationRings returns the three rings of one rotation from k1 to k2:
// k2 published as upcoming, k2 promoted (k1 retiring), k1 dropped.
func rotationRings(t testing.TB, k1, k2 SecretKey) (publish, promote, retire *KeyRing) {
	t.Helper()
	var err error
	if publish, err = mustPublicRing(t, k1).WithUpcoming(k2.Public()); err != nil {
		t.Fatal(err)
	}
	return publish, mustPublicRing(t, k2, k1.Public()), mustPublicRing(t, k2)
}

func TestKeySetStatesAndRoundTrip(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	publish, promote, _ := rotationRings(t, k1, k2)
	for _, tc := range []struct {
		ring *KeyRing
		want map[string]KeyState
	}{
		{publish, map[string]KeyState{k1.Public().ID(): KeyCurrent, k2.Public().ID(): KeyUpcoming}},
		{promote, map[string]KeyState{k2.Public().ID(): KeyCurrent, k1.Public().ID(): KeyRetiring}},
	} {
		ks, err := NewKeySet(tc.ring)
		if err != nil {
			t.Fatal(err)
		}
		keys := ks.Keys()
		if len(keys) != 2 || keys[0].State != KeyCurrent {
			t.Fatalf("keys %v: want 2, current first", keys)
		}
		for _, k := range keys {
			if tc.want[k.ID] != k.State || k.Key.ID() != k.ID {
				t.Errorf("%s: state %v, want %v", k.ID, k.State, tc.want[k.ID])
			}
		}
		doc := ks.JSON()
		parsed, err := ParseKeySet(doc)
		if err != nil {
			t.Fatalf("ParseKeySet(%s): %v", doc, err)
		}
		if !parsed.Equal(ks) || string(parsed.JSON()) != string(doc) {
			t.Errorf("round trip changed the set:\n%s\n%s", doc, parsed.JSON())
		}
		ring, err := parsed.KeyRing()
		if err != nil {
			t.Fatal(err)
		}
		if ring.CanIssue() || ring.CurrentID() != tc.ring.CurrentID() {
			t.Errorf("parsed ring: can issue %v, current %s", ring.CanIssue(), ring.CurrentID())
		}
		for id, st := range tc.want {
			if ring.KeyState(id) != st {
				t.Errorf("parsed ring: %s is %v, want %v", id, ring.KeyState(id), st)
			}
		}
	}
}

func TestKeySetRefusesLocalRing(t *testing.T) {
	if _, err := NewKeySet(mustLocalRing(t)); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "v4.local") {
		t.Errorf("NewKeySet(local ring) = %v, want ErrConfig naming v4.local", err)
	}
	if _, err := KeySetReply(mustLocalRing(t), time.Minute); !errors.Is(err, ErrConfig) {
		t.Errorf("KeySetReply(local ring) = %v, want ErrConfig", err)
	}
	if _, err := mustLocalRing(t).WithUpcoming(GenerateSecretKey().Public()); !errors.Is(err, ErrConfig) {
		t.Errorf("WithUpcoming on a local ring = %v, want ErrConfig", err)
	}
}

func TestWithUpcomingRefusesDuplicatesAndWeakKeys(t *testing.T) {
	k := GenerateSecretKey()
	r := mustPublicRing(t, k)
	if _, err := r.WithUpcoming(k.Public()); !errors.Is(err, ErrConfig) {
		t.Errorf("current key as upcoming: %v", err)
	}
	if _, err := r.WithUpcoming(PublicKey{}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("zero key as upcoming: %v", err)
	}
	up, err := r.WithUpcoming(GenerateSecretKey().Public())
	if err != nil || len(r.IDs()) != 1 || len(up.IDs()) != 2 {
		t.Errorf("WithUpcoming changed the original ring or failed: %v", err)
	}
}

// entry renders one key set entry.
func entry(kid, key, state string) string {
	return `{"kid":"` + kid + `","key":"` + key + `","state":"` + state + `"}`
}

func TestParseKeySetRefusesHostileDocuments(t *testing.T) {
	k1, k2 := GenerateSecretKey().Public(), GenerateSecretKey().Public()
	local := GenerateSymmetricKey()
	secret := GenerateSecretKey()
	cur := entry(k1.ID(), k1.PASERK(), "current")
	k3 := "k3.public." + strings.TrimPrefix(k2.PASERK(), "k4.public.")
	k2pub := "k2.public." + strings.TrimPrefix(k2.PASERK(), "k4.public.")
	many := make([]string, MaxKeySetKeys+1)
	for i := range many {
		p := GenerateSecretKey().Public()
		many[i] = entry(p.ID(), p.PASERK(), "retiring")
	}
	many[0] = cur
	for _, tc := range []struct{ name, doc, why string }{
		{"empty", ``, "syntax"},
		{"not an object", `[]`, ""},
		{"no keys", `{"keys":[]}`, "current"},
		{"null keys", `{"keys":null}`, "unknown member"},
		{"unknown top member", `{"keys":[` + cur + `],"x":1}`, ""},
		{"keys twice", `{"keys":[` + cur + `],"keys":[` + cur + `]}`, ""},
		{"KEYS", `{"KEYS":[` + cur + `]}`, "unknown member"},
		{"duplicate kid", `{"keys":[` + cur + `,` + cur + `]}`, "twice"},
		{"duplicate member in entry", `{"keys":[{"kid":"` + k1.ID() + `","kid":"` + k1.ID() + `","key":"` + k1.PASERK() + `","state":"current"}]}`, ""},
		{"case-variant member", `{"keys":[{"kid":"` + k1.ID() + `","KEY":"` + k1.PASERK() + `","state":"current"}]}`, ""},
		{"unknown member", `{"keys":[{"kid":"` + k1.ID() + `","key":"` + k1.PASERK() + `","state":"current","alg":"none"}]}`, ""},
		{"missing state", `{"keys":[{"kid":"` + k1.ID() + `","key":"` + k1.PASERK() + `"}]}`, "required"},
		{"kid of another key", `{"keys":[` + entry(k2.ID(), k1.PASERK(), "current") + `]}`, "not the ID"},
		{"kid of another type", `{"keys":[` + entry(paserk.ID(paserk.PublicIDPrefix, k1.PASERK()+"x"), k1.PASERK(), "current") + `]}`, "not the ID"},
		{"local key", `{"keys":[` + cur + `,` + entry(local.ID(), local.PASERK(), "retiring") + `]}`, `"k4.local"`},
		{"secret key", `{"keys":[` + cur + `,` + entry(secret.Public().ID(), secret.PASERK(), "retiring") + `]}`, `"k4.secret"`},
		{"k3 key", `{"keys":[` + cur + `,` + entry(k2.ID(), k3, "retiring") + `]}`, `"k3.public"`},
		{"k2 key", `{"keys":[` + cur + `,` + entry(k2.ID(), k2pub, "retiring") + `]}`, `"k2.public"`},
		{"key ID as key", `{"keys":[` + cur + `,` + entry(k2.ID(), k2.ID(), "retiring") + `]}`, `"k4.pid"`},
		{"weak key", `{"keys":[` + cur + `,` + entry(PublicKey{}.ID(), PublicKey{}.PASERK(), "retiring") + `]}`, "small-order"},
		{"truncated key", `{"keys":[` + entry(k1.ID(), k1.PASERK()[:40], "current") + `]}`, ""},
		{"unknown state", `{"keys":[` + cur + `,` + entry(k2.ID(), k2.PASERK(), "revoked") + `]}`, "unknown state"},
		{"state case", `{"keys":[` + entry(k1.ID(), k1.PASERK(), "Current") + `]}`, "unknown state"},
		{"no current", `{"keys":[` + entry(k1.ID(), k1.PASERK(), "upcoming") + `]}`, "0 current"},
		{"two current", `{"keys":[` + cur + `,` + entry(k2.ID(), k2.PASERK(), "current") + `]}`, "2 current"},
		{"non-string state", `{"keys":[{"kid":"` + k1.ID() + `","key":"` + k1.PASERK() + `","state":1}]}`, "not a string"},
		{"entry not an object", `{"keys":["` + k1.PASERK() + `"]}`, ""},
		{"nested too deep", `{"keys":[{"kid":{"a":[1]}}]}`, ""},
		{"too many keys", `{"keys":[` + strings.Join(many, ",") + `]}`, "at most"},
		{"oversize", `{"keys":[` + cur + `]}` + strings.Repeat(" ", MaxKeySetSize), "bytes"},
		{"invalid UTF-8", `{"keys":[` + entry(k1.ID(), k1.PASERK(), "current\xff") + `]}`, ""},
		{"trailing data", `{"keys":[` + cur + `]}{}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := ParseKeySet([]byte(tc.doc))
			if ks != nil || !errors.Is(err, ErrKeySet) {
				t.Fatalf("ParseKeySet = %v, %v; want nil, ErrKeySet", ks, err)
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Errorf("error %q does not say %q", err, tc.why)
			}
			if strings.Contains(err.Error(), secret.PASERK()) || strings.Contains(err.Error(), local.PASERK()) {
				t.Errorf("error echoes a secret key: %v", err)
			}
		})
	}
}

func TestGuardKeySet(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	publish, promote, _ := rotationRings(t, k1, k2)
	a, err := New(Config{AccessKeys: mustPublicRing(t, k1), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(a, GuardConfig{KeySetMaxAge: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	read := func() *KeySet {
		t.Helper()
		r := g.KeySet()
		h := map[string]string{}
		for _, x := range r.Header {
			h[x.Name] = x.Value
		}
		if r.Status != http.StatusOK || h["Cache-Control"] != "public, max-age=90" || h["Content-Type"] != "application/json" {
			t.Fatalf("KeySet reply %d %v", r.Status, h)
		}
		ks, err := ParseKeySet(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	if ks := read(); len(ks.Keys()) != 1 || ks.Keys()[0].ID != k1.Public().ID() {
		t.Errorf("before rotation: %s", ks.JSON())
	}
	for _, r := range []*KeyRing{publish, promote} {
		if err := a.SetAccessKeys(r); err != nil {
			t.Fatal(err)
		}
		want, _ := NewKeySet(r)
		if ks := read(); !ks.Equal(want) {
			t.Errorf("after SetAccessKeys: %s, want %s", ks.JSON(), want.JSON())
		}
	}

	local, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	lg, _ := NewGuard(local, GuardConfig{})
	if r := lg.KeySet(); r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "k4.") {
		t.Errorf("local mode: %d %s, want 404 without keys", r.Status, r.Body)
	}
}

// TestSetAccessKeysRotation walks the runbook on one Auth: every token
// minted at any step verifies at the next, and after retiring k1 its
// tokens fail, even ones the verified-token cache held.
func TestSetAccessKeysRotation(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	publish, promote, retire := rotationRings(t, k1, k2)
	a, err := New(Config{AccessKeys: mustPublicRing(t, k1), RefreshKeys: mustLocalRing(t), CacheSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	login := func() string {
		t.Helper()
		p, err := a.Login(ctx, "alice", LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p.AccessToken
	}
	verify := func(tok string) error {
		_, err := a.VerifyAccess(ctx, tok)
		return err
	}
	t1 := login()
	if err := verify(t1); err != nil { // now cached
		t.Fatal(err)
	}
	if err := a.SetAccessKeys(publish); err != nil {
		t.Fatal(err)
	}
	t1b := login()
	if err := a.SetAccessKeys(promote); err != nil {
		t.Fatal(err)
	}
	t2 := login()
	for _, tok := range []string{t1, t1b, t2} {
		if err := verify(tok); err != nil {
			t.Errorf("after promotion: %v", err)
		}
	}
	if a.AccessKeys().CurrentID() != k2.Public().ID() {
		t.Errorf("current key %s, want k2", a.AccessKeys().CurrentID())
	}
	if err := a.SetAccessKeys(retire); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{t1, t1b} { // both were cached under promote
		if err := verify(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("k1 token after retiring k1: %v, want ErrInvalid", err)
		}
	}
	if err := verify(t2); err != nil {
		t.Errorf("k2 token after retiring k1: %v", err)
	}
	for _, bad := range []*KeyRing{nil, mustLocalRing(t), mustPublicVerifyRing(t, k2.Public())} {
		if err := a.SetAccessKeys(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("SetAccessKeys(%v) = %v, want ErrConfig", bad, err)
		}
	}
}

func mustPublicVerifyRing(t testing.TB, keys ...PublicKey) *KeyRing {
	t.Helper()
	r, err := NewPublicVerifyKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// flakySource is a KeySource whose ring and failure the test sets.
type flakySource struct {
	KeyHolder
	err     error
	lookups int
}

func (s *flakySource) Keys(ctx context.Context) (*KeyRing, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.KeyHolder.Keys(ctx)
}

func (s *flakySource) LookupKey(ctx context.Context, kid string) (*KeyRing, error) {
	s.lookups++
	return s.Keys(ctx)
}

func TestVerifyOnlyAuth(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	store := NewMemoryStore(MemoryStoreConfig{})
	issuer, err := New(Config{AccessKeys: mustPublicRing(t, k1), RefreshKeys: mustLocalRing(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	src := &flakySource{}
	src.Set(mustPublicVerifyRing(t, k1.Public()))
	if _, err := New(Config{AccessKeySource: src}); !errors.Is(err, ErrConfig) {
		t.Errorf("verify-only without a store: %v", err)
	}
	if _, err := New(Config{AccessKeySource: src, Store: store, AccessKeys: mustPublicRing(t, k1)}); !errors.Is(err, ErrConfig) {
		t.Errorf("verify-only with AccessKeys: %v", err)
	}
	rs, err := New(Config{AccessKeySource: src, Store: store, CacheSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pair, err := issuer.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.VerifyAccess(ctx, pair.AccessToken); err != nil {
		t.Fatalf("resource server: %v", err)
	}
	if _, err := rs.Login(ctx, "bob", LoginOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("Login on a verify-only Auth: %v", err)
	}
	if _, err := rs.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrInvalid) {
		t.Errorf("Refresh on a verify-only Auth: %v, want ErrInvalid", err)
	}
	if err := rs.SetAccessKeys(mustPublicRing(t, k2)); !errors.Is(err, ErrConfig) {
		t.Errorf("SetAccessKeys on a verify-only Auth: %v", err)
	}
	if err := rs.AccessVerifier().SetKeys(mustPublicRing(t, k2)); !errors.Is(err, ErrConfig) {
		t.Errorf("Verifier.SetKeys with a source: %v", err)
	}

	// An unknown kid asks the source once; the source's error is a 503.
	if err := issuer.SetAccessKeys(mustPublicRing(t, k2, k1.Public())); err != nil {
		t.Fatal(err)
	}
	p2, _ := issuer.Login(ctx, "alice", LoginOptions{})
	if _, err := rs.VerifyAccess(ctx, p2.AccessToken); !errors.Is(err, ErrInvalid) || src.lookups != 1 {
		t.Errorf("unknown kid: %v after %d lookups, want ErrInvalid after 1", err, src.lookups)
	}
	src.Set(mustPublicVerifyRing(t, k2.Public(), k1.Public()))
	if _, err := rs.VerifyAccess(ctx, p2.AccessToken); err != nil {
		t.Errorf("after the source learnt k2: %v", err)
	}
	// The source drops k1: the k1 token, verified and cached above, is
	// refused from the next request on.
	src.Set(mustPublicVerifyRing(t, k2.Public()))
	if _, err := rs.VerifyAccess(ctx, pair.AccessToken); !errors.Is(err, ErrInvalid) {
		t.Errorf("cached k1 token after the source dropped k1: %v, want ErrInvalid", err)
	}
	src.err = errors.New("key set unreachable")
	_, err = rs.VerifyAccess(ctx, pair.AccessToken)
	if !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, ErrStoreUnavailable) || Code(err) != "temporarily_unavailable" {
		t.Errorf("source failing: %v, want ErrKeysUnavailable", err)
	}
	g, _ := NewGuard(rs, GuardConfig{})
	if p := g.ProblemFor(err, nil); p.Status != http.StatusServiceUnavailable || p.RetryAfter == "" {
		t.Errorf("ProblemFor(source failing) = %d, Retry-After %q; want 503 with Retry-After", p.Status, p.RetryAfter)
	}
	if r := g.KeySet(); r.Status != http.StatusNotFound {
		t.Errorf("verify-only Guard's key set: %d, want 404", r.Status)
	}
}

func TestReadKeySetFile(t *testing.T) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	publish, _, _ := rotationRings(t, k1, k2)
	ks, _ := NewKeySet(publish)
	dir := t.TempDir()
	path := dir + "/keys.json"
	if err := writeFile(path, ks.JSON()); err != nil {
		t.Fatal(err)
	}
	r, err := ReadKeySetFile(path)
	if err != nil || r.KeyState(k2.Public().ID()) != KeyUpcoming || r.CurrentID() != k1.Public().ID() {
		t.Fatalf("ReadKeySetFile: %v", err)
	}
	big := append([]byte(`{"keys":[]}`), make([]byte, MaxKeySetSize)...)
	if err := writeFile(path, big); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeySetFile(path); !errors.Is(err, ErrKeySet) {
		t.Errorf("oversize file: %v", err)
	}
	if _, err := ReadKeySetFile(dir + "/missing"); err == nil {
		t.Error("missing file: no error")
	}
}

// FuzzParseKeySet: no panic; a document is accepted only if it has exactly
// one current key and every kid is its key's ID; what is accepted
// round-trips through JSON and builds a ring.
func FuzzParseKeySet(f *testing.F) {
	k1, k2 := GenerateSecretKey(), GenerateSecretKey()
	publish, promote, _ := rotationRings(f, k1, k2)
	for _, r := range []*KeyRing{publish, promote} {
		ks, _ := NewKeySet(r)
		f.Add(ks.JSON())
	}
	local := GenerateSymmetricKey()
	f.Add([]byte(`{"keys":[` + entry(local.ID(), local.PASERK(), "current") + `]}`))
	f.Add([]byte(`{"keys":[{"kid":"k4.pid.x","key":"k4.public.x","state":"current","kid":"y"}]}`))
	f.Add([]byte(`{"keys":[{"KID":"","Key":"","STATE":""}],"Keys":[]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ks, err := ParseKeySet(doc)
		if err != nil {
			if ks != nil || !errors.Is(err, ErrKeySet) {
				t.Fatalf("ParseKeySet = %v, %v", ks, err)
			}
			return
		}
		current := 0
		for _, k := range ks.Keys() {
			if k.Key.ID() != k.ID {
				t.Fatalf("accepted kid %s for key %s", k.ID, k.Key.ID())
			}
			if k.State == KeyCurrent {
				current++
			}
		}
		again, err := ParseKeySet(ks.JSON())
		if current != 1 || err != nil || !again.Equal(ks) {
			t.Fatalf("accepted set does not round-trip (%d current): %v", current, err)
		}
		if _, err := ks.KeyRing(); err != nil {
			t.Fatalf("accepted set builds no ring: %v", err)
		}
	})
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
