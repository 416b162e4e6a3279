package pgcluster

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// start starts a cluster destroyed when the test ends, or skips.
func start(t *testing.T) *Cluster {
	t.Helper()
	c, err := Start(Config{MaxConnections: 20})
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Destroy)
	return c
}

// query returns the one value of sql on database db, or the error.
func query(c *Cluster, db, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL(db))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var v string
	err = conn.QueryRow(ctx, sql).Scan(&v)
	return v, err
}

func exec1(t *testing.T, c *Cluster, db, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

// TestLifecycle: databases of their own, data that survives Stop and
// Restart on the same URL, no server while stopped, and nothing left
// after Destroy.
func TestLifecycle(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	a, err := c.NewDatabase(ctx, "t_")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.NewDatabase(ctx, "t_")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("NewDatabase returned %q twice", a)
	}
	exec1(t, c, a, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')")
	if _, err := query(c, b, "SELECT v FROM kept"); err == nil {
		t.Fatalf("database %s sees the table of %s", b, a)
	}
	pid, err := c.PostmasterPID()
	if err != nil || pid <= 0 {
		t.Fatalf("PostmasterPID() = %d, %v", pid, err)
	}
	if err := c.CreateDatabase(ctx, a); err == nil {
		t.Fatalf("CreateDatabase(%q) again: no error", a)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := query(c, a, "SELECT 'up'"); err == nil {
		t.Fatal("the stopped server answered")
	}
	if _, err := c.PostmasterPID(); err == nil {
		t.Fatal("PostmasterPID of a stopped server: no error")
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if v, err := query(c, a, "SELECT v FROM kept"); err != nil || v != "before the restart" {
		t.Fatalf("after Restart: %q, %v; want the row written before", v, err)
	}
	if v, err := query(c, "postgres", "SHOW listen_addresses"); err != nil || v != "127.0.0.1" {
		t.Fatalf("listen_addresses %q, %v; want 127.0.0.1 only", v, err)
	}
	if v, err := query(c, "postgres", "SHOW max_connections"); err != nil || v != "20" {
		t.Fatalf("max_connections %q, %v; want Config.MaxConnections, 20", v, err)
	}

	c.Destroy()
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Destroy left %s: %v", c.dir, err)
	}
	if _, err := query(c, a, "SELECT 'up'"); err == nil {
		t.Fatal("the destroyed server answered")
	}
}

// TestSweepStale: Start stops and removes the cluster of a process that
// no longer exists, and leaves a live process's cluster alone.
func TestSweepStale(t *testing.T) {
	live, stale := start(t), start(t)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid // exited and reaped
	if err := os.WriteFile(filepath.Join(stale.dir, "owner"), []byte(strconv.Itoa(dead)), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t) // sweeps
	if _, err := os.Stat(stale.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stale cluster's %s is still there: %v", stale.dir, err)
	}
	if _, err := query(stale, "postgres", "SELECT 'up'"); err == nil {
		t.Fatal("the stale cluster's server still answers")
	}
	if v, err := query(live, "postgres", "SELECT 'up'"); err != nil || v != "up" {
		t.Fatalf("the live process's cluster: %q, %v; want it untouched", v, err)
	}
}
