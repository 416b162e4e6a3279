package paseto

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
)

// rotationRecorder is a MemoryStore that keeps every Rotation it is given.
type rotationRecorder struct {
	*MemoryStore
	rotations []Rotation
}

func (r *rotationRecorder) Rotate(ctx context.Context, rot Rotation) (RotationResult, error) {
	r.rotations = append(r.rotations, rot)
	return r.MemoryStore.Rotate(ctx, rot)
}

// Without a grace period nothing can read a kept successor, so a refresh
// neither encrypts one nor hands one to the store; with one, it does.
func TestRefreshWrapsSuccessorOnlyWithGrace(t *testing.T) {
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		t.Run(grace.String(), func(t *testing.T) {
			clock := newTestClock(epoch)
			store := &rotationRecorder{MemoryStore: NewMemoryStore(MemoryStoreConfig{Clock: clock.now})}
			a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Store: store,
				GracePeriod: grace, Clock: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			pair, err := a.Login(ctx, "alice", LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			clock.add(time.Second)
			if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
				t.Fatal(err)
			}
			if len(store.rotations) != 1 {
				t.Fatalf("%d rotations, want 1", len(store.rotations))
			}
			kept := store.rotations[0].WrappedSuccessor
			if got := kept != ""; got != (grace > 0) {
				t.Fatalf("grace %v: successor wrapped and stored: %v", grace, got)
			}
			if grace > 0 && len(kept) != 83 {
				// docs/redis.md (Sizing) counts on it.
				t.Fatalf("kept successor of %d bytes, want 83: %q", len(kept), kept)
			}
			// The retry within the window works only with a kept successor.
			_, err = a.Refresh(ctx, pair.RefreshToken)
			if (err == nil) != (grace > 0) {
				t.Fatalf("grace %v: retry answered %v", grace, err)
			}
		})
	}
}

// keptEnv is an Auth with a grace period on a store that can tamper with
// what Rotate answers for a retry.
type keptEnv struct {
	clock  *testClock
	store  *keptStore
	auth   *Auth
	cfg    Config
	events []SecurityEvent
}

// keptStore is a MemoryStore whose Rotate records what it is given and
// passes a Retried answer's kept successor through tamper, when set.
type keptStore struct {
	*MemoryStore
	rotations []Rotation
	tamper    func(string) string
}

func (s *keptStore) Rotate(ctx context.Context, r Rotation) (RotationResult, error) {
	s.rotations = append(s.rotations, r)
	res, err := s.MemoryStore.Rotate(ctx, r)
	if err == nil && res.Outcome == Retried && s.tamper != nil {
		res.WrappedSuccessor = s.tamper(res.WrappedSuccessor)
	}
	return res, err
}

func newKeptEnv(t *testing.T, tweak func(*Config)) *keptEnv {
	t.Helper()
	e := &keptEnv{clock: newTestClock(epoch)}
	e.store = &keptStore{MemoryStore: NewMemoryStore(MemoryStoreConfig{Clock: e.clock.now})}
	e.cfg = Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Store: e.store,
		GracePeriod: 10 * time.Second, Clock: e.clock.now, Logger: slog.New(slog.DiscardHandler),
		OnSecurityEvent: func(_ context.Context, ev SecurityEvent) { e.events = append(e.events, ev) }}
	if tweak != nil {
		tweak(&e.cfg)
	}
	a, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = a
	return e
}

// refreshClaims verifies a refresh token without rotating it.
func (e *keptEnv) refreshClaims(t *testing.T, rt string) *Claims {
	t.Helper()
	c, err := e.auth.refreshVerify.Verify(context.Background(), rt)
	if err != nil {
		t.Fatalf("refresh token does not verify: %v", err)
	}
	return c
}

// sameToken fails t unless a and b are the same refresh token: every
// claim equal, the custom ones included.
func sameToken(t *testing.T, a, b *Claims) {
	t.Helper()
	if a.ID != b.ID || a.Subject != b.Subject || a.Session != b.Session || a.Type != b.Type ||
		!a.IssuedAt.Equal(b.IssuedAt) || !a.NotBefore.Equal(b.NotBefore) || !a.Expiration.Equal(b.Expiration) ||
		!a.AuthTime.Equal(b.AuthTime) || a.Fresh != b.Fresh || !slices.Equal(a.Scopes, b.Scopes) || a.CSRF != b.CSRF ||
		a.Issuer != b.Issuer || a.Audience != b.Audience || string(a.payload) != string(b.payload) {
		t.Fatalf("not the same token:\n%+v %s\n%+v %s", *a, a.payload, *b, b.payload)
	}
}

// A retry within the grace window answers the successor minted again: the
// same token, every claim equal, that verifies and rotates; and the
// store never holds the successor's ID, only a sealed value.
func TestRetryMintsTheSameSuccessor(t *testing.T) {
	e := newKeptEnv(t, func(c *Config) { c.Issuer, c.Audience = "https://issuer.test", "api" })
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin", "n": 7},
		Scopes: []string{"read", "write"}, CSRF: "csrf-hash"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.add(90 * time.Second)
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	sc := e.refreshClaims(t, second.RefreshToken)
	kept := e.store.rotations[0].WrappedSuccessor
	if strings.Contains(kept, sc.ID) || strings.Contains(kept, hashTokenID(sc.ID)) {
		t.Fatalf("the store holds the successor's ID: %q", kept)
	}
	for _, d := range []time.Duration{time.Second, 8 * time.Second, time.Second} { // the last at the window's edge
		e.clock.add(d)
		retry, err := e.auth.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatalf("retry after %v: %v", d, err)
		}
		sameToken(t, e.refreshClaims(t, retry.RefreshToken), sc)
		if retry.RefreshExpiresAt != second.RefreshExpiresAt {
			t.Fatalf("retry's RefreshExpiresAt %v, want %v", retry.RefreshExpiresAt, second.RefreshExpiresAt)
		}
		if _, err := e.auth.VerifyAccess(ctx, retry.AccessToken); err != nil {
			t.Fatalf("retry's access token: %v", err)
		}
	}
	// Past the window the old token is reuse, as ever.
	e.clock.add(time.Second)
	if _, err := e.auth.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("replay after the window: %v, want ErrRefreshReused", err)
	}
}

// A retry's answer is as good as the first: whichever of the two the
// client kept rotates the session, and the other is then the token just
// replaced.
func TestRetriedSuccessorRotates(t *testing.T) {
	e := newKeptEnv(t, nil)
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	third, err := e.auth.Refresh(ctx, retry.RefreshToken)
	if err != nil {
		t.Fatalf("refresh with the retry's successor: %v", err)
	}
	again, err := e.auth.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatalf("the first answer, presented within the window: %v", err)
	}
	sameToken(t, e.refreshClaims(t, again.RefreshToken), e.refreshClaims(t, third.RefreshToken))
	for _, ev := range e.events {
		if ev.Kind != EventRefreshRetried {
			t.Fatalf("security event %q", ev.Kind)
		}
	}
}

// An auth_time ahead of the refreshing instance's clock (a login on an
// instance whose clock is ahead) is written as the refresh's now; a retry
// seconds later writes the same, not its own now.
func TestRetryKeepsClampedAuthTime(t *testing.T) {
	e := newKeptEnv(t, func(c *Config) { c.Leeway = 30 * time.Second })
	ahead := e.cfg
	aheadClock := newTestClock(epoch.Add(20 * time.Second))
	ahead.Clock = aheadClock.now
	login, err := New(ahead)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := login.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	sc := e.refreshClaims(t, second.RefreshToken)
	if !sc.AuthTime.Equal(epoch) {
		t.Fatalf("auth_time %v, want it clamped to %v", sc.AuthTime, epoch)
	}
	e.clock.add(3 * time.Second)
	retry, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	sameToken(t, e.refreshClaims(t, retry.RefreshToken), sc)
}

// The retry reaches an instance whose refresh key ring has rotated since
// the first refresh (a key rollout): the successor is minted again under
// its current key, and verifies.
func TestRetryUnderRotatedKeyRing(t *testing.T) {
	e := newKeptEnv(t, nil)
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	sc := e.refreshClaims(t, second.RefreshToken)
	old := e.cfg.RefreshKeys.local[e.cfg.RefreshKeys.CurrentID()]
	rolled := e.cfg
	rolled.RefreshKeys = mustLocalRing(t, GenerateSymmetricKey(), SymmetricKey{*old})
	next, err := New(rolled)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.add(time.Second)
	retry, err := next.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(retry.RefreshToken, second.RefreshToken[:len(v4.LocalHeader)+10]) {
		t.Fatal("retry answered the first string")
	}
	rc, err := next.refreshVerify.Verify(ctx, retry.RefreshToken)
	if err != nil {
		t.Fatalf("re-minted successor under the new key: %v", err)
	}
	sameToken(t, rc, sc)
	if _, err := e.auth.refreshVerify.Verify(ctx, retry.RefreshToken); err == nil {
		t.Fatal("the old ring verifies a token of the new key: the retry was not minted under it")
	}
	if _, err := next.Refresh(ctx, retry.RefreshToken); err != nil {
		t.Fatalf("the re-minted successor does not rotate: %v", err)
	}
}

// wrapLegacy is how versions before sealed successors kept one: the whole
// token, v4.local-encrypted under successorKey.
func wrapLegacy(jti, successor string) string {
	return v4.Encrypt(successorKey(jti), []byte(successor), nil, nil)
}

// A rotation made by an instance of an earlier version (a rolling upgrade)
// kept the whole successor, wrapped: a retry that reaches this version
// still gets it, the very string.
func TestRetryReadsLegacyKeptSuccessor(t *testing.T) {
	e := newKeptEnv(t, nil)
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	rc := e.refreshClaims(t, first.RefreshToken)
	// What an earlier version's Refresh did: mint, wrap the whole token,
	// rotate.
	successor, sc, err := e.auth.refresh.Issue(Template{Subject: rc.Subject, AuthTime: rc.AuthTime, Session: rc.Session,
		Claims: customClaims(rc), NotAfter: e.auth.sessionEnd(rc.AuthTime)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.store.Rotate(ctx, Rotation{Subject: rc.Subject, Session: rc.Session,
		Presented: hashTokenID(rc.ID), Successor: hashTokenID(sc.ID),
		WrappedSuccessor: wrapLegacy(rc.ID, successor), Now: e.clock.now(), Grace: e.cfg.GracePeriod})
	if err != nil || res.Outcome != Rotated {
		t.Fatalf("legacy rotation: %v, %v", res.Outcome, err)
	}
	e.clock.add(2 * time.Second)
	retry, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("retry of a legacy rotation: %v", err)
	}
	if retry.RefreshToken != successor {
		t.Fatal("retry of a legacy rotation did not answer its successor")
	}
	if _, err := e.auth.Refresh(ctx, retry.RefreshToken); err != nil {
		t.Fatalf("legacy successor does not rotate: %v", err)
	}
}

// Whatever else the store answers for a retry (altered, truncated,
// garbage, another session's or another token's sealed value, a legacy
// value that does not open), the refresh fails with ErrStoreUnavailable:
// no token is handed out, nothing is revoked, no reuse is reported, and
// the session goes on: the genuine retry and the successor still work.
func TestTamperedKeptSuccessorFailsClosed(t *testing.T) {
	e := newKeptEnv(t, nil)
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	genuine := e.store.rotations[len(e.store.rotations)-1].WrappedSuccessor

	// Another session's kept successor, and one this session kept for an
	// earlier token.
	other, err := e.auth.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatal(err)
	}
	otherSession := e.store.rotations[len(e.store.rotations)-1].WrappedSuccessor
	older, err := e.auth.Login(ctx, "bob", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	olderNext, err := e.auth.Refresh(ctx, older.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	earlierToken := e.store.rotations[len(e.store.rotations)-1].WrappedSuccessor
	if _, err := e.auth.Refresh(ctx, olderNext.RefreshToken); err != nil {
		t.Fatal(err)
	}

	raw, err := base64.RawURLEncoding.DecodeString(genuine)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := slices.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	rc := e.refreshClaims(t, first.RefreshToken)
	cases := map[string]string{
		"empty":               "",
		"truncated by one":    genuine[:len(genuine)-1],
		"truncated to half":   genuine[:len(genuine)/2],
		"tag cut":             base64.RawURLEncoding.EncodeToString(raw[:len(raw)-16]),
		"version altered":     flip(0),
		"nonce altered":       flip(5),
		"ciphertext altered":  flip(30),
		"tag altered":         flip(len(raw) - 1),
		"one byte more":       base64.RawURLEncoding.EncodeToString(append(slices.Clone(raw), 0)),
		"padded":              genuine + "=",
		"non-canonical":       genuine[:len(genuine)-1] + string(genuine[len(genuine)-1]^1),
		"not base64":          "!" + genuine[1:],
		"overlong":            genuine + strings.Repeat("A", 200),
		"garbage":             "w",
		"other session":       otherSession,
		"another token's":     earlierToken,
		"legacy, garbage":     v4.LocalHeader + "AAAA",
		"legacy, other key":   wrapLegacy("not-the-presented-id", second.RefreshToken),
		"legacy, not a token": wrapLegacy(rc.ID, "not a token"),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			if bad == genuine {
				t.Fatal("test value equals the genuine one")
			}
			before := len(e.events)
			e.store.tamper = func(string) string { return bad }
			pair, err := e.auth.Refresh(ctx, first.RefreshToken)
			e.store.tamper = nil
			if pair != nil || err == nil {
				t.Fatalf("tampered kept successor answered a pair (err %v)", err)
			}
			if name == "legacy, not a token" {
				// It opens; the Verifier refuses what is inside.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %v, want ErrMalformed", err)
				}
			} else if !errors.Is(err, ErrStoreUnavailable) {
				t.Fatalf("got %v, want ErrStoreUnavailable", err)
			}
			if len(e.events) != before {
				t.Fatalf("security event %q for a store's bad answer", e.events[len(e.events)-1].Kind)
			}
			if live, err := e.store.SessionLive(ctx, "alice", rc.Session, e.clock.now()); err != nil || !live {
				t.Fatalf("session no longer live: %v, %v", live, err)
			}
		})
	}
	retry, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("the genuine retry after the bad answers: %v", err)
	}
	sameToken(t, e.refreshClaims(t, retry.RefreshToken), e.refreshClaims(t, second.RefreshToken))
	if _, err := e.auth.Refresh(ctx, second.RefreshToken); err != nil {
		t.Fatalf("the successor after the bad answers: %v", err)
	}
}

// A retry runs Config.OnRefresh as every refresh does: the access token it
// answers carries what the hook gives now; the successor refresh token
// carries the login's claims, as the first answer did.
func TestRetryRunsOnRefresh(t *testing.T) {
	calls := 0
	e := newKeptEnv(t, func(c *Config) {
		c.OnRefresh = func(_ context.Context, rc *Claims) (RefreshUpdate, error) {
			calls++
			return RefreshUpdate{Claims: map[string]any{"call": calls}, Scopes: []string{"read"}}, nil
		}
	})
	ctx := context.Background()
	first, err := e.auth.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}, Scopes: []string{"read", "write"}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := e.auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("hook ran %d times, want 2", calls)
	}
	var call int
	if err := retry.Access.Get("call", &call); err != nil || call != 2 {
		t.Fatalf("retry's access token: call %d, %v; want the hook's second answer", call, err)
	}
	if !slices.Equal(retry.Access.Scopes, []string{"read"}) || retry.Access.Has("role") {
		t.Fatalf("retry's access token: scopes %v, role %v", retry.Access.Scopes, retry.Access.Has("role"))
	}
	sc := e.refreshClaims(t, retry.RefreshToken)
	sameToken(t, sc, e.refreshClaims(t, second.RefreshToken))
	if !slices.Equal(sc.Scopes, []string{"read", "write"}) || !sc.Has("role") || sc.Has("call") {
		t.Fatalf("successor's claims changed by the hook: scopes %v, %s", sc.Scopes, sc.payload)
	}
}

// FuzzOpenKept: a kept successor the fuzzer writes opens only when
// sealKept wrote it for that token and session, and then gives back what
// was sealed.
func FuzzOpenKept(f *testing.F) {
	const presented, session = "presented-token-id-000", "session-id"
	iat := time.Unix(1_800_000_000, 0).UTC()
	sealed, err := sealKept(presented, session, &Claims{ID: "AAECAwQFBgcICQoLDA0ODw", IssuedAt: iat})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, presented, session)
	f.Add(sealed[:40], presented, session)
	f.Add(sealed, "other", session)
	f.Add(sealed, presented, "other")
	f.Add("", "", "")
	f.Add(v4.LocalHeader+"AAAA", presented, session)
	f.Fuzz(func(t *testing.T, kept, jti, sid string) {
		id, at, err := openKept(jti, sid, kept)
		if err != nil {
			if id != "" || !at.IsZero() {
				t.Fatal("a failed open returned values")
			}
			return
		}
		// Only a value sealed for presented and session opens: a seed,
		// sealed by whichever process added it, or one the fuzzer forged
		// (a failure).
		if jti != presented || sid != session {
			t.Fatalf("opened %q for another token or session", kept)
		}
		if id != "AAECAwQFBgcICQoLDA0ODw" || !at.Equal(iat) {
			t.Fatalf("opened %q %v", id, at)
		}
	})
}

// FuzzSealKept: whatever ID and issue time, sealKept's value opens to
// them, for the holder of the presented token only, and is never longer
// than keptMaxLen.
func FuzzSealKept(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), int64(1_800_000_000), "jti", "sid")
	f.Add([]byte("0123456789abcdef"), int64(1), "", "")
	f.Fuzz(func(t *testing.T, raw []byte, iat int64, jti, sid string) {
		id := base64.RawURLEncoding.EncodeToString(raw)
		kept, err := sealKept(jti, sid, &Claims{ID: id, IssuedAt: time.Unix(iat, 0)})
		if len(raw) != 16 || iat <= 0 {
			if err == nil {
				t.Fatalf("sealed an ID of %d bytes, iat %d", len(raw), iat)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		gotID, gotIat, err := openKept(jti, sid, kept)
		if iat > 1<<40 {
			if err == nil {
				t.Fatalf("opened an issue time past the bound: %d", iat)
			}
			return
		}
		if err != nil || gotID != id || gotIat.Unix() != iat {
			t.Fatalf("round trip: %q %v %v", gotID, gotIat, err)
		}
		if len(kept) > keptMaxLen {
			t.Fatalf("%d bytes", len(kept))
		}
		if _, _, err := openKept(jti+"x", sid, kept); err == nil {
			t.Fatal("opened under another presented ID")
		}
	})
}

// BenchmarkRefresh measures Auth.Refresh on a MemoryStore, so that the
// figure is the core's work (verifying the presented token, minting the
// pair, sealing the kept successor) and not a server's round trip:
// "rotate" refreshes a chain of tokens, each the one the previous refresh
// returned, with and without a grace period; "retry" presents the same
// replaced token again and again inside the window, which answers the
// kept successor. cpu-ns/op is the benchmark thread's CPU time, which a
// busy machine inflates far less than ns/op.
func BenchmarkRefresh(b *testing.B) {
	for _, grace := range []time.Duration{0, 5 * time.Second} {
		b.Run("rotate/grace="+grace.String(), func(b *testing.B) {
			clock := newTestClock(epoch)
			a := benchAuth(b, clock, grace)
			ctx := context.Background()
			pair, err := a.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}, Scopes: []string{"read", "write"}})
			if err != nil {
				b.Fatal(err)
			}
			rt := pair.RefreshToken
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for b.Loop() {
				p, err := a.Refresh(ctx, rt)
				if err != nil {
					b.Fatal(err)
				}
				rt = p.RefreshToken
			}
		})
	}
	b.Run("retry/grace=5s", func(b *testing.B) {
		clock := newTestClock(epoch)
		a := benchAuth(b, clock, 5*time.Second)
		ctx := context.Background()
		pair, err := a.Login(ctx, "alice", LoginOptions{Claims: map[string]any{"role": "admin"}, Scopes: []string{"read", "write"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			// The clock stands still: every retry is inside the window.
			if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchAuth(b *testing.B, clock *testClock, grace time.Duration) *Auth {
	b.Helper()
	a, err := New(Config{AccessKeys: mustLocalRing(b), RefreshKeys: mustLocalRing(b),
		Store: NewMemoryStore(MemoryStoreConfig{Clock: clock.now}), GracePeriod: grace, Clock: clock.now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// A MemoryStore keeps a sealed successor as the bytes it encodes, and any
// other value as it is: either way Rotate answers the very value it was
// given.
func TestMemoryStorePacksKeptSuccessor(t *testing.T) {
	sealed, err := sealKept("jti", "sid", &Claims{ID: "AAECAwQFBgcICQoLDA0ODw", IssuedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{sealed, "w1", "A", "AB", "ABC=", "AB\nCD", "AB\rC", "AC", "\x00AAAA", "\x01x",
		v4.LocalHeader + "AAAA", strings.Repeat("w", 760)} {
		p := packKept(v)
		if got := unpackKept(p); got != v {
			t.Fatalf("%q packed as %q comes back as %q", v, p, got)
		}
	}
	if p := packKept(sealed); len(p) != 63 {
		t.Fatalf("a sealed successor packs in %d bytes, want 63", len(p))
	}
}
