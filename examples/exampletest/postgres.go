package exampletest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/pgcluster"
)

// The PostgreSQL cluster StartPostgres shares among the tests of one test
// binary: started by the first test that needs it, stopped by RunTests
// when the tests end.
var postgres struct {
	sync.Mutex
	main    bool // RunTests is running the tests
	cluster *pgcluster.Cluster
	err     error // why it could not start
}

// RunTests runs the tests of m and returns their exit code, having
// stopped the PostgreSQL cluster [StartPostgres] started, if any. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(exampletest.RunTests(m)) }
//
// A cluster that does not stop cleanly fails the run.
func RunTests(m *testing.M) int {
	postgres.Lock()
	postgres.main = true
	postgres.Unlock()
	code := m.Run()
	postgres.Lock()
	defer postgres.Unlock()
	if c := postgres.cluster; c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "exampletest: stopping the PostgreSQL cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		c.Destroy()
		postgres.cluster = nil
	}
	return code
}

// StartPostgres returns the postgres:// URL of a new, empty database of
// the test's own on a PostgreSQL cluster shared by the test binary's
// tests, started on a free loopback port by the first call and stopped by
// [RunTests] (which TestMain must call). Without PostgreSQL installed the
// test is skipped.
func StartPostgres(t testing.TB) string {
	t.Helper()
	postgres.Lock()
	defer postgres.Unlock()
	if !postgres.main {
		t.Fatal("StartPostgres needs TestMain to run the tests with exampletest.RunTests, which stops the cluster")
	}
	if postgres.cluster == nil && postgres.err == nil {
		postgres.cluster, postgres.err = pgcluster.Start(pgcluster.Config{MaxConnections: 100})
	}
	switch {
	case errors.Is(postgres.err, pgcluster.ErrNotInstalled):
		t.Skipf("%v: skipping the DATABASE_URL=postgres://… test", postgres.err)
	case postgres.err != nil:
		t.Fatalf("starting PostgreSQL: %v", postgres.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.cluster.NewDatabase(ctx, "example_")
	if err != nil {
		t.Fatalf("creating a database: %v\n%s", err, postgres.cluster.Log())
	}
	return postgres.cluster.URL(db)
}

// PostgresRestart checks DATABASE_URL with a PostgreSQL database: the
// server says it uses the PostgreSQL store, and sessions and revocations
// survive a restart of the server on the same database with the same
// keys. A token pair refreshed before the restart refreshes after it, a
// browser session goes on, and a logged-out session stays refused.
func PostgresRestart(t *testing.T, run RunFunc) {
	env := With(LocalKeys(), "DATABASE_URL", StartPostgres(t))
	survivesRestart(t, run, env, "PostgreSQL session store")
}
