package redisstore_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
	srv := startOwnServer(t) // scripts are counted server-wide
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
			if d := time.Since(start); d >= lag {
				t.Errorf("refresh %d answered after %v: it waited for the late reply (%v)", i, d, lag)
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
