package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

var ctx = context.Background()

// tagOf is the hash tag the store must use for subject.
func tagOf(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// made remembers, for the conformance harness, how each store was built.
type made struct {
	mu     sync.Mutex
	stores map[paseto.Store]builtStore
}

type builtStore struct {
	client redis.UniversalClient
	opts   redisstore.Config
}

func (m *made) add(s paseto.Store, c redis.UniversalClient, o redisstore.Config) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stores == nil {
		m.stores = map[paseto.Store]builtStore{}
	}
	m.stores[s] = builtStore{c, o}
}

func (m *made) get(t *testing.T, s paseto.Store) builtStore {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.stores[s]
	if !ok {
		t.Fatalf("a store the harness did not build: %T", s)
	}
	return b
}

// harness is the conformance harness over srv; client builds a new client
// (a new application instance) for each store.
func harness(srv *server, client func(t *testing.T) redis.UniversalClient, lossless bool) storetest.Harness {
	var m made
	return storetest.Harness{
		New: func(t *testing.T, now func() time.Time) paseto.Store {
			o := redisstore.Config{Prefix: srv.uniquePrefix(t), Clock: now, LosslessPersistence: lossless, Logger: quiet}
			c := client(t)
			s := newStore(t, c, o)
			m.add(s, c, o)
			return s
		},
		Twin: func(t *testing.T, s paseto.Store) paseto.Store {
			b := m.get(t, s)
			c := client(t)
			twin := newStore(t, c, b.opts)
			m.add(twin, c, b.opts)
			return twin
		},
		Keys: func(t *testing.T, s paseto.Store) []string {
			b := m.get(t, s)
			return scanKeys(t, b.client, b.opts.Prefix)
		},
		Forget: func(t *testing.T, s paseto.Store, key string) {
			b := m.get(t, s)
			if n, err := b.client.Del(ctx, key).Result(); err != nil || n != 1 {
				t.Fatalf("DEL %q: %d, %v", key, n, err)
			}
		},
	}
}

// TestConformance runs the shared Store suite, with a second Store over a
// second connection pool standing for a second application instance, and
// with single keys deleted as an eviction would.
func TestConformance(t *testing.T) {
	srv := startServer(t)
	storetest.Run(t, harness(srv, func(t *testing.T) redis.UniversalClient { return srv.client(t) }, false))
}

// TestConformanceLossless: the same with LosslessPersistence (no server
// identity check).
func TestConformanceLossless(t *testing.T) {
	srv := startServer(t)
	storetest.Run(t, harness(srv, func(t *testing.T) redis.UniversalClient { return srv.client(t) }, true))
}

// TestKeyLayout checks that one subject's keys share one cluster slot, that
// the tag is the hashed subject (never the raw one, even when it contains
// braces), that every key expires, and that the kept successor lives no
// longer than the grace period.
func TestKeyLayout(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, client, redisstore.Config{Prefix: prefix, Clock: clock.Now})
	const grace = 5 * time.Second
	auth := newAuth(t, store, clock.Now, func(c *paseto.Config) { c.GracePeriod = grace })
	const subject = "evil}{user}:{x}"
	wantTag := tagOf(subject)

	seen := map[string]bool{}
	check := func(step string) {
		t.Helper()
		keys := keysOf(t, client, prefix)
		if len(keys) == 0 {
			t.Fatalf("%s: no keys", step)
		}
		for _, k := range keys {
			if slot(k) != slot(keys[0]) {
				t.Errorf("%s: %q is in slot %d, %q in %d", step, k, slot(k), keys[0], slot(keys[0]))
			}
			rest := strings.TrimPrefix(k, prefix)
			i, j := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
			if i != 0 || j < 0 {
				t.Fatalf("%s: key %q does not start with a hash tag after the prefix", step, k)
			}
			tag := rest[1:j]
			if tag != wantTag || strings.Contains(tag, subject) {
				t.Errorf("%s: key %q has tag %q, want %q", step, k, tag, wantTag)
			}
			if strings.Contains(k, subject) {
				t.Errorf("%s: key %q contains the raw subject", step, k)
			}
			ttl, err := client.PTTL(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= 0 {
				t.Errorf("%s: key %q has TTL %v, want > 0", step, k, ttl)
			}
			kind := rest[j+2:]
			if n := strings.IndexByte(kind, ':'); n >= 0 {
				kind = kind[:n]
			}
			if kind == "w" && ttl > grace {
				t.Errorf("%s: kept successor %q lives %v, longer than the grace period", step, k, ttl)
			}
			seen[kind] = true
		}
	}

	a, err := auth.Login(ctx, subject, paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.Login(ctx, subject, paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check("login")
	a2, err := auth.Refresh(ctx, a.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	check("refresh")
	clock.Advance(grace + time.Second)
	if _, err := auth.Refresh(ctx, a.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := auth.VerifyAccess(ctx, a2.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("access after reuse: %v", err)
	}
	check("reuse")
	if err := auth.Logout(ctx, b.Access); err != nil {
		t.Fatal(err)
	}
	// A live session when the subject is logged out everywhere: its hash
	// goes with the index, not at its expiry.
	if _, err := auth.Login(ctx, subject, paseto.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeSubject(ctx, subject); err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]bool{"h": true, "i": true, "w": true} {
		if seen[kind] != want {
			t.Errorf("key kind %q seen %v, want %v; saw %v", kind, seen[kind], want, seen)
		}
	}
	if len(seen) != 3 {
		t.Errorf("key kinds %v, want only h, i and w", seen)
	}
	// The logged-out and the live session are gone; the reuse-revoked one
	// is a short tombstone; the index is gone.
	for _, k := range keysOf(t, client, prefix) {
		if strings.HasSuffix(k, "}:i") {
			t.Errorf("index %q survives RevokeSubject", k)
		}
		if ttl := client.PTTL(ctx, k).Val(); ttl > paseto.MaxGracePeriod {
			t.Errorf("%q kept %v after its session ended", k, ttl)
		}
	}

	// Another subject lands on its own tag: a session and an index.
	if _, err := auth.Login(ctx, "bob", paseto.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	var bobs int
	for _, k := range keysOf(t, client, prefix) {
		if strings.Contains(k, "{"+tagOf("bob")+"}") {
			bobs++
		}
	}
	if bobs != 2 {
		t.Fatalf("bob has %d keys, want 2", bobs)
	}
}

// TestKeptSuccessorOnlyWithGrace: without a grace period no successor is
// written at all, and the session hash never holds one.
func TestKeptSuccessorOnlyWithGrace(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	store := newStore(t, client, redisstore.Config{Prefix: prefix})
	auth := newAuth(t, store, time.Now, nil)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if p, err = auth.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keysOf(t, client, prefix) {
		if strings.Contains(k, "}:w:") {
			t.Fatalf("kept successor %q written with GracePeriod 0", k)
		}
		if strings.Contains(k, "}:h:") {
			for f, v := range client.HGetAll(ctx, k).Val() {
				if len(v) > 64 {
					t.Errorf("session field %s holds %d bytes", f, len(v))
				}
			}
		}
	}
}

// countHook counts the commands and round trips a client makes.
type countHook struct {
	cmds, trips atomic.Int64
	names       sync.Map
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		h.trips.Add(1)
		h.names.Store(cmd.Name(), true)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.cmds.Add(int64(len(cmds)))
		h.trips.Add(1)
		for _, c := range cmds {
			h.names.Store(c.Name(), true)
		}
		return next(ctx, cmds)
	}
}

// TestSessionLiveIsOneRoundTrip: the per-request check is one pipeline
// (HMGET and ZSCORE), and a refresh one EVALSHA, while the store's view of
// the server is fresh.
func TestSessionLiveIsOneRoundTrip(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	hook := &countHook{}
	client.AddHook(hook)
	store := newStore(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)})
	// The identity never ages here: no INFO after the first contact, however
	// slow the test runs (TestIdentityReadOncePerAge counts those).
	redisstore.SetIdentityClock(store, storetest.NewClock(time.Now()).Now)
	auth := newAuth(t, store, time.Now, nil)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{}) // first contact: INFO
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	hook.names.Clear()
	for range 10 {
		trips, cmds := hook.trips.Load(), hook.cmds.Load()
		if _, err := auth.VerifyAccess(ctx, p.AccessToken); err != nil {
			t.Fatal(err)
		}
		if n := hook.trips.Load() - trips; n != 1 {
			t.Fatalf("SessionLive made %d round trips, want 1", n)
		}
		if n := hook.cmds.Load() - cmds; n != 2 {
			t.Fatalf("SessionLive sent %d commands, want 2", n)
		}
	}
	var names []string
	hook.names.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
	if len(names) != 2 || !(names[0] == "hmget" || names[1] == "hmget") || !(names[0] == "zscore" || names[1] == "zscore") {
		t.Fatalf("SessionLive sent %v, want hmget and zscore", names)
	}
	// The first EVALSHA loads the script (NOSCRIPT, then EVAL).
	if p, err = auth.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	trips := hook.trips.Load()
	if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if n := hook.trips.Load() - trips; n != 1 {
		t.Fatalf("Refresh made %d round trips, want 1", n)
	}
}

// TestReconnectKeepsSessions: a new connection to the same server (the old
// ones killed) makes the store read the identity again, finds it
// unchanged, and keeps every session.
func TestReconnectKeepsSessions(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	store := newStore(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)})
	auth := newAuth(t, store, time.Now, nil)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := srv.client(t)
	for range 3 {
		if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		// The first command after the kill may hit the dead connection
		// (go-redis retries it on a new one) or fail: either way, no
		// session is lost.
		var verr error
		for range 3 {
			if _, verr = auth.VerifyAccess(ctx, p.AccessToken); verr == nil {
				break
			}
			if !errors.Is(verr, paseto.ErrStoreUnavailable) {
				t.Fatalf("after reconnecting: %v", verr)
			}
		}
		if verr != nil {
			t.Fatalf("after reconnecting: %v", verr)
		}
		if p, err = auth.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatalf("refresh after reconnecting: %v", err)
		}
	}
}

// TestRepeatedCallsAreIdempotent: go-redis resends a command whose reply
// was lost, so each script may run twice for one call. A repeat must give
// the same answer, not turn a rotation into reuse.
func TestRepeatedCallsAreIdempotent(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := newStore(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	rec := paseto.SessionRecord{
		ID: "sid-1", Subject: "alice", Current: "h0",
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour),
	}
	for i := range 2 {
		if _, err := store.CreateSession(ctx, rec); err != nil {
			t.Fatalf("CreateSession #%d: %v", i+1, err)
		}
	}
	clash := rec
	clash.Current = "other"
	if _, err := store.CreateSession(ctx, clash); err == nil || errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("CreateSession over another session: %v, want a plain error", err)
	}

	rot := paseto.Rotation{
		Subject: "alice", Session: "sid-1", Presented: "h0", Successor: "h1", Now: clock.Now(),
	}
	for i := range 2 {
		res, err := store.Rotate(ctx, rot)
		if err != nil || res.Outcome != paseto.Rotated {
			t.Fatalf("Rotate #%d: %+v, %v; want Rotated", i+1, res, err)
		}
	}
	// A different request presenting h0 is reuse (no grace)...
	reuse := rot
	reuse.Successor = "h1-attacker"
	for i := range 2 {
		res, err := store.Rotate(ctx, reuse)
		if err != nil || res.Outcome != paseto.Reused {
			t.Fatalf("reuse #%d: %+v, %v; want Reused both times", i+1, res, err)
		}
	}
	// ...and once the session is revoked, any other call is ErrRevoked.
	again := rot
	again.Presented, again.Successor = "h1", "h2"
	if _, err := store.Rotate(ctx, again); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("Rotate of a revoked session: %v, want ErrRevoked", err)
	}
	if live, err := store.SessionLive(ctx, "alice", "sid-1", clock.Now()); err != nil || live {
		t.Fatalf("session live after reuse: %v, %v", live, err)
	}
	// Logging it out keeps the tombstone, so the repeat still answers Reused.
	for range 2 {
		if ended, err := store.RevokeSession(ctx, "alice", "sid-1", clock.Now()); err != nil || ended {
			t.Fatalf("RevokeSession of a reuse-revoked session: %v, %v; want false, nil", ended, err)
		}
	}
	if res, err := store.Rotate(ctx, reuse); err != nil || res.Outcome != paseto.Reused {
		t.Fatalf("repeat after logout: %+v, %v; want Reused", res, err)
	}
	for range 2 {
		if err := store.RevokeSubject(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotateEdges covers the time comparisons at nanosecond precision,
// which Lua's doubles could not represent whole.
func TestRotateEdges(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC))
	store := newStore(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	t0 := clock.Now()
	create := func(sid string, idle time.Duration) {
		t.Helper()
		_, err := store.CreateSession(ctx, paseto.SessionRecord{
			ID: sid, Subject: "alice", Current: "c-" + sid,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), IdleTimeout: idle,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rotate := func(sid, presented, successor string, now time.Time, grace time.Duration) (paseto.RotationOutcome, error) {
		r := paseto.Rotation{Subject: "alice", Session: sid, Presented: presented, Successor: successor, Now: now, Grace: grace}
		if grace > 0 {
			r.WrappedSuccessor = "w-" + successor
		}
		res, err := store.Rotate(ctx, r)
		if res.Outcome == paseto.Retried && res.WrappedSuccessor != "w-"+presented+"-next" {
			t.Fatalf("retried with %q", res.WrappedSuccessor)
		}
		return res.Outcome, err
	}
	live := func(sid string, now time.Time) bool {
		t.Helper()
		ok, err := store.SessionLive(ctx, "alice", sid, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// Absolute end: 1ns before is alive, at it is expired.
	create("abs", 0)
	if !live("abs", t0.Add(time.Hour-1)) || live("abs", t0.Add(time.Hour)) {
		t.Fatal("SessionLive at the absolute end")
	}
	if _, err := rotate("abs", "c-abs", "x", t0.Add(time.Hour), 0); !errors.Is(err, paseto.ErrSessionExpired) {
		t.Fatalf("at the absolute end: %v", err)
	}
	if out, err := rotate("abs", "c-abs", "c-abs-next", t0.Add(time.Hour-1), 0); err != nil || out != paseto.Rotated {
		t.Fatalf("1ns before the absolute end: %v, %v", out, err)
	}

	// Idle: exactly idle after last use is alive, 1ns more is expired.
	create("idle", 10*time.Minute)
	if !live("idle", t0.Add(10*time.Minute)) || live("idle", t0.Add(10*time.Minute+1)) {
		t.Fatal("SessionLive at the idle end")
	}
	if _, err := rotate("idle", "c-idle", "x", t0.Add(10*time.Minute+1), 0); !errors.Is(err, paseto.ErrSessionExpired) {
		t.Fatalf("1ns past idle: %v", err)
	}
	if out, err := rotate("idle", "c-idle", "c-idle-next", t0.Add(10*time.Minute), 0); err != nil || out != paseto.Rotated {
		t.Fatalf("exactly idle: %v, %v", out, err)
	}

	// Grace: presented == previous exactly Grace after the rotation is a
	// retry, 1ns later is reuse.
	create("grace", 0)
	t1 := t0.Add(time.Second + 999999999)
	if out, err := rotate("grace", "c-grace", "c-grace-next", t1, 10*time.Second); err != nil || out != paseto.Rotated {
		t.Fatalf("rotate: %v, %v", out, err)
	}
	if out, err := rotate("grace", "c-grace", "y", t1.Add(10*time.Second), 10*time.Second); err != nil || out != paseto.Retried {
		t.Fatalf("at the edge of grace: %v, %v", out, err)
	}
	if out, err := rotate("grace", "c-grace", "z", t1.Add(10*time.Second+1), 10*time.Second); err != nil || out != paseto.Reused {
		t.Fatalf("1ns past grace: %v, %v", out, err)
	}

	// A rotation without grace leaves nothing a later retry could use,
	// even with grace configured then.
	create("strict", 0)
	if out, err := rotate("strict", "c-strict", "c-strict-next", t1, 0); err != nil || out != paseto.Rotated {
		t.Fatalf("rotate: %v, %v", out, err)
	}
	if _, err := rotate("strict", "c-strict", "y", t1, 10*time.Second); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("retry with no kept successor: %v, want ErrRevoked (no reuse event)", err)
	}
	if !live("strict", t1) {
		t.Fatal("a retry with no kept successor ended the session")
	}

	// Wrong subject: unknown.
	create("mine", 0)
	if _, err := store.Rotate(ctx, paseto.Rotation{Subject: "mallory", Session: "mine", Presented: "c-mine", Successor: "s", Now: t0}); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("another subject's session: %v", err)
	}
	if live, err := store.SessionLive(ctx, "mallory", "mine", t0); err != nil || live {
		t.Fatalf("another subject's session live: %v, %v", live, err)
	}
	// Sessions are keyed under their subject: mallory cannot name alice's.
	if ended, err := store.RevokeSession(ctx, "mallory", "mine", t0); err != nil || ended {
		t.Fatalf("revoking a session mallory does not have: %v, %v", ended, err)
	}
	if !live("mine", t0) {
		t.Fatal("another subject ended alice's session")
	}
}

// TestRevokeSubjectManySessions revokes a subject with many sessions with
// one key and leaves other subjects alone.
func TestRevokeSubjectManySessions(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	auth := newAuth(t, store, clock.Now, nil)
	var pairs []*paseto.TokenPair
	for range 200 {
		p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	bob, err := auth.Login(ctx, "bob", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		if _, err := auth.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
			t.Fatalf("session %d: access %v", i, err)
		}
		if _, err := auth.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrRevoked) {
			t.Fatalf("session %d: refresh %v", i, err)
		}
	}
	if _, err := auth.Refresh(ctx, bob.RefreshToken); err != nil {
		t.Fatalf("bob: %v", err)
	}
}

// TestCorruptRecordsFailClosed: a key of the wrong type or a record the
// store could not have written makes every operation that would grant
// something from it fail with ErrStoreCorrupt, writing nothing; never
// "live", never "unknown". Revocations do not read what they delete: they
// succeed and the broken keys are gone.
func TestCorruptRecordsFailClosed(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	now := time.Now()
	type op struct {
		name string
		run  func(s *redisstore.Store) error
	}
	live := op{"SessionLive", func(s *redisstore.Store) error {
		ok, err := s.SessionLive(ctx, "alice", "sid-1", now)
		if ok {
			return errors.New("live")
		}
		return err
	}}
	create := op{"CreateSession", func(s *redisstore.Store) error {
		_, err := s.CreateSession(ctx, paseto.SessionRecord{ID: "sid-1", Subject: "alice", Current: "h0", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		return err
	}}
	createOther := op{"CreateSession(other sid)", func(s *redisstore.Store) error {
		_, err := s.CreateSession(ctx, paseto.SessionRecord{ID: "sid-2", Subject: "alice", Current: "h0", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		return err
	}}
	rotate := op{"Rotate", func(s *redisstore.Store) error {
		_, err := s.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h0", Successor: "h1", WrappedSuccessor: "w", Grace: time.Second, Now: now})
		return err
	}}
	revokeSession := op{"RevokeSession", func(s *redisstore.Store) error {
		_, err := s.RevokeSession(ctx, "alice", "sid-1", now)
		return err
	}}
	revokeSubject := op{"RevokeSubject", func(s *redisstore.Store) error { return s.RevokeSubject(ctx, "alice") }}

	hash := func(kv ...any) func(string) error {
		return func(k string) error { return client.HSet(ctx, k, kv...).Err() }
	}
	str := func(v string) func(string) error {
		return func(k string) error { return client.Set(ctx, k, v, time.Hour).Err() }
	}
	valid := map[string]any{
		"u": "alice", "r": "", "c": "h0", "p": "",
		"t": "0", "e": "9000000000000000000", "l": "0", "i": "0",
		"x": "0", "b": "", "a": "0", "0": "", "1": "", "2": "", "3": "",
		"n": "", "m": "",
	}
	with := func(field string, v any) func(string) error {
		var kv []any
		for f, x := range valid {
			if f == field {
				if v == nil {
					continue
				}
				x = v
			}
			kv = append(kv, f, x)
		}
		return hash(kv...)
	}
	sessionOps := []op{live, create, rotate}
	type corruptCase struct {
		name string
		key  string // s, i or w
		set  func(key string) error
		ops  []op // each fails with ErrStoreCorrupt, writing nothing
		// revoke succeeds on the corrupt key and deletes it.
		revoke op
	}
	cases := []corruptCase{
		{"session of wrong type", "s", str("x"), sessionOps, revokeSession},
		{"session as a list", "s", func(k string) error { return client.RPush(ctx, k, "x").Err() }, sessionOps, revokeSession},
		{"session missing a field", "s", with("i", nil), sessionOps, revokeSession},
		{"session with alien fields only", "s", hash("foo", "bar"), []op{create, rotate}, revokeSession},
		{"session with a bad time", "s", with("e", "12x"), sessionOps, revokeSession},
		{"session with a negative time", "s", with("l", "-1"), sessionOps, revokeSession},
		{"session with a bad flag", "s", with("x", "no"), sessionOps, revokeSession},
		// SessionLive does not read the device (no liveness decision
		// needs it); everything that does read it refuses.
		{"session missing a device field", "s", with("2", nil), []op{create, rotate}, revokeSession},
		{"session with a bad created_at", "s", with("a", "x"), sessionOps, revokeSession},
		{"session with a bad run_id", "s", with("r", "xyz"), sessionOps, revokeSession},
		{"live session without current", "s", with("c", ""), sessionOps, revokeSession},
		{"session with an empty subject", "s", with("u", ""), sessionOps, revokeSession},
		{"index of wrong type", "i", hash("x", "y"), []op{live, createOther, rotate}, revokeSubject},
		{"index as a string", "i", str("x"), []op{live, createOther, rotate}, revokeSubject},
		{"kept successor of wrong type", "w", hash("x", "y"), []op{rotate}, revokeSession},
	}
	// Every number the store keeps is an int64: Lua must refuse what Go's
	// parser does, 19 digits above MaxInt64 included.
	for _, f := range []string{"t", "e", "l", "i", "a"} {
		// A leading zero too: "00" would be 0 to Go and not '0' to a Lua
		// text comparison.
		for _, v := range []string{"9223372036854775808", "9999999999999999999", "10000000000000000000", "1e18", " 1", "+1", "00", "01"} {
			cases = append(cases, corruptCase{"session with " + f + "=" + v, "s", with(f, v), sessionOps, revokeSession})
		}
	}
	for _, tc := range cases {
		for _, o := range append(tc.ops, tc.revoke) {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				prefix := srv.uniquePrefix(t)
				store := newStore(t, client, redisstore.Config{Prefix: prefix, Logger: quiet})
				// A real session first, so that only the corruption is wrong.
				if err := create.run(store); err != nil {
					t.Fatal(err)
				}
				tag := prefix + "{" + tagOf("alice") + "}:"
				key := map[string]string{"s": tag + "h:sid-1", "i": tag + "i", "w": tag + "w:sid-1"}[tc.key]
				if err := client.Del(ctx, key).Err(); err != nil {
					t.Fatal(err)
				}
				if err := tc.set(key); err != nil {
					t.Fatal(err)
				}
				before := dump(t, client, prefix)
				err := o.run(store)
				if o.name == tc.revoke.name {
					if err != nil {
						t.Fatalf("%v, want success: a revocation deletes what it cannot read", err)
					}
					if n := client.Exists(ctx, key).Val(); n != 0 {
						t.Fatalf("the corrupt key %s is still there", key)
					}
					if ok, err := store.SessionLive(ctx, "alice", "sid-1", now); ok || err != nil {
						t.Fatalf("after %s: live %v, %v; want not live", o.name, ok, err)
					}
					return
				}
				if !errors.Is(err, paseto.ErrStoreCorrupt) {
					t.Fatalf("%v, want ErrStoreCorrupt", err)
				}
				if after := dump(t, client, prefix); after != before {
					t.Fatalf("a failed call wrote:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}

	// The largest int64 is a number both Go and the scripts accept.
	t.Run("numbers at MaxInt64", func(t *testing.T) {
		prefix := srv.uniquePrefix(t)
		store := newStore(t, client, redisstore.Config{Prefix: prefix, Logger: quiet})
		if err := create.run(store); err != nil {
			t.Fatal(err)
		}
		key := prefix + "{" + tagOf("alice") + "}:h:sid-1"
		const maxInt64 = "9223372036854775807"
		if err := client.HSet(ctx, key, "e", maxInt64, "t", maxInt64).Err(); err != nil {
			t.Fatal(err)
		}
		if ok, err := store.SessionLive(ctx, "alice", "sid-1", now); !ok || err != nil {
			t.Fatalf("SessionLive: %v, %v; want live", ok, err)
		}
		if res, err := store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h0", Successor: "h1", Now: now}); err != nil || res.Outcome != paseto.Rotated {
			t.Fatalf("Rotate: %+v, %v; want Rotated", res, err)
		}
		if err := client.HSet(ctx, key, "l", maxInt64, "i", maxInt64).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := store.SessionLive(ctx, "alice", "sid-1", now); err != nil {
			t.Fatalf("SessionLive: %v", err)
		}
		if _, err := store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h1", Successor: "h2", Now: now}); errors.Is(err, paseto.ErrStoreCorrupt) {
			t.Fatalf("Rotate: %v", err)
		}
	})
}

// TestRevocationDespiteCorruptKeys: a broken key a revocation only
// deletes never makes it fail. Logout, "log out everywhere" and reuse
// detection succeed, and the session is dead afterwards.
func TestRevocationDespiteCorruptKeys(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	const grace = 5 * time.Second
	w := newWorld(t, client, redisstore.Config{Prefix: prefix}, func(c *paseto.Config) { c.GracePeriod = grace })
	keyOf := func(subject, kind, sid string) string {
		return prefix + "{" + tagOf(subject) + "}:" + kind + sid
	}
	asHash := func(key string) {
		t.Helper()
		if err := client.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
		if err := client.HSet(ctx, key, "x", "y").Err(); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(keys ...string) {
		t.Helper()
		if n := client.Exists(ctx, keys...).Val(); n != 0 {
			t.Fatalf("%d of %q left", n, keys)
		}
	}

	// Logout with a kept successor of the wrong type.
	p := w.login("alice")
	q := w.refresh(p.RefreshToken)
	asHash(keyOf("alice", "w:", q.Access.Session))
	if err := w.auth.Logout(ctx, q.Access); err != nil {
		t.Fatalf("Logout with a corrupt kept successor: %v", err)
	}
	w.dead("logged out", paseto.ErrRevoked, p, q)
	gone(keyOf("alice", "h:", q.Access.Session), keyOf("alice", "w:", q.Access.Session))

	// Logout of a session hash that is corrupt, or of the wrong type.
	for i, corrupt := range []func(key string){
		func(k string) { client.HSet(ctx, k, "e", "9999999999999999999") },
		func(k string) { client.HDel(ctx, k, "u") },
		asHash,
		func(k string) { client.Del(ctx, k); client.Set(ctx, k, "x", time.Hour) },
	} {
		p := w.login("bob")
		corrupt(keyOf("bob", "h:", p.Access.Session))
		if err := w.auth.Logout(ctx, p.Access); err != nil {
			t.Fatalf("#%d: Logout of a corrupt session: %v", i, err)
		}
		gone(keyOf("bob", "h:", p.Access.Session))
		w.dead("logged out", paseto.ErrRevoked, p)
	}

	// RevokeSubject with an index of the wrong type.
	c1, c2 := w.login("carol"), w.login("carol")
	asHash(keyOf("carol", "i", ""))
	if err := w.auth.RevokeSubject(ctx, "carol"); err != nil {
		t.Fatalf("RevokeSubject with a corrupt index: %v", err)
	}
	gone(keyOf("carol", "i", ""))
	w.dead("carol", paseto.ErrRevoked, c1, c2)

	// Reuse detected with a kept successor, or an index, of the wrong
	// type: the session is revoked all the same.
	for _, kind := range []string{"w:", "i"} {
		d := w.login("dave-" + kind)
		d2 := w.refresh(d.RefreshToken)
		sid := d.Access.Session
		if kind == "i" {
			sid = ""
		}
		asHash(keyOf("dave-"+kind, kind, sid))
		w.clock.Advance(grace + time.Second)
		if _, err := w.auth.Refresh(ctx, d.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
			t.Fatalf("reuse with a corrupt %s key: %v, want ErrRefreshReused", kind, err)
		}
		gone(keyOf("dave-"+kind, "w:", d.Access.Session))
		if kind == "i" {
			// The index was not needed, and is left for RevokeSubject.
			if err := w.auth.RevokeSubject(ctx, "dave-"+kind); err != nil {
				t.Fatal(err)
			}
		}
		reused := w.reused.Load()
		w.dead("reuse-revoked", paseto.ErrRevoked, d2)
		if w.reused.Load() != reused {
			t.Fatal("a reuse event for a revoked session")
		}
	}
}

// dump renders every key under prefix with its value, to compare states.
// The keys are sorted: SCAN's order changes while Redis rehashes.
func dump(t *testing.T, c *redis.Client, prefix string) string {
	t.Helper()
	var b strings.Builder
	keys := keysOf(t, c, prefix)
	slices.Sort(keys)
	for _, k := range keys {
		v, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(k + "=" + base64.StdEncoding.EncodeToString([]byte(v)) + ";")
	}
	return b.String()
}

func TestNewOptions(t *testing.T) {
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer plain.Close()
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer good.Close()
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	defer cluster.Close()
	plainCluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer plainCluster.Close()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()

	refused := []struct {
		name   string
		client redis.UniversalClient
		opts   redisstore.Config
	}{
		{"nil client", nil, redisstore.Config{}},
		{"nil *Client", (*redis.Client)(nil), redisstore.Config{}},
		{"no ContextTimeoutEnabled", plain, redisstore.Config{}},
		{"cluster without ContextTimeoutEnabled", plainCluster, redisstore.Config{LosslessPersistence: true}},
		{"cluster without LosslessPersistence", cluster, redisstore.Config{}},
		{"ring", ring, redisstore.Config{LosslessPersistence: true}},
		{"negative timeout", good, redisstore.Config{Timeout: -time.Second}},
	}
	for _, p := range []string{"app{1}:", "a}b", "{"} {
		refused = append(refused, struct {
			name   string
			client redis.UniversalClient
			opts   redisstore.Config
		}{"prefix " + p, good, redisstore.Config{Prefix: p}})
	}
	for _, tc := range refused {
		if s, err := redisstore.New(tc.client, tc.opts); !errors.Is(err, paseto.ErrConfig) || s != nil {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
		}
	}
	if _, err := redisstore.New(good, redisstore.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.New(cluster, redisstore.Config{LosslessPersistence: true}); err != nil {
		t.Fatal(err)
	}
	// Out-of-range times fail closed instead of wrapping around, before
	// any round trip.
	s := newStore(t, good, redisstore.Config{})
	if _, err := s.SessionLive(ctx, "alice", "sid", time.Unix(-1, 0)); err == nil {
		t.Fatal("SessionLive with a pre-1970 time and no Redis succeeded")
	}
}

// TestKeptSuccessorSealed: with a grace period, the kept successor in
// Redis is the 83-byte sealed value, holding neither the successor nor
// its ID nor its ID's hash; a retry through Redis answers the same token
// (the same ID) in another string; and a kept value altered in Redis
// answers 503, changes nothing and revokes nothing.
func TestKeptSuccessorSealed(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, client, redisstore.Config{Prefix: prefix, Clock: clock.Now})
	refreshRing, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	auth := newAuth(t, store, clock.Now, func(c *paseto.Config) {
		c.GracePeriod = 5 * time.Second
		c.RefreshKeys = refreshRing
	})
	refreshes, err := paseto.NewVerifier(refreshRing, paseto.TypeRefresh, paseto.VerifierConfig{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	first, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := refreshes.Verify(ctx, second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	var kept string
	for _, k := range keysOf(t, client, prefix) {
		if strings.Contains(k, "}:w:") {
			kept = k
		}
	}
	if kept == "" {
		t.Fatal("no kept successor with a grace period")
	}
	v := client.Get(ctx, kept).Val()
	idHash := sha256.Sum256([]byte(sc.ID))
	if len(v) != 83 || strings.Contains(v, sc.ID) || strings.Contains(v, base64.RawURLEncoding.EncodeToString(idHash[:])) ||
		strings.Contains(v, second.RefreshToken[10:40]) {
		t.Fatalf("kept successor %q (%d bytes)", v, len(v))
	}

	clock.Advance(time.Second)
	retry, err := auth.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := refreshes.Verify(ctx, retry.RefreshToken)
	if err != nil || rc.ID != sc.ID || retry.RefreshToken == second.RefreshToken {
		t.Fatalf("retry answered ID %q (%v), want %q in another string", rc.ID, err, sc.ID)
	}

	// Altered in Redis: a flipped character, the window kept.
	b := []byte(v)
	if b[40] = 'A'; v[40] == 'A' {
		b[40] = 'B'
	}
	pttl := client.PTTL(ctx, kept).Val()
	if err := client.Set(ctx, kept, string(b), pttl).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err := auth.Refresh(ctx, first.RefreshToken); !errors.Is(err, paseto.ErrStoreUnavailable) || p != nil {
		t.Fatalf("retry with an altered kept successor: %v, want ErrStoreUnavailable", err)
	}
	if _, err := auth.VerifyAccess(ctx, second.AccessToken); err != nil {
		t.Fatalf("the session after the altered answer: %v", err)
	}
	if _, err := auth.Refresh(ctx, retry.RefreshToken); err != nil {
		t.Fatalf("the successor after the altered answer: %v", err)
	}
}
