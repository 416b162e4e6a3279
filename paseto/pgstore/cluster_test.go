package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pasetoauth/pasetoauth/internal/pgcluster"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
)

// The tests run a PostgreSQL cluster of their own, one per test binary,
// started by internal/pgcluster (which says where it finds the server and
// how it runs as root), destroyed when the tests end. Without the server
// binaries every test that needs a server skips, saying so. The server
// runs without fsync unless PASETOAUTH_PG_FSYNC=on: the benchmarks'
// figures in docs/ are measured with it.

// pg is the test binary's cluster; nil when none could be started
// (skipReason says why).
var (
	pg         *cluster
	skipReason string
)

// cluster is one throwaway PostgreSQL.
type cluster struct {
	*pgcluster.Cluster
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	code := func() int {
		c, err := startCluster()
		if err != nil {
			skipReason = err.Error()
		} else {
			pg = c
			defer c.destroy()
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needPG returns the cluster, or skips tb.
func needPG(tb testing.TB) *cluster {
	tb.Helper()
	if pg == nil {
		tb.Skip("no PostgreSQL for the pgstore tests: " + skipReason)
	}
	return pg
}

// startCluster starts the cluster and creates the test database,
// pgstore_test.
func startCluster() (*cluster, error) {
	pc, err := pgcluster.Start(pgcluster.Config{Fsync: os.Getenv("PASETOAUTH_PG_FSYNC") == "on"})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pc.CreateDatabase(ctx, "pgstore_test"); err != nil {
		pc.Destroy()
		return nil, err
	}
	return &cluster{pc}, nil
}

// stop stops the server (fast: sessions are disconnected, the data is
// written out).
func (c *cluster) stop(tb testing.TB) {
	tb.Helper()
	if err := c.Stop(); err != nil {
		tb.Fatal(err)
	}
}

// startT starts the stopped server again.
func (c *cluster) startT(tb testing.TB) {
	tb.Helper()
	if err := c.Restart(); err != nil {
		tb.Fatal(err)
	}
}

func (c *cluster) log() string { return c.Log() }

// postmasterPID reads the server's process ID from postmaster.pid.
func (c *cluster) postmasterPID(tb testing.TB) int {
	tb.Helper()
	pid, err := c.PostmasterPID()
	if err != nil {
		tb.Fatal(err)
	}
	return pid
}

func (c *cluster) destroy() { c.Destroy() }

// url is the connection URL of database db, over TCP on loopback.
func (c *cluster) url(db string) string { return c.URL(db) }

// newDatabase creates a database of its own for a test that changes
// database-wide settings, and returns its name.
func (c *cluster) newDatabase(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := c.NewDatabase(ctx, "pgstore_db")
	if err != nil {
		tb.Fatal(err)
	}
	return name
}

// pool returns a pool on database db, closed when tb ends.
func (c *cluster) pool(tb testing.TB, db string) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(c.url(db))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// prefixes numbers the stores the tests make, each on tables of its own.
var prefixes atomic.Int64

// newStore returns a store on fresh tables (a prefix of its own) in the
// test database, migrated, with its own pool of at most conns connections
// (0: pgxpool's default).
func newStore(tb testing.TB, now func() time.Time, conns int32) *pgstore.Store {
	tb.Helper()
	c := needPG(tb)
	return newStoreOn(tb, c.url("pgstore_test"), fmt.Sprintf("t%d_", prefixes.Add(1)), now, conns)
}

// newStoreOn returns a migrated store with prefix on the database url names.
func newStoreOn(tb testing.TB, url, prefix string, now func() time.Time, conns int32) *pgstore.Store {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	if conns > 0 {
		cfg.MaxConns = conns
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	s, err := pgstore.New(p, pgstore.Config{Prefix: prefix, Clock: now})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	warmUp(tb, s)
	return s
}

// warmUp makes one call of each write on a throwaway subject, then ends
// it: the pool's first connection is dialled and its backend has compiled
// the store's functions before a test's first call, which paseto.Auth
// bounds by one second (Config.StoreTimeout) even on a loaded machine.
func warmUp(tb testing.TB, s *pgstore.Store) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	rec := paseto.SessionRecord{ID: "warm-up", Subject: "warm-up", Current: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Minute), MaxSessions: 1}
	if _, err := s.CreateSession(ctx, rec); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Rotate(ctx, paseto.Rotation{Subject: "warm-up", Session: "warm-up", Presented: "h1", Successor: "h2", Now: now}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.RevokeSession(ctx, "warm-up", "warm-up", now); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.RevokeOtherSessions(ctx, "warm-up", "", now); err != nil {
		tb.Fatal(err)
	}
	if err := s.RevokeSubject(ctx, "warm-up"); err != nil {
		tb.Fatal(err)
	}
}

// twin returns a second store over s's tables through a pool of its own,
// as another application instance would have.
func twin(tb testing.TB, s *pgstore.Store, now func() time.Time) *pgstore.Store {
	tb.Helper()
	cfg := s.Pool().Config()
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	t, err := pgstore.New(p, pgstore.Config{Prefix: prefixOf(s), Clock: now})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
