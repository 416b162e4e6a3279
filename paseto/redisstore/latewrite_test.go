package redisstore_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// TestLateRotationRefused puts a slow link between the store and Redis: a
// proxy on 127.0.0.1 that, once slowed, forwards each command a second
// late and keeps its connection to Redis open after the client has given
// up, as a proxy or a congested network path does. The callers get 503 at
// their deadline; Redis runs their scripts a second later; the scripts,
// comparing the server's TIME with the deadline they were given, apply
// nothing. The clients retrying with the tokens they hold, long after the
// grace window, keep their sessions. Without the check, each late rotation
// would be applied and each retry taken for reuse.
func TestLateRotationRefused(t *testing.T) {
	srv := startServer(t)
	proxy, client := newSlowClient(t, srv, 8)
	const timeout, lag = 500 * time.Millisecond, time.Second
	const grace = 2 * time.Second
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, func(c *paseto.Config) {
		c.StoreTimeout = timeout
		c.GracePeriod = grace
	})
	users := make([]*paseto.TokenPair, 5)
	for i := range users {
		users[i] = w.refresh(w.login(fmt.Sprintf("late-%d", i)).RefreshToken)
	}
	identityClock(w) // no INFO during the test: each call sends its script
	admin := srv.client(t)
	scriptsBefore := scriptCalls(t, admin)

	proxy.lag.Store(int64(lag))
	var wg sync.WaitGroup
	for i, p := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := w.auth.Refresh(ctx, p.RefreshToken)
			if !errors.Is(err, paseto.ErrStoreUnavailable) {
				t.Errorf("refresh %d on the slow link: %v, want ErrStoreUnavailable", i, err)
			}
			if d := time.Since(start); d > timeout+250*time.Millisecond {
				t.Errorf("refresh %d answered after %v, want within %v", i, d, timeout)
			}
		}()
	}
	wg.Wait()
	// The scripts reach Redis a second late, and run.
	waitScriptCalls(t, admin, scriptsBefore+int64(len(users)))
	proxy.lag.Store(0)

	w.clock.Advance(3 * grace)
	for i, p := range users {
		next, err := w.auth.Refresh(ctx, p.RefreshToken)
		if err != nil {
			t.Fatalf("user %d retrying after its late rotation: %v", i, err)
		}
		if _, err := w.auth.VerifyAccess(ctx, next.AccessToken); err != nil {
			t.Fatalf("user %d after its late rotation: %v", i, err)
		}
	}
	if n := w.reused.Load(); n != 0 {
		t.Fatalf("%d reuse events after late rotations", n)
	}
}

// newSlowClient returns a client that reaches srv through a slowProxy,
// with conns connections already open: each dial counts as a possible
// change of server, after which the store reads INFO again before its
// next call, and such a call would end before its script was sent. The
// connections are dialled here, before the store learns the server's
// identity, by commands that each hold one for 200 ms.
func newSlowClient(t *testing.T, srv *server, conns int) (*slowProxy, *redis.Client) {
	t.Helper()
	proxy := newSlowProxy(t, srv.addr)
	client := redis.NewClient(&redis.Options{Addr: proxy.addr(), DialTimeout: 2 * time.Second, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	var warm sync.WaitGroup
	for range conns {
		warm.Add(1)
		go func() {
			defer warm.Done()
			_ = client.BLPop(ctx, 200*time.Millisecond, "slow-warm-up").Err()
		}()
	}
	warm.Wait()
	if n := client.PoolStats().IdleConns; n < uint32(conns)*5/8 {
		t.Fatalf("the pool holds %d idle connections, want about %d", n, conns)
	}
	return proxy, client
}

// slowProxy forwards TCP connections to a Redis server; while lag is set,
// each chunk a client sends reaches the server lag later. A connection to
// the server stays open until the server's reply has been passed on (or
// could not be), whatever the client did meanwhile.
type slowProxy struct {
	ln  net.Listener
	lag atomic.Int64 // time.Duration
}

func newSlowProxy(t *testing.T, target string) *slowProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{ln: ln}
	// Closing the listener ends the accept loop; each copy ends with its
	// connections, which the clients' Close and the server end.
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.DialTimeout("tcp", target, 2*time.Second)
			if err != nil {
				_ = c.Close()
				continue
			}
			go func() { // server to client; ends when either side closes
				_, _ = io.Copy(c, u)
				_ = c.Close()
				_ = u.Close()
			}()
			go func() { // client to server, late while slowed
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if d := time.Duration(p.lag.Load()); d > 0 {
							time.Sleep(d)
						}
						if _, werr := u.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						// The client is gone; what it sent is delivered, and
						// the server's replies end the other direction.
						_ = u.(*net.TCPConn).CloseWrite()
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *slowProxy) addr() string { return p.ln.Addr().String() }
