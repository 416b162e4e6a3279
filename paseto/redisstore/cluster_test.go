package redisstore_test

import (
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
	a, b := "pasetoauth:{"+tagOf("alice")+"}:g", "pasetoauth:{"+tagOf("bob")+"}:g"
	if slot(a) == slot(b) {
		t.Fatal("test subjects share a slot; pick others")
	}
	if err := probe.Do(ctx, "MGET", a, b).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("cross-slot MGET on the cluster node: %v, want CROSSSLOT", err)
	}

	storetest.Run(t, harness(srv, func(t *testing.T) redis.UniversalClient { return srv.clusterClient(t) }, true))

	// Check reads every master's configuration.
	store := newStore(t, srv.clusterClient(t), redisstore.Options{Prefix: srv.uniquePrefix(t), LosslessPersistence: true})
	if err := store.Check(ctx); err != nil {
		t.Fatal(err)
	}

	// RevokeSubject with several sessions, one of them logged out.
	clock := storetest.NewClock(time.Now())
	store = newStore(t, srv.clusterClient(t), redisstore.Options{Prefix: srv.uniquePrefix(t), Clock: clock.Now, LosslessPersistence: true})
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
