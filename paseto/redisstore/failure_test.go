package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// world is an Auth over the Redis store with a fake clock, counting the
// security events it raises.
type world struct {
	t       *testing.T
	clock   *storetest.Clock
	store   *redisstore.Store
	auth    *paseto.Auth
	reused  atomic.Int64
	retried atomic.Int64
}

func newWorld(t *testing.T, c redis.UniversalClient, opts redisstore.Config, tweak func(*paseto.Config)) *world {
	t.Helper()
	w := &world{t: t, clock: storetest.NewClock(time.Now())}
	opts.Clock = w.clock.Now
	w.store = newStore(t, c, opts)
	w.auth = newAuth(t, w.store, w.clock.Now, func(cfg *paseto.Config) {
		cfg.OnSecurityEvent = func(_ context.Context, ev paseto.SecurityEvent) {
			switch ev.Kind {
			case paseto.EventRefreshReused:
				w.reused.Add(1)
			case paseto.EventRefreshRetried:
				w.retried.Add(1)
			}
		}
		if tweak != nil {
			tweak(cfg)
		}
	})
	return w
}

func (w *world) login(sub string) *paseto.TokenPair {
	w.t.Helper()
	p, err := w.auth.Login(ctx, sub, paseto.LoginOptions{})
	if err != nil {
		w.t.Fatalf("Login: %v", err)
	}
	return p
}

func (w *world) refresh(rt string) *paseto.TokenPair {
	w.t.Helper()
	p, err := w.auth.Refresh(ctx, rt)
	if err != nil {
		w.t.Fatalf("Refresh: %v", err)
	}
	return p
}

// dead checks that none of the pairs' tokens is accepted, each refused
// with want (or, with want nil, with any error but reuse).
func (w *world) dead(what string, want error, pairs ...*paseto.TokenPair) {
	w.t.Helper()
	for i, p := range pairs {
		if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err == nil || (want != nil && !errors.Is(err, want)) {
			w.t.Fatalf("%s #%d: access token: %v, want %v", what, i, err, want)
		}
		if _, err := w.auth.Refresh(ctx, p.RefreshToken); err == nil || (want != nil && !errors.Is(err, want)) || errors.Is(err, paseto.ErrRefreshReused) {
			w.t.Fatalf("%s #%d: refresh token: %v, want %v", what, i, err, want)
		}
	}
}

// fastClient is a client that gives up quickly on a dead server.
func fastClient(t *testing.T, srv *server) *redis.Client {
	return srv.client(t, func(o *redis.Options) {
		o.DialTimeout = 200 * time.Millisecond
		o.MaxRetries = 1
		o.DialerRetries = 1
		o.MinRetryBackoff = time.Millisecond
		o.MaxRetryBackoff = 5 * time.Millisecond
	})
}

// TestOutage kills Redis mid-session: every call fails closed with
// ErrStoreUnavailable, promptly.
func TestOutage(t *testing.T) {
	srv := startOwnServer(t) // must be ours: it gets killed
	w := newWorld(t, fastClient(t, srv), redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	p := w.refresh(w.login("alice").RefreshToken)
	srv.kill()

	start := time.Now()
	if p, err := w.auth.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrStoreUnavailable) || p != nil {
		t.Fatalf("Refresh with Redis down: %v (pair %v), want ErrStoreUnavailable", err, p != nil)
	}
	if c, err := w.auth.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrStoreUnavailable) || c != nil {
		t.Fatalf("VerifyAccess with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if p, err := w.auth.Login(ctx, "alice", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) || p != nil {
		t.Fatalf("Login with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if err := w.auth.Logout(ctx, p.Access); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Logout with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if err := w.auth.RevokeSubject(ctx, "alice"); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("RevokeSubject with Redis down: %v, want ErrStoreUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing closed took %v", d)
	}
}

// TestStall freezes Redis (SIGSTOP): every call returns an error within its
// 1 s deadline plus slack. Once Redis resumes, no rotation of the stall was
// applied, so the client retrying with the token it still holds, long
// after the grace window, keeps its session: no reuse event, nothing
// revoked. (The calls give up before their scripts are written, on a
// connection dialled or an INFO sent during the stall, so this is not the
// late-write test: TestLateRotationRefused is, in latewrite_test.go.)
func TestStall(t *testing.T) {
	srv := startOwnServer(t)
	const timeout, slack = time.Second, 500 * time.Millisecond
	const grace = 2 * time.Second
	w := newWorld(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t)}, func(c *paseto.Config) {
		c.StoreTimeout = timeout
		c.GracePeriod = grace
	})
	users := make([]*paseto.TokenPair, 5)
	for i := range users {
		users[i] = w.refresh(w.login(fmt.Sprintf("user-%d", i)).RefreshToken)
	}
	bob := w.login("bob")

	srv.stop()
	timed := func(name string, f func() error) {
		t.Helper()
		start := time.Now()
		err := f()
		d := time.Since(start)
		if !errors.Is(err, paseto.ErrStoreUnavailable) {
			t.Errorf("%s during the stall: %v, want ErrStoreUnavailable", name, err)
		}
		if d > timeout+slack {
			t.Errorf("%s during the stall answered after %v, want within %v", name, d, timeout+slack)
		}
	}
	// The refreshes run at once, as concurrent clients would.
	var wg sync.WaitGroup
	for i, p := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timed(fmt.Sprintf("Refresh %d", i), func() error { _, err := w.auth.Refresh(ctx, p.RefreshToken); return err })
		}()
	}
	wg.Wait()
	timed("VerifyAccess", func() error { _, err := w.auth.VerifyAccess(ctx, users[0].AccessToken); return err })
	timed("Login", func() error { _, err := w.auth.Login(ctx, "carol", paseto.LoginOptions{}); return err })
	timed("Logout", func() error { return w.auth.Logout(ctx, bob.Access) })
	timed("RevokeSubject", func() error { return w.auth.RevokeSubject(ctx, "bob") })
	// Direct store calls under a 1 s context, as the brief of the store
	// states it.
	for name, call := range map[string]func(context.Context) error{
		"SessionLive": func(c context.Context) error {
			_, err := w.store.SessionLive(c, "user-0", users[0].Access.Session, w.clock.Now())
			return err
		},
		"RevokeSession": func(c context.Context) error {
			_, err := w.store.RevokeSession(c, "bob", bob.Access.Session, w.clock.Now())
			return err
		},
	} {
		c, cancel := context.WithTimeout(ctx, timeout)
		start := time.Now()
		err := call(c)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("store %s during the stall: %v, want a deadline error", name, err)
		}
		if d := time.Since(start); d > timeout+slack {
			t.Errorf("store %s answered after %v", name, d)
		}
	}

	srv.cont()
	// The clients come back long after the grace window, with the tokens
	// they hold.
	w.clock.Advance(3 * grace)
	for i, p := range users {
		next, err := w.auth.Refresh(ctx, p.RefreshToken)
		if err != nil {
			t.Fatalf("user %d retrying after the stall: %v", i, err)
		}
		if _, err := w.auth.VerifyAccess(ctx, next.AccessToken); err != nil {
			t.Fatalf("user %d after the stall: %v", i, err)
		}
	}
	if n := w.reused.Load(); n != 0 {
		t.Fatalf("%d reuse events after a stall", n)
	}
	// The logout and the revocation sent during the stall were not applied
	// either (they were answered 503): bob logs out now.
	if _, err := w.auth.VerifyAccess(ctx, bob.AccessToken); err != nil {
		t.Fatalf("bob after the stall: %v", err)
	}
	if err := w.auth.Logout(ctx, bob.Access); err != nil {
		t.Fatal(err)
	}
	w.dead("bob", paseto.ErrRevoked, bob)
	w.login("carol")
}

// scriptCalls returns how many scripts (EVAL and EVALSHA) Redis has run.
func scriptCalls(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok || (name != "cmdstat_evalsha" && name != "cmdstat_eval") {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		v, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			t.Fatalf("commandstats line %q: %v", line, err)
		}
		n += v
	}
	return n
}

// waitScriptCalls waits, at most 5 s, until Redis has run at least want
// scripts in all.
func waitScriptCalls(t *testing.T, c *redis.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := scriptCalls(t, c)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis ran %d scripts, want at least %d: the calls never reached it", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEviction runs a small Redis under an evicting policy and fills it
// with another application's keys until the store's keys go: no revoked
// token is ever accepted again, and RevokeSubject never reports success
// while a session of the subject works.
func TestEviction(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "volatile-lru"} {
		t.Run(policy, func(t *testing.T) {
			srv := startOwnServer(t, "--maxmemory", "4mb", "--maxmemory-policy", policy, "--appendonly", "no")
			client := srv.client(t)
			prefix := srv.uniquePrefix(t)
			w := newWorld(t, client, redisstore.Config{Prefix: prefix}, func(c *paseto.Config) { c.GracePeriod = 5 * time.Second })
			var dead []*paseto.TokenPair
			var liveSubjects []string
			liveSessions := map[string][]*paseto.TokenPair{}
			for i := range 10 {
				// Logged out.
				p := w.login(fmt.Sprintf("out-%d", i))
				if err := w.auth.Logout(ctx, p.Access); err != nil {
					t.Fatal(err)
				}
				dead = append(dead, p)
				// Reuse-revoked.
				q := w.login(fmt.Sprintf("reuse-%d", i))
				q2 := w.refresh(q.RefreshToken)
				w.clock.Advance(6 * time.Second)
				if _, err := w.auth.Refresh(ctx, q.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
					t.Fatalf("reuse: %v", err)
				}
				dead = append(dead, q, q2)
				// Subject-revoked.
				sub := fmt.Sprintf("revoked-%d", i)
				r1, r2 := w.login(sub), w.login(sub)
				r3 := w.refresh(r1.RefreshToken)
				if err := w.auth.RevokeSubject(ctx, sub); err != nil {
					t.Fatal(err)
				}
				dead = append(dead, r1, r2, r3)
				// Live, to be revoked while keys are being evicted.
				sub = fmt.Sprintf("live-%d", i)
				liveSessions[sub] = []*paseto.TokenPair{w.refresh(w.login(sub).RefreshToken), w.login(sub)}
				liveSubjects = append(liveSubjects, sub)
			}
			for _, sub := range liveSubjects {
				liveSessions[sub] = append(liveSessions[sub], w.login(sub))
			}
			reuseBefore := w.reused.Load()
			w.dead("before eviction", paseto.ErrRevoked, dead...)
			ours := len(keysOf(t, client, prefix))

			// checkNext takes the next live subject, while the store's
			// keys are partly gone: every session that is accepted is
			// listed, and once "log out everywhere" reports success, none
			// works. It reports whether a session was still accepted, so
			// that the checks are known to have met a live session.
			next := 0
			checkNext := func(when string) bool {
				if next == len(liveSubjects) {
					return false
				}
				sub := liveSubjects[next]
				next++
				accepted := false
				listed, listErr := w.auth.ListSessions(ctx, sub, "")
				for _, p := range liveSessions[sub] {
					if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
						continue
					}
					accepted = true
					if listErr == nil && !slices.ContainsFunc(listed, func(s paseto.SessionInfo) bool { return s.ID == p.Access.Session }) {
						t.Fatalf("%s: %s: session %s is accepted but not listed", when, sub, p.Access.Session)
					}
				}
				if err := w.auth.RevokeSubject(ctx, sub); err == nil {
					w.dead(when+": after RevokeSubject("+sub+")", nil, liveSessions[sub]...)
				}
				return accepted
			}

			// Another application's keys, 4 KiB each, with TTLs (which
			// volatile-* needs to evict them), 25 at a time in a bounded
			// loop, so that the checks run while some of the store's keys
			// are gone and others are not.
			value := strings.Repeat("x", 4096)
			deadline := time.Now().Add(60 * time.Second)
			left, checked := ours, 0
			for round := 0; round < 400 && left > 0 && time.Now().Before(deadline); round++ {
				pipe := client.Pipeline()
				for i := range 25 {
					pipe.Set(ctx, fmt.Sprintf("other-app:%d:%d", round, i), value, time.Hour)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatalf("filling: %v", err)
				}
				// Checked in every round that took some of the store's
				// keys, with the rest still there.
				now := len(keysOf(t, client, prefix))
				if now < left {
					w.dead(fmt.Sprintf("round %d", round), nil, dead...)
					if checkNext(fmt.Sprintf("round %d", round)) {
						checked++
					}
				}
				left = now
			}
			t.Logf("%s: %d of the store's %d keys evicted; %d subjects with a live session checked during the eviction", policy, ours-left, ours, checked)
			if left == ours {
				t.Fatal("nothing of the store's was evicted: the test proves nothing")
			}
			if checked == 0 {
				t.Fatal("no subject with a live session was checked while keys were being evicted: the test proves nothing")
			}
			w.dead("after eviction", nil, dead...)
			if n := w.reused.Load() - reuseBefore; n != 0 {
				t.Fatalf("%d reuse events for tokens of ended sessions", n)
			}
			for next < len(liveSubjects) {
				checkNext("after eviction")
			}
			// And the store still works for new logins.
			p := w.login("newcomer")
			if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEvictionOfIndex: under an evicting policy Redis may drop a
// subject's index before its session hashes. Every session of the subject
// then ends and is no longer listed, and none comes back when the subject
// logs in again (into a new index, without them); for every subject, each
// session that is accepted is listed. Half the subjects' indexes are made
// the least recently used keys (RESTORE with IDLETIME), so that they go
// first.
func TestEvictionOfIndex(t *testing.T) {
	srv := startOwnServer(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "no")
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	w := newWorld(t, client, redisstore.Config{Prefix: prefix}, nil)
	const subjects = 20
	index := func(sub string) string { return prefix + "{" + tagOf(sub) + "}:i" }
	sessions := map[string][]*paseto.TokenPair{}
	var victims []string
	for i := range subjects {
		sub := fmt.Sprintf("user-%d", i)
		for range 3 {
			sessions[sub] = append(sessions[sub], w.login(sub))
		}
		if i%2 == 0 {
			victims = append(victims, sub)
		}
	}
	for _, sub := range victims {
		v, err := client.Dump(ctx, index(sub)).Result()
		if err != nil {
			t.Fatal(err)
		}
		ttl := client.PTTL(ctx, index(sub)).Val().Milliseconds()
		if err := client.Do(ctx, "RESTORE", index(sub), ttl, v, "REPLACE", "IDLETIME", 1_000_000).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lost := func() (n int) {
		for _, sub := range victims {
			if client.Exists(ctx, index(sub)).Val() == 0 {
				n++
			}
		}
		return n
	}
	value := strings.Repeat("x", 4096)
	deadline := time.Now().Add(30 * time.Second)
	for round := 0; round < 40 && lost() < len(victims) && time.Now().Before(deadline); round++ {
		pipe := client.Pipeline()
		for i := range 50 {
			pipe.Set(ctx, fmt.Sprintf("other-app:%d:%d", round, i), value, time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("filling: %v", err)
		}
	}
	t.Logf("%d of %d victims' indexes evicted", lost(), len(victims))
	if lost() == 0 {
		t.Fatal("no index was evicted: the test proves nothing")
	}
	accepted := 0
	for sub, pairs := range sessions {
		evicted := client.Exists(ctx, index(sub)).Val() == 0
		listed, err := w.auth.ListSessions(ctx, sub, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			_, err := w.auth.VerifyAccess(ctx, p.AccessToken)
			if err == nil && evicted {
				t.Fatalf("%s: a session works without its index", sub)
			}
			if err == nil && !slices.ContainsFunc(listed, func(s paseto.SessionInfo) bool { return s.ID == p.Access.Session }) {
				t.Fatalf("%s: session %s is accepted but not listed", sub, p.Access.Session)
			}
			if err == nil {
				accepted++
			}
		}
		if !evicted {
			continue
		}
		if len(listed) != 0 {
			t.Fatalf("%s: %d sessions listed without an index", sub, len(listed))
		}
		w.dead(sub+" without its index", paseto.ErrRevoked, pairs...)
		// A new login makes a new index: the old sessions stay ended.
		fresh := w.login(sub)
		w.dead(sub+" after a new login", paseto.ErrRevoked, pairs...)
		if l, err := w.auth.ListSessions(ctx, sub, ""); err != nil || len(l) != 1 || l[0].ID != fresh.Access.Session {
			t.Fatalf("%s after a new login: listed %v, %v", sub, l, err)
		}
	}
	t.Logf("%d sessions of the other subjects still accepted, each listed", accepted)
	if n := w.reused.Load(); n != 0 {
		t.Fatalf("%d reuse events", n)
	}
}

// TestFullRedisStillRevokes: under noeviction, a Redis out of memory
// refuses logins (capped or not) and refreshes (503), while verification,
// listing, logout, revoking one session or the others, "log out
// everywhere" and reuse detection keep working: revocation needs no room.
func TestFullRedisStillRevokes(t *testing.T) {
	srv := startOwnServer(t, "--maxmemory-policy", "noeviction", "--appendonly", "no")
	client := srv.client(t)
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	a, b := w.login("alice"), w.login("alice")
	c := w.login("carol")
	d := w.login("dave")
	d2 := w.refresh(d.RefreshToken)
	e1, e2, e3 := w.login("erin"), w.login("erin"), w.login("erin")
	capped := newAuth(t, w.store, w.clock.Now, func(c *paseto.Config) { c.MaxSessions = 5 })
	// Full: maxmemory well below what Redis already uses.
	used, err := strconv.ParseInt(infoValue(t, client, "memory", "used_memory"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used/2, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, "other-app:x", "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM") {
		t.Fatalf("SET into a full Redis: %v, want OOM", err)
	}
	if _, err := w.auth.Login(ctx, "erin", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("login into a full Redis: %v, want ErrStoreUnavailable", err)
	}
	if _, err := capped.Login(ctx, "erin", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("capped login into a full Redis: %v, want ErrStoreUnavailable", err)
	}
	if err := w.auth.RevokeSession(ctx, "erin", e1.Access.Session); err != nil {
		t.Fatalf("RevokeSession in a full Redis: %v", err)
	}
	if n, err := w.auth.RevokeOtherSessions(ctx, "erin", e3.Access.Session); err != nil || n != 1 {
		t.Fatalf("RevokeOtherSessions in a full Redis: %d, %v", n, err)
	}
	w.dead("erin", paseto.ErrRevoked, e1, e2)
	if _, err := w.auth.VerifyAccess(ctx, e3.AccessToken); err != nil {
		t.Fatalf("the kept session in a full Redis: %v", err)
	}
	if l, err := w.auth.ListSessions(ctx, "erin", ""); err != nil || len(l) != 1 {
		t.Fatalf("listing in a full Redis: %v, %v", l, err)
	}
	if _, err := w.auth.VerifyAccess(ctx, a.AccessToken); err != nil {
		t.Fatalf("verify in a full Redis: %v", err)
	}
	if err := w.auth.Logout(ctx, c.Access); err != nil {
		t.Fatalf("logout in a full Redis: %v", err)
	}
	w.dead("logged out", paseto.ErrRevoked, c)
	if err := w.auth.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatalf("RevokeSubject in a full Redis: %v", err)
	}
	w.dead("alice", paseto.ErrRevoked, a, b)
	// dave's first refresh token comes back: reuse, detected and applied.
	if _, err := w.auth.Refresh(ctx, d.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("reuse in a full Redis: %v, want ErrRefreshReused", err)
	}
	w.dead("dave", paseto.ErrRevoked, d2)
}

// TestRestart covers the ways Redis comes back: empty, from an older
// snapshot, and from an append-only file with and without
// LosslessPersistence.
func TestRestart(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		srv := startOwnServer(t)
		w := newWorld(t, fastClient(t, srv), redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
		live := w.login("alice")
		rotated := w.refresh(w.login("alice").RefreshToken)
		out := w.login("bob")
		if err := w.auth.Logout(ctx, out.Access); err != nil {
			t.Fatal(err)
		}
		srv.kill()
		srv.wipe()
		srv.restart()
		w.dead("after an empty restart", paseto.ErrRevoked, live, rotated, out)
		if n := w.reused.Load(); n != 0 {
			t.Fatalf("%d reuse events", n)
		}
		w.refresh(w.login("alice").RefreshToken)
	})

	t.Run("rdb rollback", func(t *testing.T) {
		srv := startOwnServer(t, "--appendonly", "no")
		client := fastClient(t, srv)
		w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, func(c *paseto.Config) { c.GracePeriod = 5 * time.Second })
		out := w.login("alice")
		rotated := w.login("alice")
		untouched := w.login("bob")
		if err := client.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		dump := filepath.Join(srv.dir, "dump.rdb")
		snapshot, err := os.ReadFile(dump)
		if err != nil {
			t.Fatal(err)
		}
		// After the snapshot: a logout and rotations.
		if err := w.auth.Logout(ctx, out.Access); err != nil {
			t.Fatal(err)
		}
		r2 := w.refresh(rotated.RefreshToken)
		w.clock.Advance(time.Minute)
		r3 := w.refresh(r2.RefreshToken)
		srv.kill()
		if err := os.WriteFile(dump, snapshot, 0o600); err != nil {
			t.Fatal(err)
		}
		srv.restart()
		if n := len(keysOf(t, client, "")); n == 0 {
			t.Fatal("the snapshot was not loaded")
		}
		w.dead("logged out before the rollback", paseto.ErrRevoked, out)
		// Every token of the rotated session: the restored record knows
		// only the first, and the later ones are not reuse of it.
		w.dead("rotated after the snapshot", paseto.ErrRevoked, rotated, r2, r3)
		w.dead("untouched", paseto.ErrRevoked, untouched)
		if n := w.reused.Load(); n != 0 {
			t.Fatalf("%d reuse events after a rollback", n)
		}
		w.refresh(w.login("alice").RefreshToken)
	})

	t.Run("aof without LosslessPersistence", func(t *testing.T) {
		srv := startOwnServer(t) // appendfsync always
		w := newWorld(t, fastClient(t, srv), redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
		p := w.refresh(w.login("alice").RefreshToken)
		srv.kill()
		srv.restart()
		w.dead("after a restart", paseto.ErrRevoked, p)
		if n := w.reused.Load(); n != 0 {
			t.Fatalf("%d reuse events", n)
		}
	})

	t.Run("aof with LosslessPersistence", func(t *testing.T) {
		srv := startOwnServer(t) // appendfsync always
		w := newWorld(t, fastClient(t, srv), redisstore.Config{Prefix: srv.uniquePrefix(t), LosslessPersistence: true}, nil)
		first := w.login("alice")
		p := w.refresh(first.RefreshToken)
		out := w.login("alice")
		if err := w.auth.Logout(ctx, out.Access); err != nil {
			t.Fatal(err)
		}
		srv.kill()
		srv.restart()
		// The first command may meet the dead connection.
		var err error
		for range 3 {
			if _, err = w.auth.VerifyAccess(ctx, p.AccessToken); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("session after a lossless restart: %v", err)
		}
		w.clock.Advance(time.Minute)
		p2 := w.refresh(p.RefreshToken)
		if _, err := w.auth.VerifyAccess(ctx, p2.AccessToken); err != nil {
			t.Fatal(err)
		}
		w.dead("logged out", paseto.ErrRevoked, out)
		// The rotation history survived too: the first token is spent.
		if _, err := w.auth.Refresh(ctx, first.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
			t.Fatalf("spent refresh token after restart: %v, want ErrRefreshReused", err)
		}
	})
}

// infoValue reads one field of an INFO section.
func infoValue(t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	info, err := c.Info(ctx, section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// logRecorder keeps the messages logged to it.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

// TestConfigurationWarnings: first contact (or Check) logs one warning for
// an evicting policy and, with LosslessPersistence, for persistence that
// can lose writes; a server that refuses INFO is said once, and fails
// closed unless LosslessPersistence.
func TestConfigurationWarnings(t *testing.T) {
	srv := startOwnServer(t, "--maxmemory-policy", "allkeys-lru", "--appendfsync", "everysec")

	rec := &logRecorder{}
	store := newStore(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Logger: slog.New(rec)})
	for range 3 {
		if _, err := store.SessionLive(ctx, "alice", "sid", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if rec.count("maxmemory-policy") != 1 || rec.count("appendfsync") != 0 {
		t.Fatalf("lazy first contact logged %q", rec.msgs)
	}

	rec = &logRecorder{}
	store = newStore(t, srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Logger: slog.New(rec), LosslessPersistence: true})
	if err := store.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SessionLive(ctx, "alice", "sid", time.Now()); err != nil {
		t.Fatal(err)
	}
	if rec.count("maxmemory-policy") != 1 || rec.count("appendfsync is not always") != 1 {
		t.Fatalf("Check with LosslessPersistence logged %q", rec.msgs)
	}

	// A user without INFO (as on some managed services).
	admin := srv.client(t)
	if err := admin.Do(ctx, "ACL", "SETUSER", "limited", "on", ">secret", "~*", "+@all", "-info").Err(); err != nil {
		t.Fatal(err)
	}
	limited := func(o *redis.Options) { o.Username, o.Password = "limited", "secret" }
	rec = &logRecorder{}
	store = newStore(t, srv.client(t, limited), redisstore.Config{Prefix: srv.uniquePrefix(t), Logger: slog.New(rec)})
	if err := store.Check(ctx); err == nil {
		t.Fatal("Check without INFO succeeded")
	}
	for range 3 {
		if _, err := store.SessionLive(ctx, "alice", "sid", time.Now()); err == nil {
			t.Fatal("SessionLive without INFO succeeded: it must fail closed")
		}
		if _, err := store.CreateSession(ctx, paseto.SessionRecord{ID: "sid", Subject: "alice", Current: "h", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err == nil {
			t.Fatal("CreateSession without INFO succeeded")
		}
	}
	if rec.count("refused INFO") != 1 {
		t.Fatalf("INFO refusal logged %q, want once", rec.msgs)
	}
	rec = &logRecorder{}
	store = newStore(t, srv.client(t, limited), redisstore.Config{Prefix: srv.uniquePrefix(t), Logger: slog.New(rec), LosslessPersistence: true})
	w := newWorld(t, srv.client(t, limited), redisstore.Config{Prefix: srv.uniquePrefix(t), Logger: slog.New(rec), LosslessPersistence: true}, nil)
	w.refresh(w.login("alice").RefreshToken)
	if err := store.Check(ctx); err == nil {
		t.Fatal("Check without INFO succeeded")
	}
	if rec.count("refused INFO") != 2 { // once per store
		t.Fatalf("INFO refusal logged %q", rec.msgs)
	}
}
