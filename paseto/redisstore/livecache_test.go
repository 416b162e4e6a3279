package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The live cache (Config.LiveCache) is tested against a real
// redis-server: a revocation on one Store reaches another, and every way
// of losing the invalidation channel turns the cache off. Nothing here
// asserts a duration: waits for something asynchronous (an invalidation
// arriving, a lost channel noticed) poll with a generous bound.

// pipeHook counts the pipelines a client sends: SessionLive's lookup is
// one, and nothing else the store does is a pipeline on this client.
type pipeHook struct{ n atomic.Int64 }

func (h *pipeHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *pipeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *pipeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// cachedStore is a Store with a live cache of ttl, closed at the end of
// the test, on a client of its own (a separate instance), whose
// pipelines hook counts.
func cachedStore(t *testing.T, srv *server, prefix string, ttl time.Duration) (*redisstore.Store, *pipeHook) {
	t.Helper()
	c := srv.client(t, func(o *redis.Options) { o.MaxRetries = -1 })
	hook := &pipeHook{}
	c.AddHook(hook)
	s := newStore(t, c, redisstore.Config{Prefix: prefix, LiveCache: ttl})
	// The identity never ages: a cached answer is then used until it is
	// invalidated (or its ttl ends), not only for a second.
	redisstore.SetIdentityClock(s, storetest.NewClock(time.Now()).Now)
	t.Cleanup(func() { _ = s.Close() })
	return s, hook
}

// waitFor polls cond every millisecond for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// warm waits until s's cache is usable and holds subject's session sid.
func warm(t *testing.T, s *redisstore.Store, hook *pipeHook, subject, sid string) {
	t.Helper()
	waitFor(t, "the live cache to answer", func() bool {
		if _, err := s.SessionLive(ctx, subject, sid, time.Now()); err != nil {
			t.Fatal(err)
		}
		before := hook.n.Load()
		live, err := s.SessionLive(ctx, subject, sid, time.Now())
		if err != nil || !live {
			t.Fatalf("SessionLive = %v, %v; want live", live, err)
		}
		return hook.n.Load() == before
	})
}

// login creates a session through a's own store and returns its sid.
func login(t *testing.T, a *paseto.Auth, subject string) (sid, access string) {
	t.Helper()
	p, err := a.Login(ctx, subject, paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.VerifyAccess(ctx, p.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return c.Session, p.AccessToken
}

func TestLiveCacheAnswersFromMemory(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	b, hook := cachedStore(t, srv, prefix, time.Second)
	a := newAuth(t, b, time.Now, nil)
	sid, _ := login(t, a, "alice")
	warm(t, b, hook, "alice", sid)
	before := hook.n.Load()
	for range 100 {
		if live, err := b.SessionLive(ctx, "alice", sid, time.Now()); err != nil || !live {
			t.Fatalf("SessionLive = %v, %v; want live", live, err)
		}
	}
	if n := hook.n.Load() - before; n > 1 {
		t.Fatalf("100 checks of a cached session asked Redis %d times", n)
	}
	// Another subject, and a session that does not exist, are not live
	// from the cache.
	for _, c := range []struct{ subject, sid string }{{"bob", sid}, {"alice", "nope"}} {
		if live, err := b.SessionLive(ctx, c.subject, c.sid, time.Now()); err != nil || live {
			t.Fatalf("SessionLive(%q, %q) = %v, %v; want not live", c.subject, c.sid, live, err)
		}
	}
	// The session's own end applies to a cached answer.
	if live, err := b.SessionLive(ctx, "alice", sid, time.Now().Add(365*24*time.Hour)); err != nil || live {
		t.Fatalf("SessionLive after the session's end = %v, %v; want not live", live, err)
	}
}

func TestLiveCacheLocalRevocationIsImmediate(t *testing.T) {
	srv := startServer(t)
	b, hook := cachedStore(t, srv, srv.uniquePrefix(t), time.Second)
	a := newAuth(t, b, time.Now, nil)
	for _, c := range []struct {
		name   string
		revoke func(subject, sid string) error
	}{
		{"RevokeSession", func(subject, sid string) error {
			_, err := b.RevokeSession(ctx, subject, sid, time.Now())
			return err
		}},
		{"RevokeOtherSessions", func(subject, _ string) error {
			_, err := b.RevokeOtherSessions(ctx, subject, "", time.Now())
			return err
		}},
		{"RevokeSubject", func(subject, _ string) error { return b.RevokeSubject(ctx, subject) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			subject := "local-" + c.name
			sid, _ := login(t, a, subject)
			warm(t, b, hook, subject, sid)
			if err := c.revoke(subject, sid); err != nil {
				t.Fatal(err)
			}
			if live, err := b.SessionLive(ctx, subject, sid, time.Now()); err != nil || live {
				t.Fatalf("right after %s on the same Store: SessionLive = %v, %v; want not live", c.name, live, err)
			}
		})
	}
	t.Run("reuse", func(t *testing.T) {
		p, err := a.Login(ctx, "local-reuse", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		claims, _ := a.VerifyAccess(ctx, p.AccessToken)
		warm(t, b, hook, "local-reuse", claims.Session)
		if _, err := a.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
			t.Fatalf("second refresh: %v, want reuse", err)
		}
		if live, err := b.SessionLive(ctx, "local-reuse", claims.Session, time.Now()); err != nil || live {
			t.Fatalf("right after reuse: SessionLive = %v, %v; want not live", live, err)
		}
	})
}

// TestLiveCacheRevocationReachesOtherStores: a revocation through Store A
// (which has no cache) is refused by Store B, whose cache held the
// session, once the invalidation has arrived; and B asks Redis again.
func TestLiveCacheRevocationReachesOtherStores(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	storeA := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix})
	b, hook := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	a := newAuth(t, storeA, time.Now, nil)
	for _, c := range []struct {
		name   string
		revoke func(subject, sid string) error
	}{
		{"RevokeSession", func(subject, sid string) error {
			_, err := storeA.RevokeSession(ctx, subject, sid, time.Now())
			return err
		}},
		{"RevokeOtherSessions", func(subject, _ string) error {
			_, err := storeA.RevokeOtherSessions(ctx, subject, "", time.Now())
			return err
		}},
		{"RevokeSubject", func(subject, _ string) error { return storeA.RevokeSubject(ctx, subject) }},
		{"session cap", func(subject, _ string) error {
			_, err := storeA.CreateSession(ctx, paseto.SessionRecord{ID: "newer", Subject: subject, Current: "h",
				CreatedAt: time.Now().Add(time.Minute), ExpiresAt: time.Now().Add(time.Hour), MaxSessions: 1})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			subject := "remote-" + c.name
			sid, _ := login(t, a, subject)
			warm(t, b, hook, subject, sid)
			if err := c.revoke(subject, sid); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the revocation to reach the other Store", func() bool {
				live, err := b.SessionLive(ctx, subject, sid, time.Now())
				return err == nil && !live
			})
			// Not live from then on: the refusal is never cached, and the
			// answer cached before is gone.
			for range 20 {
				if live, err := b.SessionLive(ctx, subject, sid, time.Now()); err != nil || live {
					t.Fatalf("after the revocation: SessionLive = %v, %v", live, err)
				}
			}
		})
	}
}

// TestLiveCacheSignOutOthersAfterIndexLost: the subject's index went
// without a script (evicted under maxmemory, deleted by hand), so nothing
// was published, and Store B still holds the session live. "Sign out the
// others" through Store A finds no index and ends nothing, but still
// publishes: B refuses the session once the message arrives, not only when
// its cached answer ages out.
func TestLiveCacheSignOutOthersAfterIndexLost(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	admin := srv.client(t)
	storeA := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix})
	b, hook := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	a := newAuth(t, storeA, time.Now, nil)
	sid, _ := login(t, a, "alice")
	warm(t, b, hook, "alice", sid)
	if n, err := admin.Del(ctx, prefix+"{"+tagOf("alice")+"}:i").Result(); err != nil || n != 1 {
		t.Fatalf("deleting the index: %v, %v", n, err)
	}
	// Counted, not timed: on a busy machine B's cache may also turn off
	// for a late PONG, which would hide the missing message.
	before := redisstore.LiveCacheMessages(b)
	if _, err := storeA.RevokeOtherSessions(ctx, "alice", "another-sid", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sign out the others to publish an invalidation", func() bool {
		return redisstore.LiveCacheMessages(b) > before
	})
	if live, err := b.SessionLive(ctx, "alice", sid, time.Now()); err != nil || live {
		t.Fatalf("after sign out the others: SessionLive = %v, %v; want not live", live, err)
	}
}

// TestLiveCacheAfterSuspend: the monotonic clock stands still while the
// machine sleeps (suspend to RAM, hibernation); the wall clock does not.
// A Store waking from a sleep longer than InvalidationBound must not
// answer from what it cached before (the invalidations published while it
// slept are not read yet) until a PING sent after it woke is answered.
func TestLiveCacheAfterSuspend(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	admin := srv.client(t)
	b, hook := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	a := newAuth(t, b, time.Now, nil)
	sid, _ := login(t, a, "alice")
	warm(t, b, hook, "alice", sid)
	// Gone while the machine slept; what would have told B is not read.
	if n, err := admin.Del(ctx, prefix+"{"+tagOf("alice")+"}:i").Result(); err != nil || n != 1 {
		t.Fatalf("deleting the index: %v, %v", n, err)
	}
	redisstore.SkewLiveCacheWall(b, time.Hour)
	if live, err := b.SessionLive(ctx, "alice", sid, time.Now()); err != nil || live {
		t.Fatalf("right after waking: SessionLive = %v, %v; want not live (asked Redis)", live, err)
	}
	sid2, _ := login(t, a, "bob")
	warm(t, b, hook, "bob", sid2) // confirmed again, by a PING sent after waking
}

// TestLiveCacheOffWhenChannelLost: killing the invalidation connection
// (CLIENT KILL TYPE pubsub) empties the cache and turns it off; it comes
// back once the channel is subscribed again and answers a PING. A
// revocation made while the channel is down is never answered live
// afterwards.
func TestLiveCacheOffWhenChannelLost(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	admin := srv.client(t)
	storeA := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix})
	b, hook := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	a := newAuth(t, storeA, time.Now, nil)
	sid, _ := login(t, a, "alice")
	keep, _ := login(t, a, "bob")
	warm(t, b, hook, "alice", sid)
	warm(t, b, hook, "bob", keep)
	for round := range 3 {
		if err := admin.Do(ctx, "client", "kill", "type", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the lost channel to empty the cache", func() bool {
			return !redisstore.LiveCacheUsable(b) && redisstore.LiveCacheLen(b) == 0
		})
		if round == 0 {
			// Revoked while B's channel may still be down: the message
			// can be lost, the answer cached before must be too.
			if _, err := storeA.RevokeSession(ctx, "alice", sid, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the channel to come back", func() bool { return redisstore.LiveCacheUsable(b) })
		if live, err := b.SessionLive(ctx, "alice", sid, time.Now()); err != nil || live {
			t.Fatalf("round %d: a session revoked while the channel was lost: SessionLive = %v, %v", round, live, err)
		}
		warm(t, b, hook, "bob", keep) // caching again
	}
}

// TestLiveCacheRedisRestartedEmpty: a cached session is refused once
// Redis restarted without its data; no check ever answers it live.
func TestLiveCacheRedisRestartedEmpty(t *testing.T) {
	srv := startOwnServer(t)
	b, hook := cachedStore(t, srv, srv.uniquePrefix(t), redisstore.MaxLiveCache)
	a := newAuth(t, b, time.Now, nil)
	sid, _ := login(t, a, "alice")
	warm(t, b, hook, "alice", sid)
	srv.kill()
	srv.wipe()
	srv.restart()
	deadline := time.Now().Add(3 * time.Second)
	sawRedis := false
	for time.Now().Before(deadline) {
		live, err := b.SessionLive(ctx, "alice", sid, time.Now())
		if live {
			t.Fatalf("a session of the Redis that was lost answered live (err %v)", err)
		}
		if err == nil && redisstore.LiveCacheUsable(b) {
			sawRedis = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !sawRedis {
		t.Fatal("the store never answered from the restarted Redis with its cache back on")
	}
}

// TestLiveCacheStall: Redis frozen (SIGSTOP) stops the PONGs, so the
// cache turns off and empties, and the checks fail (503) rather than
// answer from memory. After SIGCONT the cache comes back.
func TestLiveCacheStall(t *testing.T) {
	srv := startOwnServer(t)
	b, hook := cachedStore(t, srv, srv.uniquePrefix(t), redisstore.MaxLiveCache)
	a := newAuth(t, b, time.Now, nil)
	sid, _ := login(t, a, "alice")
	warm(t, b, hook, "alice", sid)
	srv.stop()
	waitFor(t, "the stalled channel to empty the cache", func() bool {
		return !redisstore.LiveCacheUsable(b) && redisstore.LiveCacheLen(b) == 0
	})
	var errs []error
	for range 3 {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		live, err := b.SessionLive(cctx, "alice", sid, time.Now())
		cancel()
		if live {
			t.Fatal("a stalled Redis's session answered live from the cache")
		}
		errs = append(errs, err)
	}
	if slices.Contains(errs, nil) {
		t.Fatalf("checks against a stalled Redis: %v, want errors", errs)
	}
	srv.cont()
	warm(t, b, hook, "alice", sid)
}

func TestLiveCacheOptions(t *testing.T) {
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer good.Close()
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	defer cluster.Close()
	for _, c := range []struct {
		name   string
		client redis.UniversalClient
		opts   redisstore.Config
	}{
		{"negative", good, redisstore.Config{LiveCache: -time.Second}},
		{"over the maximum", good, redisstore.Config{LiveCache: redisstore.MaxLiveCache + 1}},
		{"cluster", cluster, redisstore.Config{LiveCache: time.Second, LosslessPersistence: true}},
	} {
		if _, err := redisstore.New(c.client, c.opts); !errors.Is(err, paseto.ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", c.name, err)
		}
	}
}

// TestLiveCacheNeverLiveAfterRefusal: goroutines check 20 sessions on B
// (cached) while A revokes them one by one. Once B has refused a session,
// no check of it that starts afterwards answers live: no answer read
// before the revocation is cached after it.
func TestLiveCacheNeverLiveAfterRefusal(t *testing.T) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	storeA := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix})
	b, hook := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	const n = 20
	sids := make([]string, n)
	refusedAt := make([]atomic.Int64, n)
	now := time.Now()
	for i := range sids {
		sids[i] = fmt.Sprintf("s%02d", i)
		subject := fmt.Sprintf("user-%02d", i%4) // several sessions per subject
		if _, err := storeA.CreateSession(ctx, paseto.SessionRecord{ID: sids[i], Subject: subject, Current: "h" + sids[i],
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		warm(t, b, hook, subject, sids[i])
	}
	subjectOf := func(i int) string { return fmt.Sprintf("user-%02d", i%4) }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Value
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := g; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				i := k % n
				start := time.Now().UnixNano()
				live, err := b.SessionLive(ctx, subjectOf(i), sids[i], time.Now())
				if err != nil {
					bad.Store(err.Error())
					return
				}
				if !live {
					refusedAt[i].CompareAndSwap(0, time.Now().UnixNano())
				} else if r := refusedAt[i].Load(); r != 0 && start > r {
					bad.Store(fmt.Sprintf("session %s answered live after a refusal", sids[i]))
				}
			}
		}()
	}
	for i := range sids {
		if _, err := storeA.RevokeSession(ctx, subjectOf(i), sids[i], time.Now()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to refuse "+sids[i], func() bool { return refusedAt[i].Load() != 0 })
	}
	close(stop)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
}

// TestLiveCacheNoLateInsert: B reads a session live from Redis, but
// before it caches the answer, A revokes the session and B receives the
// invalidation. The answer read before the revocation is not cached: B's
// next check asks Redis and refuses.
func TestLiveCacheNoLateInsert(t *testing.T) {
	t.Run("invalidation", func(t *testing.T) { testNoLateInsert(t, false) })
	t.Run("channel lost", func(t *testing.T) { testNoLateInsert(t, true) })
}

// testNoLateInsert is TestLiveCacheNoLateInsert; with lost, B's channel
// is killed (CLIENT KILL) before the revocation, whose invalidation it may
// then miss, and the answer is released once the channel is back.
func testNoLateInsert(t *testing.T, lost bool) {
	srv := startServer(t)
	prefix := srv.uniquePrefix(t)
	storeA := newStore(t, srv.client(t), redisstore.Config{Prefix: prefix})
	b, _ := cachedStore(t, srv, prefix, redisstore.MaxLiveCache)
	waitFor(t, "the live cache to be usable", func() bool { return redisstore.LiveCacheUsable(b) })
	now := time.Now()
	if _, err := storeA.CreateSession(ctx, paseto.SessionRecord{ID: "s1", Subject: "alice", Current: "h1",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	read, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	redisstore.SetBeforePut(b, func() {
		once.Do(func() {
			close(read)
			<-resume
		})
	})
	first := make(chan error, 1)
	go func() {
		live, err := b.SessionLive(ctx, "alice", "s1", time.Now())
		if err == nil && !live {
			err = errors.New("not live before the revocation")
		}
		first <- err
	}()
	<-read // B has read "live" from Redis, and not cached it yet
	msgs := redisstore.LiveCacheMessages(b)
	if lost {
		if err := srv.client(t).Do(ctx, "client", "kill", "type", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "B to notice", func() bool { return !redisstore.LiveCacheUsable(b) })
	}
	if _, err := storeA.RevokeSession(ctx, "alice", "s1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if lost {
		waitFor(t, "B's channel to come back", func() bool { return redisstore.LiveCacheUsable(b) })
	} else {
		waitFor(t, "the invalidation to reach B", func() bool { return redisstore.LiveCacheMessages(b) > msgs })
	}
	close(resume)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if live, err := b.SessionLive(ctx, "alice", "s1", time.Now()); err != nil || live {
		t.Fatalf("after the revocation: SessionLive = %v, %v; an answer read before it was cached", live, err)
	}
}
