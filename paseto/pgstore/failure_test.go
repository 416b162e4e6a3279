package pgstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// The ways a PostgreSQL fails in production, on the test binary's own
// cluster: a connection killed in the middle of a transaction, a restart,
// a database turned read-only, a server that hangs. Every wait is bounded;
// no test asserts a duration.

// within runs f and fails tb if it has not returned after limit (a hang
// detector, far above any deadline involved, not a timing assertion).
func within(tb testing.TB, limit time.Duration, what string, f func() error) error {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		tb.Fatalf("%s has not returned after %v", what, limit)
		return nil
	}
}

// faultAuth is an Auth with a short store timeout and no grace period, so
// that a rotation applied behind the caller's back shows as reuse.
func faultAuth(tb testing.TB, store paseto.Store, ak, rk paseto.SymmetricKey, ev *eventCounter) *paseto.Auth {
	return newAuthKeys(tb, store, ak, rk, time.Now, func(c *paseto.Config) {
		if ev != nil {
			ev.tweak(c)
		}
		c.GracePeriod = 0
		c.StoreTimeout = 500 * time.Millisecond
	})
}

// TestConnectionKilledMidTransaction: a refresh waits inside its
// transaction for the session's row lock (held by another client), and
// its backend is terminated (pg_terminate_backend) there. The refresh
// fails with ErrStoreUnavailable; the transaction is rolled back, so the
// same refresh token then rotates normally, without reuse.
func TestConnectionKilledMidTransaction(t *testing.T) {
	c := needPG(t)
	s := newStore(t, time.Now, 0)
	ak, rk := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	var ev eventCounter
	auth := newAuthKeys(t, s, ak, rk, time.Now, func(cfg *paseto.Config) {
		ev.tweak(cfg)
		cfg.GracePeriod = 0
		cfg.StoreTimeout = 10 * time.Second // the kill comes first
	})
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := c.pool(t, "pgstore_test")
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT 1 FROM "+prefixOf(s)+"sessions WHERE sid = $1 FOR UPDATE", p.Access.Session); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := auth.Refresh(ctx, p.RefreshToken)
		done <- err
	}()
	var pid int32
	for i := 0; pid == 0; i++ {
		if i == 200 {
			t.Fatal("the refresh never waited for the row lock")
		}
		err := admin.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%'||$1||'rotate(%'`, prefixOf(s)).Scan(&pid)
		if err != nil {
			time.Sleep(25 * time.Millisecond)
		}
	}
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, paseto.ErrStoreUnavailable) {
			t.Fatalf("refresh on a killed connection: %v, want ErrStoreUnavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the refresh has not returned 30s after its connection was killed")
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("the killed rotation was applied after all: %v", err)
	}
	if ev.reused.Load() != 0 {
		t.Fatal("reuse event")
	}
}

// TestServerRestart: while the server is down, verification and refresh
// fail promptly with ErrStoreUnavailable; once it is back, the sessions
// are there, a refresh token rotates and a logged-out session stays out.
func TestServerRestart(t *testing.T) {
	c := needPG(t)
	s := newStore(t, time.Now, 0)
	ak, rk := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	var ev eventCounter
	auth := faultAuth(t, s, ak, rk, &ev)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeSession(ctx, "alice", out.Access.Session); err != nil {
		t.Fatal(err)
	}
	c.stop(t)
	restarted := false
	defer func() {
		if !restarted {
			c.startT(t)
		}
	}()
	err = within(t, 10*time.Second, "VerifyAccess with the server down", func() error {
		_, err := auth.VerifyAccess(ctx, p.AccessToken)
		return err
	})
	if !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("VerifyAccess with the server down: %v, want ErrStoreUnavailable", err)
	}
	err = within(t, 10*time.Second, "Refresh with the server down", func() error {
		_, err := auth.Refresh(ctx, p.RefreshToken)
		return err
	})
	if !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Refresh with the server down: %v, want ErrStoreUnavailable", err)
	}
	c.startT(t)
	restarted = true
	// The pool's connections died with the server; pgxpool replaces them.
	for i := 0; ; i++ {
		if _, err = auth.VerifyAccess(ctx, p.AccessToken); err == nil || i == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("VerifyAccess after the restart: %v", err)
	}
	if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("Refresh after the restart: %v", err)
	}
	if _, err := auth.VerifyAccess(ctx, out.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("a logged-out session after the restart: %v, want ErrRevoked", err)
	}
	if ev.reused.Load() != 0 {
		t.Fatal("reuse event")
	}
}

// TestReadOnlyDatabase: with default_transaction_read_only set on the
// database, verification and listing go on, logins, refreshes and logouts
// fail with ErrStoreUnavailable and change nothing; once writable again,
// the refresh token that could not rotate rotates.
func TestReadOnlyDatabase(t *testing.T) {
	c := needPG(t)
	db := c.newDatabase(t)
	s := newStoreOn(t, c.url(db), "ro_", time.Now, 0)
	ak, rk := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	var ev eventCounter
	auth := faultAuth(t, s, ak, rk, &ev)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := c.pool(t, "postgres")
	setRO := func(on bool) {
		t.Helper()
		v := "off"
		if on {
			v = "on"
		}
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" SET default_transaction_read_only = "+v); err != nil {
			t.Fatal(err)
		}
		s.Pool().Reset() // the setting applies to new connections
		// Open the new connection now, under a generous bound, so that the
		// calls below are timed against the store's deadline alone, not
		// against a connection set up on a loaded machine.
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Pool().Ping(pctx); err != nil {
			t.Fatal(err)
		}
	}
	setRO(true)
	if _, err := auth.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("VerifyAccess on a read-only database: %v", err)
	}
	if l, err := auth.ListSessions(ctx, "alice", ""); err != nil || len(l) != 1 {
		t.Fatalf("ListSessions on a read-only database: %d, %v", len(l), err)
	}
	for name, f := range map[string]func() error{
		"Login":   func() error { _, err := auth.Login(ctx, "alice", paseto.LoginOptions{}); return err },
		"Refresh": func() error { _, err := auth.Refresh(ctx, p.RefreshToken); return err },
		"Logout":  func() error { return auth.RevokeSession(ctx, "alice", p.Access.Session) },
		"RevokeSubject": func() error {
			return auth.RevokeSubject(ctx, "alice")
		},
	} {
		if err := f(); !errors.Is(err, paseto.ErrStoreUnavailable) || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("%s on a read-only database: %v, want ErrStoreUnavailable (read-only)", name, err)
		}
	}
	setRO(false)
	if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("Refresh once writable: %v", err)
	}
	if ev.reused.Load() != 0 {
		t.Fatal("reuse event")
	}
}

// serverPIDs returns the postmaster's process ID and its children's.
func (c *cluster) serverPIDs(tb testing.TB) []int {
	tb.Helper()
	pm := c.postmasterPID(tb)
	pids := []int{pm}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so from the last ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestHungServer: the whole server is frozen (SIGSTOP on the postmaster
// and every backend) while a refresh is on its way. The refresh, and a
// verification, fail with ErrStoreUnavailable within their deadline; the
// rotation, which reached the frozen backend before its deadline and runs
// after it when the server resumes, does not take effect: the refresh
// token that was presented still rotates, without reuse (there is no
// grace period here).
func TestHungServer(t *testing.T) {
	c := needPG(t)
	s := newStore(t, time.Now, 1)
	ak, rk := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	var ev eventCounter
	auth := faultAuth(t, s, ak, rk, &ev)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Warm the one connection: its statement cache then holds the rotation,
	// so the frozen server receives the whole call at once (not only the
	// statement's preparation).
	warm, err := auth.Login(ctx, "bob", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Refresh(ctx, warm.RefreshToken); err != nil {
		t.Fatal(err)
	}
	var backend int
	if err := s.Pool().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		t.Fatal(err)
	}
	pids := c.serverPIDs(t)
	logFrom := len(c.log())
	signal := func(sig syscall.Signal) {
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
	}
	signal(syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			signal(syscall.SIGCONT)
		}
	}()
	start := time.Now()
	err = within(t, 10*time.Second, "Refresh on a hung server", func() error {
		_, err := auth.Refresh(ctx, p.RefreshToken)
		return err
	})
	if !errors.Is(err, paseto.ErrStoreUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Refresh on a hung server: %v, want ErrStoreUnavailable (deadline exceeded)", err)
	}
	t.Logf("refresh on a hung server answered after %v (StoreTimeout 500ms)", time.Since(start).Round(time.Millisecond))
	err = within(t, 10*time.Second, "VerifyAccess on a hung server", func() error {
		_, err := auth.VerifyAccess(ctx, p.AccessToken)
		return err
	})
	if !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("VerifyAccess on a hung server: %v, want ErrStoreUnavailable", err)
	}
	signal(syscall.SIGCONT)
	resumed = true
	// The frozen backend now runs the rotation it received, past its
	// deadline, then finds its client gone and exits.
	admin := c.pool(t, "pgstore_test")
	for i := 0; ; i++ {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend).Scan(&n); err == nil && n == 0 {
			break
		}
		if i == 200 {
			t.Fatal("the frozen backend has not exited 10s after the server resumed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The backend either ran the rotation and refused it as late, or
	// (when pgx's cancel request reached the resumed postmaster first)
	// was cancelled before running it; either way it must not take
	// effect, which the refresh below checks. Anything else means the
	// rotation never reached the frozen server: the test did not test it.
	switch serverLog := c.log()[logFrom:]; {
	case strings.Contains(serverLog, "reached the server after its deadline"):
		t.Log("the frozen backend ran the rotation and refused it as late")
	case strings.Contains(serverLog, "canceling statement due to user request"):
		t.Log("the frozen backend's rotation was cancelled before it ran")
	default:
		t.Fatalf("the server log shows neither the late rotation refused nor its cancellation: the test did not test it\n%s", serverLog)
	}
	other := faultAuth(t, twin(t, s, time.Now), ak, rk, &ev)
	if _, err := other.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("the rotation that reached the server after its deadline took effect: %v", err)
	}
	if ev.reused.Load() != 0 {
		t.Fatal("reuse event")
	}
}
