package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
)

// The tests run a PostgreSQL cluster of their own, one per test binary:
// initdb into a temporary directory, postgres on a free loopback port (its
// unix socket in that directory too), stopped when the tests end. The
// server binaries are looked up on PATH, then under
// /usr/lib/postgresql/*/bin (where Debian's postgresql package puts them);
// without them every test that needs a server skips, saying so. initdb
// refuses to run as root, so as root the cluster runs as the user
// "postgres" (which Debian's package creates) or, failing that, "nobody".

// pg is the test binary's cluster; nil when none could be started
// (skipReason says why).
var (
	pg         *cluster
	skipReason string
)

// cluster is one throwaway PostgreSQL.
type cluster struct {
	bin, dir, data, port string
	cred                 *syscall.Credential // nil unless running as root
	dbs                  atomic.Int64
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

// findBin returns the directory holding initdb, pg_ctl and postgres.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { // newest major version first
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb not found on PATH nor under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

func startCluster() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	sweepStale(bin)
	dir, err := os.MkdirTemp(baseDir(), "pgstore-test-")
	if err != nil {
		return nil, err
	}
	// The test binary that owns the cluster, for sweepStale.
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		var u *user.User
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if u == nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no user postgres or nobody to run the server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		c.port = freePort()
		if err = c.start(); err == nil {
			break
		}
		if attempt == 2 {
			c.destroy()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pgxpool.New(ctx, c.url("postgres"))
	if err != nil {
		c.destroy()
		return nil, err
	}
	defer p.Close()
	if _, err := p.Exec(ctx, "CREATE DATABASE pgstore_test"); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

// baseDir is where clusters go: the temporary directory, except as root,
// where the server runs as another user who may not reach a TMPDIR under
// root's home: then /tmp.
func baseDir() string {
	if os.Geteuid() == 0 {
		return "/tmp"
	}
	return os.TempDir()
}

// sweepStale stops and removes the clusters of earlier runs of these tests
// whose test binary died without stopping them (a -timeout panic, a
// SIGKILL): those whose owner file names a process that no longer exists.
func sweepStale(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(baseDir(), "pgstore-test-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // owner alive (or unknowable): not ours to stop
		}
		st, err := os.Stat(dir)
		if err != nil {
			continue
		}
		c := &cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
			c.cred = &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}
		}
		c.destroy()
	}
}

// run runs one of the server's programs as the cluster's user.
func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// options are the server's settings: loopback only, the socket in the
// temporary directory, no fsync (unless PASETOAUTH_PG_FSYNC=on: the
// benchmarks' figures in docs/ are measured with it) since the tests stop
// the server cleanly.
func (c *cluster) options() string {
	fsync := "off"
	if os.Getenv("PASETOAUTH_PG_FSYNC") == "on" {
		fsync = "on"
	}
	return fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=%s -c max_connections=200 -c shared_buffers=32MB",
		c.port, c.dir, fsync)
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	out, err := c.run("pg_ctl", "start", "-w", "-t", "30", "-D", c.data, "-l", filepath.Join(c.dir, "log"), "-o", c.options())
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s%s", err, out, c.log())
	}
	return nil
}

// stop stops the server (fast: sessions are disconnected, the data is
// written out).
func (c *cluster) stop(tb testing.TB) {
	tb.Helper()
	if out, err := c.run("pg_ctl", "stop", "-w", "-t", "30", "-m", "fast", "-D", c.data); err != nil {
		tb.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (c *cluster) startT(tb testing.TB) {
	tb.Helper()
	if err := c.start(); err != nil {
		tb.Fatal(err)
	}
}

func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// postmasterPID reads the server's process ID from postmaster.pid.
func (c *cluster) postmasterPID(tb testing.TB) int {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		tb.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		tb.Fatal(err)
	}
	return pid
}

func (c *cluster) destroy() {
	_, _ = c.run("pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", c.data)
	_ = os.RemoveAll(c.dir)
}

// url is the connection URL of database db, over TCP on loopback.
func (c *cluster) url(db string) string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/" + db + "?sslmode=disable&connect_timeout=5"
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// newDatabase creates a database of its own for a test that changes
// database-wide settings, and returns its name.
func (c *cluster) newDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("pgstore_db%d", c.dbs.Add(1))
	admin := c.pool(tb, "postgres")
	if _, err := admin.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
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
	s, err := pgstore.New(p, pgstore.Options{Prefix: prefix, Clock: now})
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
	t, err := pgstore.New(p, pgstore.Options{Prefix: prefixOf(s), Clock: now})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
