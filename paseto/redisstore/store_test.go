package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
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

// TestConformance runs the shared Store suite, with a second Store over a
// second connection pool standing for a second application instance.
func TestConformance(t *testing.T) {
	srv := startServer(t)
	var (
		mu   sync.Mutex
		made = map[paseto.Store]redisstore.Options{}
	)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) paseto.Store {
			opts := redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: now}
			s := newStore(t, srv.client(t), opts)
			mu.Lock()
			made[s] = opts
			mu.Unlock()
			return s
		},
		Twin: func(t *testing.T, s paseto.Store) paseto.Store {
			mu.Lock()
			opts, ok := made[s]
			mu.Unlock()
			if !ok {
				t.Fatalf("Twin of a store New did not build: %T", s)
			}
			return newStore(t, srv.client(t), opts)
		},
	})
}

// TestOutage kills Redis mid-session: every call fails closed with
// ErrStoreUnavailable; after a restart from the append-only file the
// session, its rotation state and the revocations are all there.
func TestOutage(t *testing.T) {
	srv := startOwnServer(t) // must be ours: it gets killed
	client := srv.client(t, func(o *redis.Options) {
		o.DialTimeout = 200 * time.Millisecond
		o.ReadTimeout = 200 * time.Millisecond
		o.WriteTimeout = 200 * time.Millisecond
		o.MaxRetries = 1
		o.DialerRetries = 1
		o.MinRetryBackoff = time.Millisecond
		o.MaxRetryBackoff = 5 * time.Millisecond
	})
	clock := storetest.NewClock(time.Now())
	store := newStore(t, client, redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	auth := newAuth(t, store, clock.Now, nil)

	p1, err := auth.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	p1b, err := auth.Refresh(ctx, p1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	loggedOut, err := auth.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Logout(ctx, loggedOut.Access); err != nil {
		t.Fatal(err)
	}
	tokenRevoked, err := auth.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeToken(ctx, tokenRevoked.Access); err != nil {
		t.Fatal(err)
	}

	srv.kill()

	start := time.Now()
	if p, err := auth.Refresh(ctx, p1b.RefreshToken); !errors.Is(err, paseto.ErrStoreUnavailable) || p != nil {
		t.Fatalf("Refresh with Redis down: %v (pair %v), want ErrStoreUnavailable", err, p != nil)
	}
	if c, err := auth.VerifyAccess(ctx, p1b.AccessToken); !errors.Is(err, paseto.ErrStoreUnavailable) || c != nil {
		t.Fatalf("VerifyAccess with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if _, err := auth.VerifyAccess(ctx, tokenRevoked.AccessToken); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("VerifyAccess of a revoked token with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if p, err := auth.Login(ctx, "alice"); !errors.Is(err, paseto.ErrStoreUnavailable) || p != nil {
		t.Fatalf("Login with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if err := auth.Logout(ctx, p1b.Access); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Logout with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if err := auth.RevokeSubject(ctx, "alice"); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("RevokeSubject with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing closed took %v; the short client timeouts should make it quick", d)
	}

	srv.restart()

	// The scripts are gone from the new server's cache: EVALSHA falls back
	// to EVAL. The session is intact and rotates.
	if _, err := auth.VerifyAccess(ctx, p1b.AccessToken); err != nil {
		t.Fatalf("VerifyAccess after restart: %v", err)
	}
	clock.Advance(time.Minute)
	p1c, err := auth.Refresh(ctx, p1b.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh after restart: %v", err)
	}
	if _, err := auth.VerifyAccess(ctx, p1c.AccessToken); err != nil {
		t.Fatal(err)
	}
	// Revocations made before the kill hold.
	if _, err := auth.VerifyAccess(ctx, loggedOut.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("logged-out access token after restart: %v, want ErrRevoked", err)
	}
	if _, err := auth.Refresh(ctx, loggedOut.RefreshToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("logged-out refresh token after restart: %v, want ErrRevoked", err)
	}
	if _, err := auth.VerifyAccess(ctx, tokenRevoked.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("revoked access token after restart: %v, want ErrRevoked", err)
	}
	// And so does the rotation history: the first refresh token is spent.
	if _, err := auth.Refresh(ctx, p1.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("spent refresh token after restart: %v, want ErrRefreshReused", err)
	}
}

// TestKeyLayout checks that one subject's keys share one cluster slot, that
// the tag is the hashed subject (never the raw one, even when it contains
// braces), and that every key expires.
func TestKeyLayout(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, client, redisstore.Options{Prefix: prefix, Clock: clock.Now})
	auth := newAuth(t, store, clock.Now, nil)
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
			seen[kind] = true
		}
	}

	a, err := auth.Login(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.Login(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	check("login")
	a2, err := auth.Refresh(ctx, a.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	check("refresh")
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
	check("logout")
	c, err := auth.Login(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeToken(ctx, c.Access); err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeSubject(ctx, subject); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Refresh(ctx, c.RefreshToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("refresh after RevokeSubject: %v", err)
	}
	check("revoke")
	for _, kind := range []string{"s", "subj", "dj", "ds"} {
		if !seen[kind] {
			t.Errorf("no %q key was ever written; saw %v", kind, seen)
		}
	}

	// Another subject lands on its own tag.
	if _, err := auth.Login(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	var bobs int
	for _, k := range keysOf(t, client, prefix) {
		if strings.Contains(k, "{"+tagOf("bob")+"}") {
			bobs++
		}
	}
	if bobs != 2 { // session and index
		t.Fatalf("bob has %d keys, want 2", bobs)
	}
}

// countHook counts the commands a client sends.
type countHook struct {
	n     atomic.Int64
	names sync.Map
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		h.names.Store(cmd.Name(), true)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestRevokedIsOneCommand: the per-request check is a single MGET.
func TestRevokedIsOneCommand(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	hook := &countHook{}
	client.AddHook(hook)
	store := newStore(t, client, redisstore.Options{Prefix: srv.uniquePrefix(t)})
	// Dial first: a new connection's handshake commands are not Revoked's.
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	hook.names.Clear()
	for _, c := range []*paseto.Claims{
		{Subject: "alice", ID: "jti-1", Session: "sid-1"},
		{Subject: "alice", ID: "jti-2"},
	} {
		before := hook.n.Load()
		revoked, err := store.Revoked(ctx, c)
		if err != nil || revoked {
			t.Fatalf("Revoked(%+v) = %v, %v", c, revoked, err)
		}
		if n := hook.n.Load() - before; n != 1 {
			t.Fatalf("Revoked sent %d commands, want 1", n)
		}
	}
	var names []string
	hook.names.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
	if len(names) != 1 || names[0] != "mget" {
		t.Fatalf("Revoked sent %v, want only mget", names)
	}
}

// TestDenyEntryFollowsStoreClock: a deny entry Redis still holds is not
// honoured once its until-time has passed by the store's clock, and a
// shorter revocation never cuts a longer one short.
func TestDenyEntryFollowsStoreClock(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := newStore(t, client, redisstore.Options{Prefix: prefix, Clock: clock.Now})
	c := &paseto.Claims{Subject: "alice", ID: "jti-1", Session: "sid-1"}

	if err := store.RevokeToken(ctx, "alice", "jti-1", clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeToken(ctx, "alice", "jti-1", clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeSession(ctx, "alice", "sid-1", clock.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeSession(ctx, "alice", "sid-1", clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	assertRevoked := func(want bool) {
		t.Helper()
		got, err := store.Revoked(ctx, c)
		if err != nil || got != want {
			t.Fatalf("at %v: Revoked = %v, %v; want %v", clock.Now(), got, err, want)
		}
	}
	assertRevoked(true)
	clock.Advance(time.Minute) // jti entry over (exactly at its end), sid entry not
	assertRevoked(true)
	if got, _ := store.Revoked(ctx, &paseto.Claims{Subject: "alice", ID: "jti-1"}); got {
		t.Fatal("jti entry honoured at its until-time")
	}
	clock.Advance(time.Minute)
	assertRevoked(false)
	if n := len(keysOf(t, client, prefix)); n != 2 {
		t.Fatalf("%d keys, want both deny entries still in Redis (their TTL is real time)", n)
	}
	// Tokens whose until-time is past need no entry at all.
	if err := store.RevokeToken(ctx, "alice", "jti-old", clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(keysOf(t, client, prefix)); n != 2 {
		t.Fatalf("%d keys after revoking an already-expired token, want 2", n)
	}
	// Deny entries are per subject: another subject's token with the same
	// sid is unaffected (sids and jtis are random, so this only shows the
	// scoping).
	if got, _ := store.Revoked(ctx, &paseto.Claims{Subject: "bob", ID: "jti-1", Session: "sid-1"}); got {
		t.Fatal("deny entry leaked across subjects")
	}
}

// TestRepeatedCallsAreIdempotent: go-redis resends a command whose reply
// was lost, so each script may run twice for one call. A repeat must give
// the same answer, not turn a rotation into reuse.
func TestRepeatedCallsAreIdempotent(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := newStore(t, srv.client(t), redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	rec := paseto.SessionRecord{
		ID: "sid-1", Subject: "alice", Current: "h0",
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour),
	}
	for i := range 2 {
		if err := store.CreateSession(ctx, rec); err != nil {
			t.Fatalf("CreateSession #%d: %v", i+1, err)
		}
	}
	clash := rec
	clash.Current = "other"
	if err := store.CreateSession(ctx, clash); err == nil || errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("CreateSession over another session: %v, want a plain error", err)
	}

	rot := paseto.Rotation{
		Subject: "alice", Session: "sid-1", Presented: "h0", Successor: "h1",
		WrappedSuccessor: "w1", Now: clock.Now(), DenyUntil: clock.Now().Add(16 * time.Minute),
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
	revoked, err := store.Revoked(ctx, &paseto.Claims{Subject: "alice", ID: "x", Session: "sid-1"})
	if err != nil || !revoked {
		t.Fatalf("sid not denied after reuse: %v, %v", revoked, err)
	}
}

// TestRotateEdges covers the time comparisons at nanosecond precision,
// which Lua's doubles could not represent whole.
func TestRotateEdges(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC))
	store := newStore(t, srv.client(t), redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	t0 := clock.Now()
	create := func(sid string, idle time.Duration) {
		t.Helper()
		err := store.CreateSession(ctx, paseto.SessionRecord{
			ID: sid, Subject: "alice", Current: "c-" + sid,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), IdleTimeout: idle,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rotate := func(sid, presented, successor string, now time.Time, grace time.Duration) (paseto.RotationOutcome, error) {
		res, err := store.Rotate(ctx, paseto.Rotation{
			Subject: "alice", Session: sid, Presented: presented, Successor: successor,
			WrappedSuccessor: "w-" + successor, Now: now, Grace: grace, DenyUntil: now.Add(time.Minute),
		})
		if res.Outcome == paseto.Retried && res.WrappedSuccessor != "w-"+presented+"-next" {
			t.Fatalf("retried with %q", res.WrappedSuccessor)
		}
		return res.Outcome, err
	}

	// Absolute end: 1ns before is alive, at it is expired.
	create("abs", 0)
	if _, err := rotate("abs", "c-abs", "x", t0.Add(time.Hour), 0); !errors.Is(err, paseto.ErrSessionExpired) {
		t.Fatalf("at the absolute end: %v", err)
	}
	if out, err := rotate("abs", "c-abs", "c-abs-next", t0.Add(time.Hour-1), 0); err != nil || out != paseto.Rotated {
		t.Fatalf("1ns before the absolute end: %v, %v", out, err)
	}

	// Idle: exactly idle after last use is alive, 1ns more is expired.
	create("idle", 10*time.Minute)
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
	if out, err := rotate("grace", "c-grace", "c-grace-next", t1, 0); err != nil || out != paseto.Rotated {
		t.Fatalf("rotate: %v, %v", out, err)
	}
	if out, err := rotate("grace", "c-grace", "y", t1.Add(10*time.Second), 10*time.Second); err != nil || out != paseto.Retried {
		t.Fatalf("at the edge of grace: %v, %v", out, err)
	}
	if out, err := rotate("grace", "c-grace", "z", t1.Add(10*time.Second+1), 10*time.Second); err != nil || out != paseto.Reused {
		t.Fatalf("1ns past grace: %v, %v", out, err)
	}

	// Wrong subject: unknown.
	create("mine", 0)
	if _, err := store.Rotate(ctx, paseto.Rotation{Subject: "mallory", Session: "mine", Presented: "c-mine", Successor: "s", Now: t0}); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("another subject's session: %v", err)
	}
}

// TestRevokeSubjectManySessions revokes a subject with many sessions in one
// script and leaves other subjects alone.
func TestRevokeSubjectManySessions(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Now())
	store := newStore(t, srv.client(t), redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: clock.Now})
	auth := newAuth(t, store, clock.Now, nil)
	var pairs []*paseto.TokenPair
	for range 500 {
		p, err := auth.Login(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	bob, err := auth.Login(ctx, "bob")
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

// raceHook runs fn once, just before the first script call the client
// sends: a login by another instance landing between RevokeSubject's read
// of the index and its script.
type raceHook struct {
	once sync.Once
	fn   func()
}

func (h *raceHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *raceHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			h.once.Do(h.fn)
		}
		return next(ctx, cmd)
	}
}
func (h *raceHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestRevokeSubjectRacingLogin: a session created after RevokeSubject read
// the index but before its script ran is revoked too (a second round).
func TestRevokeSubjectRacingLogin(t *testing.T) {
	srv := startServer(t)
	clock := storetest.NewClock(time.Now())
	prefix := srv.uniquePrefix(t)
	other := newAuth(t, newStore(t, srv.client(t), redisstore.Options{Prefix: prefix, Clock: clock.Now}), clock.Now, nil)
	before, err := other.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var racing *paseto.TokenPair
	hooked := srv.client(t)
	hooked.AddHook(&raceHook{fn: func() {
		var err error
		if racing, err = other.Login(ctx, "alice"); err != nil {
			t.Error(err)
		}
	}})
	store := newStore(t, hooked, redisstore.Options{Prefix: prefix, Clock: clock.Now})
	if err := store.RevokeSubject(ctx, "alice", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if racing == nil {
		t.Fatal("the racing login did not run")
	}
	for _, p := range []*paseto.TokenPair{before, racing} {
		if _, err := other.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrRevoked) {
			t.Fatalf("refresh: %v, want ErrRevoked", err)
		}
		if _, err := other.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
			t.Fatalf("access: %v, want ErrRevoked", err)
		}
	}
}

// TestCorruptDataFailsClosed: a value the store never writes is an error
// (a 503), never "not revoked".
func TestCorruptDataFailsClosed(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	store := newStore(t, client, redisstore.Options{Prefix: prefix})
	key := prefix + "{" + tagOf("alice") + "}:dj:jti-1"
	if err := client.Set(ctx, key, "garbage", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if revoked, err := store.Revoked(ctx, &paseto.Claims{Subject: "alice", ID: "jti-1"}); err == nil || revoked {
		t.Fatalf("corrupt deny entry: %v, %v; want an error", revoked, err)
	}
	if err := store.RevokeToken(ctx, "alice", "jti-1", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("RevokeToken over a corrupt entry succeeded")
	}
	// A key of the wrong type makes the script fail before writing.
	skey := prefix + "{" + tagOf("alice") + "}:s:sid-1"
	if err := client.Set(ctx, skey, "not a hash", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "a", Successor: "b", Now: time.Now()}); err == nil || errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("Rotate over a wrong-type key: %v, want a store error", err)
	}
	if n := len(keysOf(t, client, prefix)); n != 2 {
		t.Fatalf("%d keys, want the 2 corrupt ones and nothing written", n)
	}
}

func TestNewOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer c.Close()
	if _, err := redisstore.New(nil, redisstore.Options{}); !errors.Is(err, paseto.ErrConfig) {
		t.Fatalf("nil client: %v", err)
	}
	for _, p := range []string{"app{1}:", "a}b", "{"} {
		if _, err := redisstore.New(c, redisstore.Options{Prefix: p}); !errors.Is(err, paseto.ErrConfig) {
			t.Fatalf("prefix %q: %v, want ErrConfig", p, err)
		}
	}
	if _, err := redisstore.New(c, redisstore.Options{}); err != nil {
		t.Fatal(err)
	}
	// Out-of-range times fail closed instead of wrapping around.
	s := newStore(t, c, redisstore.Options{Clock: func() time.Time { return time.Unix(-1, 0) }})
	if _, err := s.Revoked(ctx, &paseto.Claims{ID: "x"}); err == nil {
		t.Fatal("Revoked with a pre-1970 clock and no Redis succeeded")
	}
	if _, err := s.Revoked(ctx, nil); err == nil {
		t.Fatal("Revoked(nil) succeeded")
	}
}
