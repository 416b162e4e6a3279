package redisstore_test

import (
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// TestRevokeSubjectOverSlowLink: "log out everywhere" on a link where each
// command reaches Redis 250 ms late, with an 800 ms StoreTimeout (two
// round trips reach Redis about 200 ms before the script's deadline). Ending a
// subject's sessions and deleting their keys must not take more round
// trips than fit: it reads the index, then ends everything in one script
// (two round trips), as it did in one before it deleted the sessions'
// keys. Split into reading the index, ending the listed sessions and then
// deleting the index in a second script (three round trips), the last
// script reached Redis after its deadline and the call failed, leaving
// the subject's index in place.
func TestRevokeSubjectOverSlowLink(t *testing.T) {
	srv := startOwnServer(t)
	proxy, client := newSlowClient(t, srv, 4)
	const timeout, lag = 800 * time.Millisecond, 250 * time.Millisecond
	w := newWorld(t, client, redisstore.Config{Prefix: srv.uniquePrefix(t)}, func(c *paseto.Config) {
		c.StoreTimeout = timeout
		c.GracePeriod = 5 * time.Second
	})
	var pairs []*paseto.TokenPair
	for range 3 {
		pairs = append(pairs, w.refresh(w.login("alice").RefreshToken))
	}
	// The scripts loaded, so that each call is one EVALSHA.
	w.login("warm")
	if err := w.auth.RevokeSubject(ctx, "warm"); err != nil {
		t.Fatal(err)
	}
	identityClock(w) // no INFO during the test

	proxy.lag.Store(int64(lag))
	err := w.auth.RevokeSubject(ctx, "alice")
	proxy.lag.Store(0)
	if err != nil {
		t.Fatalf("RevokeSubject over a link %v slow with a %v deadline: %v", lag, timeout, err)
	}
	w.dead("after RevokeSubject", paseto.ErrRevoked, pairs...)
}
