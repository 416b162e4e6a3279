// Package pgcluster runs throwaway PostgreSQL clusters for tests: initdb
// into a temporary directory, postgres listening on a free loopback port
// (its unix socket in that directory too), stopped and removed by
// [Cluster.Destroy].
//
// # Finding the server
//
// The server binaries (initdb, pg_ctl, postgres) are looked up on PATH,
// then under /usr/lib/postgresql/*/bin, newest major version first (where
// Debian's postgresql package puts them, off PATH). Without them [Start]
// returns an error wrapping [ErrNotInstalled], for the caller to skip its
// tests with that message.
//
// # Running as root
//
// initdb refuses to run as root, so as root the cluster is owned and run
// by the user "postgres" (which Debian's package creates) or, failing
// that, "nobody", in a directory under /tmp that such a user can reach.
//
// # Stale clusters
//
// Each cluster's directory records the process that started it. [Start]
// first stops and removes the clusters of processes that no longer exist
// (a test binary killed by a -timeout panic or SIGKILL before it could
// destroy its cluster); the clusters of live processes are left alone.
//
// # Settings
//
// The server listens on 127.0.0.1 only, trusts every local connection
// (user postgres, no password), and runs without fsync unless
// [Config.Fsync]: tests stop it cleanly, and lose nothing they need when
// the machine crashes.
package pgcluster

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
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is wrapped by the error of [Start] when no PostgreSQL
// server binaries are found.
var ErrNotInstalled = errors.New("PostgreSQL is not installed: initdb not found on PATH nor under /usr/lib/postgresql/*/bin (apt-get install postgresql)")

// dirPrefix starts the name of every cluster's directory, for the sweep.
const dirPrefix = "pgcluster-"

// commandTimeout bounds each run of initdb or pg_ctl.
const commandTimeout = 60 * time.Second

// Config are the settings of [Start].
type Config struct {
	// Fsync runs the server with fsync on, as in production (for
	// benchmarks whose figures are quoted); off by default.
	Fsync bool
	// MaxConnections is the server's max_connections; 0 means 200.
	MaxConnections int
}

// Cluster is one throwaway PostgreSQL server started by [Start]. Its
// methods may be called from several goroutines, except that [Cluster.Stop],
// [Cluster.Restart] and [Cluster.Destroy] must not run concurrently.
type Cluster struct {
	bin, dir, data, port string
	opts                 Config
	cred                 *syscall.Credential // nil unless running as root
	dbs                  atomic.Int64
}

// Start creates a cluster in a new temporary directory and starts its
// server on a free loopback port, after sweeping stale clusters. It
// returns once the server accepts connections. The caller must call
// [Cluster.Destroy] when done. When PostgreSQL is not installed the error
// wraps [ErrNotInstalled].
func Start(opts Config) (*Cluster, error) {
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 200
	}
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	sweepStale(bin)
	dir, err := os.MkdirTemp(baseDir(), dirPrefix)
	if err != nil {
		return nil, err
	}
	// The process that owns the cluster, for sweepStale.
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), opts: opts}
	if os.Geteuid() == 0 {
		var u *user.User
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if u == nil {
			os.RemoveAll(dir)
			return nil, errors.New("pgcluster: running as root, and no user postgres or nobody to run the server as")
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
		return nil, fmt.Errorf("pgcluster: initdb: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		c.port = freePort()
		if c.port != "" {
			if err = c.Restart(); err == nil {
				return c, nil
			}
		}
		if attempt == 2 { // the port was taken between probe and start, thrice
			c.Destroy()
			if err == nil {
				err = errors.New("pgcluster: no free loopback port")
			}
			return nil, err
		}
	}
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
	return "", ErrNotInstalled
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

// sweepStale stops and removes the clusters whose owner file names a
// process that no longer exists.
func sweepStale(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(baseDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // owner alive (or unknowable): not ours to stop
		}
		st, err := os.Stat(dir)
		if err != nil {
			continue
		}
		c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
			c.cred = &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}
		}
		c.Destroy()
	}
}

// run runs one of the server's programs as the cluster's user.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// options are the server's command-line settings.
func (c *Cluster) options() string {
	fsync := "off"
	if c.opts.Fsync {
		fsync = "on"
	}
	return fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=%s -c max_connections=%d -c shared_buffers=32MB",
		c.port, c.dir, fsync, c.opts.MaxConnections)
}

// Restart starts the server of a cluster stopped by [Cluster.Stop], on
// the same port, and returns once it accepts connections (at most 30 s).
// The error carries the server's log.
func (c *Cluster) Restart() error {
	out, err := c.run("pg_ctl", "start", "-w", "-t", "30", "-D", c.data, "-l", filepath.Join(c.dir, "log"), "-o", c.options())
	if err != nil {
		return fmt.Errorf("pgcluster: pg_ctl start: %v\n%s%s", err, out, c.Log())
	}
	return nil
}

// Stop stops the server cleanly (pg_ctl's fast mode: sessions are
// disconnected, the data is written out) and waits for it, at most 30 s.
// [Cluster.Restart] starts it again.
func (c *Cluster) Stop() error {
	if out, err := c.run("pg_ctl", "stop", "-w", "-t", "30", "-m", "fast", "-D", c.data); err != nil {
		return fmt.Errorf("pgcluster: pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Destroy stops the server at once (pg_ctl's immediate mode) if it runs,
// and removes the cluster's directory. Call [Cluster.Stop] first for a
// clean shutdown.
func (c *Cluster) Destroy() {
	_, _ = c.run("pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", c.data)
	_ = os.RemoveAll(c.dir)
}

// Log returns the server's log so far.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// PostmasterPID returns the process ID of the running server (the
// postmaster), read from its postmaster.pid.
func (c *Cluster) PostmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0, fmt.Errorf("pgcluster: postmaster.pid: %w", err)
	}
	return pid, nil
}

// URL returns the connection URL of database db as the superuser
// postgres, over TCP on loopback, with a connect timeout of 5 s.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/" + db + "?sslmode=disable&connect_timeout=5"
}

// CreateDatabase creates the database name, which must be a valid SQL
// identifier needing no quotes.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// NewDatabase creates a database of its own, named prefix followed by a
// number unique within the cluster, and returns its name.
func (c *Cluster) NewDatabase(ctx context.Context, prefix string) (string, error) {
	name := fmt.Sprintf("%s%d", prefix, c.dbs.Add(1))
	if err := c.CreateDatabase(ctx, name); err != nil {
		return "", err
	}
	return name, nil
}

// freePort returns a loopback port that was free a moment ago, or "".
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
