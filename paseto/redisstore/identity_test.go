package redisstore_test

import (
	"context"
	"errors"
	"io"
	"net"
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

// The tests here change the server behind a store without the store
// dialling (see the package documentation, Restarts and rollbacks). Each
// times the identity's age with its own fake clock.

// identityClock gives w's store a fake clock for the identity's age.
func identityClock(w *world) *storetest.Clock {
	c := storetest.NewClock(time.Now())
	redisstore.SetIdentityClock(w.store, c.Now)
	return c
}

// waitLink waits until c is a replica whose link to its master is up,
// that is, done with its sync.
func waitLink(t *testing.T, c *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("replication link not up within 10s")
}

// dialCount counts the connections a client dials.
type dialCount struct{ n atomic.Int64 }

func (h *dialCount) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.n.Add(1)
		return next(ctx, network, addr)
	}
}
func (h *dialCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *dialCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestFailback: a master is cut off, its replica promoted (REPLICAOF NO
// ONE), sessions are logged out on the old master, which then rejoins as
// a replica of the promoted one (a full resync: the logouts are lost) and
// is promoted back. Same process, same run_id, older data: its new
// master_replid ends every session it holds, without a reuse event, once
// the identity the store holds is IdentityMaxAge old.
func TestFailback(t *testing.T) {
	// No wait before a diskless sync (Redis 7 waits 5s by default for
	// more replicas).
	m, r := startOwnServer(t, "--repl-diskless-sync-delay", "0"), startOwnServer(t, "--repl-diskless-sync-delay", "0")
	admM, admR := m.client(t), r.client(t)
	if err := admR.ReplicaOf(ctx, "127.0.0.1", m.port).Err(); err != nil {
		t.Fatal(err)
	}
	waitLink(t, admR)

	client := m.client(t)
	w := newWorld(t, client, redisstore.Config{Prefix: m.uniquePrefix(t)}, nil)
	clock := identityClock(w)
	out, revoked := w.login("alice"), w.login("bob")
	live := w.refresh(w.login("carol").RefreshToken)
	if n, err := admM.Wait(ctx, 1, 2*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d, %v", n, err)
	}

	// The partition: the replica is promoted, the old master keeps serving.
	if err := admR.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.auth.Logout(ctx, out.Access); err != nil {
		t.Fatal(err)
	}
	if err := w.auth.RevokeSubject(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	w.dead("before the failback", paseto.ErrRevoked, out, revoked)

	// The old master follows the promoted one, then is promoted back.
	if err := admM.ReplicaOf(ctx, "127.0.0.1", r.port).Err(); err != nil {
		t.Fatal(err)
	}
	waitLink(t, admM)
	if err := admM.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if n := admM.Exists(ctx, keysOf(t, admR, "")...).Val(); n == 0 {
		t.Fatal("the resync brought nothing back: the test proves nothing")
	}

	// Within IdentityMaxAge of the last INFO the store may still hold the
	// old identity (the documented window) and rotate the restored
	// session; whatever it grants then carries the old identity and ends
	// with the window.
	minted, err := w.auth.Refresh(ctx, out.RefreshToken)
	t.Logf("within the window: %v", err)

	clock.Advance(redisstore.IdentityMaxAge + time.Nanosecond)
	if minted != nil {
		w.dead("minted within the window", paseto.ErrRevoked, minted)
	}
	w.dead("logged out before the failback", paseto.ErrRevoked, out)
	w.dead("revoked before the failback", paseto.ErrRevoked, revoked)
	w.dead("live before the failback", paseto.ErrRevoked, live)
	if n := w.reused.Load(); n != 0 {
		t.Fatalf("%d reuse events after a failback", n)
	}
	w.refresh(w.login("alice").RefreshToken)
}

// relay is a TCP relay on loopback that keeps each client connection open
// when its backend goes away, and dials the backend again for the next
// bytes, as connection-pooling proxies do.
type relay struct {
	ln      net.Listener
	backend string
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	closed  bool
}

func newRelay(t *testing.T, backend string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, backend: backend}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil || !r.track(c) {
				return
			}
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		r.mu.Lock()
		r.closed = true
		for _, c := range r.conns {
			_ = c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

// track registers c for closing at the end; false once the relay is
// closed (c is closed then).
func (r *relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		_ = c.Close()
		return false
	}
	r.conns = append(r.conns, c)
	return true
}

// serve copies client bytes to the current backend connection, dialling a
// new one (a bounded number of times) when there is none.
func (r *relay) serve(client net.Conn) {
	defer client.Close()
	var back net.Conn
	gone := make(chan struct{}, 1) // the backend reader has ended
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			if back != nil {
				_ = back.Close()
			}
			return
		}
		select {
		case <-gone:
			back = nil
		default:
		}
		if back == nil {
			b, err := net.DialTimeout("tcp", r.backend, time.Second)
			if err != nil || !r.track(b) {
				return
			}
			back = b
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				_, _ = io.Copy(client, b)
				_ = b.Close()
				gone <- struct{}{}
			}()
		}
		if _, err := back.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestRestartBehindPersistentProxy: Redis restarts from an older snapshot
// behind a proxy that keeps the client's connection open, so the store
// never dials. The logged-out session in the snapshot is refused once the
// identity the store holds is IdentityMaxAge old.
func TestRestartBehindPersistentProxy(t *testing.T) {
	srv := startOwnServer(t, "--appendonly", "no")
	px := newRelay(t, srv.addr)
	dials := &dialCount{}
	client := redis.NewClient(&redis.Options{Addr: px.addr(), PoolSize: 1, ContextTimeoutEnabled: true, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	client.AddHook(dials)
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	clock := identityClock(w)
	out := w.login("alice")
	live := w.login("bob")
	if err := srv.client(t).Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.auth.Logout(ctx, out.Access); err != nil {
		t.Fatal(err)
	}
	w.dead("logged out", paseto.ErrRevoked, out)
	before := dials.n.Load()

	srv.kill()
	srv.restart() // loads the snapshot: alice's session is back
	// Within IdentityMaxAge of the last INFO the store may still trust the
	// old identity (the documented window); what it grants then ends with
	// the window.
	minted, err := w.auth.Refresh(ctx, out.RefreshToken)
	t.Logf("within the window: %v", err)

	clock.Advance(redisstore.IdentityMaxAge + time.Nanosecond)
	if minted != nil {
		w.dead("minted within the window", paseto.ErrRevoked, minted)
	}
	w.dead("logged out before the restart", paseto.ErrRevoked, out)
	w.dead("live before the restart", paseto.ErrRevoked, live)
	if n := dials.n.Load() - before; n != 0 {
		t.Fatalf("the client dialled %d times: the proxy did not keep its connection", n)
	}
	if n := w.reused.Load(); n != 0 {
		t.Fatalf("%d reuse events", n)
	}
	w.refresh(w.login("alice").RefreshToken)
}

// failNext makes the next command named cmd fail with a network error,
// without touching the connection.
type failNext struct {
	cmd  string
	fail atomic.Bool
}

func (h *failNext) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *failNext) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == h.cmd && h.fail.CompareAndSwap(true, false) {
			err := &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (h *failNext) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestNetworkErrorRereadsIdentity: after any command on the client failed
// with a network error, the store reads the identity again before it
// trusts the next answer, however young the identity.
func TestNetworkErrorRereadsIdentity(t *testing.T) {
	srv := startOwnServer(t, "--appendonly", "no")
	px := newRelay(t, srv.addr)
	client := redis.NewClient(&redis.Options{Addr: px.addr(), PoolSize: 1, ContextTimeoutEnabled: true, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	identityClock(w) // never advanced
	fail := &failNext{cmd: "ping"}
	client.AddHook(fail) // inside the store's hook, which sees its errors
	out := w.login("alice")
	if err := srv.client(t).Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.auth.Logout(ctx, out.Access); err != nil {
		t.Fatal(err)
	}
	w.dead("logged out", paseto.ErrRevoked, out)
	srv.kill()
	srv.restart()

	fail.fail.Store(true)
	var opErr *net.OpError
	if err := client.Ping(ctx).Err(); !errors.As(err, &opErr) {
		t.Fatalf("PING: %v, want the injected network error", err)
	}
	w.dead("after a network error", paseto.ErrRevoked, out)
}

// infoCount counts the round trips that carry INFO.
type infoCount struct{ n atomic.Int64 }

func (h *infoCount) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *infoCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "info" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *infoCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "info" {
				h.n.Add(1)
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestIdentityReadOncePerAge: the identity is read again once it is
// IdentityMaxAge old, by one call while concurrent ones wait for it: one
// INFO round trip per IdentityMaxAge per Store, however busy.
func TestIdentityReadOncePerAge(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	infos, dials := &infoCount{}, &dialCount{}
	client.AddHook(infos)
	client.AddHook(dials)
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	clock := identityClock(w)
	p := w.login("alice")
	const rounds, callers, calls = 6, 8, 20
	var base, dialled int64
	for round := range rounds {
		// Round 0 warms the pool up: every connection dialled makes the
		// store read the identity again, once.
		switch {
		case round == 1:
			base, dialled = infos.n.Load(), dials.n.Load()
			fallthrough
		case round%2 == 1:
			clock.Advance(redisstore.IdentityMaxAge + time.Nanosecond)
		case round > 0:
			clock.Advance(redisstore.IdentityMaxAge / 2)
		}
		var wg sync.WaitGroup
		errs := make(chan error, callers*calls)
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range calls {
					if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if round == 0 {
			continue
		}
		// Rounds 1, 3 and 5 start past the age, the others within it. A
		// connection dialled after the warm-up may add one each.
		want := base + int64(1+(round-1)/2)
		extra := dials.n.Load() - dialled
		if n := infos.n.Load(); n < want || n > want+extra {
			t.Fatalf("round %d: %d INFO round trips in all, want %d (+%d for new connections)", round, n, want, extra)
		}
	}
}

// ageDuringCall moves the identity clock past IdentityMaxAge while a
// pipeline (a verification) is in flight, as a reply held up by a proxy
// across a backend restart would arrive.
type ageDuringCall struct {
	clock *storetest.Clock
	armed atomic.Bool
}

func (h *ageDuringCall) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *ageDuringCall) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *ageDuringCall) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if h.armed.CompareAndSwap(true, false) {
			h.clock.Advance(redisstore.IdentityMaxAge + time.Nanosecond)
		}
		return err
	}
}

// TestSlowReplyRereadsIdentity: an identity fresh when a call starts but
// older than IdentityMaxAge when its reply arrives is read again before
// the reply is trusted, so the window after an unnoticed server change is
// IdentityMaxAge, not IdentityMaxAge plus the length of a slow call.
func TestSlowReplyRereadsIdentity(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	infos := &infoCount{}
	client.AddHook(infos)
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, nil)
	clock := identityClock(w)
	aging := &ageDuringCall{clock: clock}
	client.AddHook(aging)
	p := w.login("alice")
	if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	before := infos.n.Load()
	aging.armed.Store(true)
	if _, err := w.auth.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	if got := infos.n.Load() - before; got != 1 {
		t.Fatalf("a reply that outlived the identity's age was trusted after %d INFO reads, want 1", got)
	}
}
