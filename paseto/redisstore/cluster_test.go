package redisstore_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// startCluster starts a one-node Redis Cluster owning every slot. One node
// is enough to check the cluster rules the store must follow: a cluster
// node refuses any command or script whose keys span several slots
// (CROSSSLOT), even when it owns them all.
func startCluster(t *testing.T) *server {
	t.Helper()
	srv := startOwnServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	c := redis.NewClient(&redis.Options{Addr: srv.addr})
	defer c.Close()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ready: %v %s", err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) clusterClient(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{s.addr}, DialTimeout: 2 * time.Second, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClusterConformance runs the suite through a *redis.ClusterClient
// against a cluster node, which enforces the one-slot rule on every script
// and on SessionLive's pipeline. Redis Cluster requires
// LosslessPersistence; the node runs with appendfsync always.
func TestClusterConformance(t *testing.T) {
	srv := startCluster(t)
	// The check is real: keys of two subjects are refused together.
	probe := srv.clusterClient(t)
	a, b := "pasetoauth:{"+tagOf("alice")+"}:i", "pasetoauth:{"+tagOf("bob")+"}:i"
	if slot(a) == slot(b) {
		t.Fatal("test subjects share a slot; pick others")
	}
	if err := probe.Do(ctx, "MGET", a, b).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("cross-slot MGET on the cluster node: %v, want CROSSSLOT", err)
	}

	storetest.Run(t, harness(srv, func(t *testing.T) redis.UniversalClient { return srv.clusterClient(t) }, true))

	// Check reads every master's configuration.
	store := newStore(t, srv.clusterClient(t), redisstore.Config{Prefix: srv.uniquePrefix(t), LosslessPersistence: true})
	if err := store.Check(ctx); err != nil {
		t.Fatal(err)
	}

	// RevokeSubject with several sessions, one of them logged out.
	clock := storetest.NewClock(time.Now())
	store = newStore(t, srv.clusterClient(t), redisstore.Config{Prefix: srv.uniquePrefix(t), Clock: clock.Now, LosslessPersistence: true})
	auth := newAuth(t, store, clock.Now, nil)
	var pairs []*paseto.TokenPair
	for range 5 {
		p, err := auth.Login(ctx, "carol{1}", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	if err := auth.Logout(ctx, pairs[0].Access); err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeSubject(ctx, "carol{1}"); err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if _, err := auth.VerifyAccess(ctx, p.AccessToken); err == nil {
			t.Fatal("access token valid after RevokeSubject")
		}
	}
}

// TestClusterSessionManagement: listing (ZRANGE, then a pipeline of
// HMGET), revoking one session or the others, and logins under a session
// cap (the two-phase scripts, whose keys are every member's) run on a
// cluster node, which refuses anything spanning slots (CROSSSLOT), through
// two instances.
func TestClusterSessionManagement(t *testing.T) {
	srv := startCluster(t)
	t.Run("shared instances", func(t *testing.T) {
		testSharedInstances(t, srv.clusterClient(t), srv.clusterClient(t),
			redisstore.Config{Prefix: srv.uniquePrefix(t), LosslessPersistence: true})
	})
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("cap refuse=%v", refuse), func(t *testing.T) {
			in := newInstances(t, srv.clusterClient(t), srv.clusterClient(t),
				redisstore.Config{Prefix: srv.uniquePrefix(t), LosslessPersistence: true}, func(c *paseto.Config) {
					c.MaxSessions = 2
					if refuse {
						c.AtMaxSessions = paseto.RefuseNewSession
					}
				})
			const subject = "dave{x}" // braces in the subject never move the tag
			first := in.login(t, 0, subject)
			in.clock.Advance(time.Second)
			second := in.login(t, 1, subject)
			in.clock.Advance(time.Second)
			third, err := in.auths[0].Login(ctx, subject, paseto.LoginOptions{Device: realisticDevice})
			if refuse {
				if !errors.Is(err, paseto.ErrSessionLimit) {
					t.Fatalf("third login: %v, want ErrSessionLimit", err)
				}
				if got, want := in.listed(t, 1, subject), sorted(first, second); !slices.Equal(got, want) {
					t.Fatalf("listed %v, want %v", got, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if acc, ref := in.accepted(1, first); acc || ref {
				t.Fatal("the oldest session outlived the cap")
			}
			if got, want := in.listed(t, 1, subject), sorted(second, third); !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
			if n, err := in.auths[1].RevokeOtherSessions(ctx, subject, third.Access.Session); err != nil || n != 1 {
				t.Fatalf("RevokeOtherSessions: %d, %v", n, err)
			}
			if got, want := in.listed(t, 0, subject), sorted(third); !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
		})
	}
}
