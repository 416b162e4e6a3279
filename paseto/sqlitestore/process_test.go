package sqlitestore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
)

// The two-process test re-executes this test binary as a second
// application instance on the same database file.
const (
	childEnv       = "SQLITESTORE_TEST_CHILD"
	refreshesTotal = 100
)

// childSpec is what the parent tells the child, through the environment.
type childSpec struct {
	Path, AccessKey, RefreshKey, Token string
	Now                                int64 // unix ns: both processes' clock
	N                                  int   // refreshes to make
	// Crash: instead of refreshing, log in twice, log one session out,
	// report the pairs and die by SIGKILL, without closing the store.
	Crash bool
}

// childReport is the child's answer, one JSON line on stdout.
type childReport struct {
	Live, Out *paseto.TokenPair // Crash: a live session, a logged-out one
	Tokens    []string          // the refresh token of each success
	Errors    []string
	Retried   int64 // EventRefreshRetried
	Reused    int64 // EventRefreshReused
}

// refreshAll makes n concurrent refreshes of token through a, all released
// at once by start.
func refreshAll(a *paseto.Auth, token string, n int, start <-chan struct{}) (tokens, errs []string) {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := a.Refresh(context.Background(), token)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			tokens = append(tokens, p.RefreshToken)
		}()
	}
	wg.Wait()
	return tokens, errs
}

// processAuth builds one process's Auth on the shared file, counting the
// grace retries and reuse events.
func processAuth(t testing.TB, spec childSpec, retried, reused *atomic.Int64) *paseto.Auth {
	t.Helper()
	ak, err := paseto.ParseSymmetricKey(spec.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := paseto.ParseSymmetricKey(spec.RefreshKey)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Unix(0, spec.Now) }
	s, err := sqlitestore.Open(spec.Path, sqlitestore.Config{Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newAuth(t, s, keys{ak, rk}, now, func(c *paseto.Config) {
		c.GracePeriod = 30 * time.Second
		// Two processes take turns on SQLite's write lock by polling (the
		// busy handler). The default (1 s) passes on a loaded 2-core
		// machine, since only the rotation itself and the refreshes that
		// read before it commit take the write lock; 5 s keeps a slower
		// CI machine from turning a wait into a failure.
		c.StoreTimeout = 5 * time.Second
		c.OnSecurityEvent = func(_ context.Context, ev paseto.SecurityEvent) {
			switch ev.Kind {
			case paseto.EventRefreshRetried:
				retried.Add(1)
			case paseto.EventRefreshReused:
				reused.Add(1)
			}
		}
	})
}

// TestChildProcess is the second process of TestTwoProcessesRefreshOneToken;
// it does nothing in a normal run.
func TestChildProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("only run by TestTwoProcessesRefreshOneToken")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	var retried, reused atomic.Int64
	a := processAuth(t, spec, &retried, &reused)
	if spec.Crash {
		crash(t, a)
	}
	start := make(chan struct{})
	var rep childReport
	done := make(chan struct{})
	go func() {
		rep.Tokens, rep.Errors = refreshAll(a, spec.Token, spec.N, start)
		close(done)
	}()
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	close(start)
	<-done
	rep.Retried, rep.Reused = retried.Load(), reused.Load()
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
}

// TestTwoProcessesRefreshOneToken: 100 concurrent refreshes of one refresh
// token, half from this process and half from another on the same file.
// Exactly one rotates; the 99 others are grace-window retries that get the
// same successor; nothing is taken for reuse.
func TestTwoProcessesRefreshOneToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	k := newKeys()
	spec := childSpec{Path: tempDB(t), AccessKey: k.access.PASERK(), RefreshKey: k.refresh.PASERK(),
		Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).UnixNano(), N: refreshesTotal / 2}
	var retried, reused atomic.Int64
	openStore(t, spec.Path, time.Now) // runs Migrate
	a := processAuth(t, spec, &retried, &reused)
	p, err := a.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec.Token = p.RefreshToken

	raw, _ := json.Marshal(spec)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child: %q, %v", lines.Text(), lines.Err())
	}

	start := make(chan struct{})
	var (
		tokens, errs []string
		done         = make(chan struct{})
	)
	go func() {
		tokens, errs = refreshAll(a, spec.Token, refreshesTotal/2, start)
		close(done)
	}()
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	close(start)
	<-done
	var rep childReport
	for lines.Scan() {
		if err := json.Unmarshal(lines.Bytes(), &rep); err == nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	tokens, errs = append(tokens, rep.Tokens...), append(errs, rep.Errors...)
	if len(errs) > 0 {
		t.Fatalf("%d of %d refreshes failed, first: %s", len(errs), refreshesTotal, errs[0])
	}
	// A retry mints the successor again: another string (a fresh nonce),
	// the same token ID. One successor is one ID.
	ring, err := paseto.NewLocalKeyRing(k.refresh)
	if err != nil {
		t.Fatal(err)
	}
	refreshes, err := paseto.NewVerifier(ring, paseto.TypeRefresh, paseto.VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	successors := map[string]string{} // by token ID, one of its strings
	for _, tok := range tokens {
		c, err := refreshes.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("a successor does not verify: %v", err)
		}
		successors[c.ID] = tok
	}
	if len(successors) != 1 || len(tokens) != refreshesTotal {
		t.Fatalf("%d successes with %d different successors, want %d with 1", len(tokens), len(successors), refreshesTotal)
	}
	if r := retried.Load() + rep.Retried; r != refreshesTotal-1 {
		t.Fatalf("%d grace retries, want %d: exactly one refresh rotates", r, refreshesTotal-1)
	}
	if n := reused.Load() + rep.Reused; n != 0 {
		t.Fatalf("%d reuse events", n)
	}
	t.Logf("this process: %d retries; the other: %d", retried.Load(), rep.Retried)
	// The session goes on with the one successor.
	for _, succ := range successors {
		if _, err := a.Refresh(ctx, succ); err != nil {
			t.Fatalf("refreshing the successor: %v", err)
		}
	}
}

// crash is the child's part of TestCrashKeepsAnsweredWrites: every call
// below has returned (been answered) before the process dies.
func crash(t *testing.T, a *paseto.Auth) {
	var rep childReport
	var err error
	if rep.Live, err = a.Login(ctx, "alice", paseto.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep.Live, err = a.Refresh(ctx, rep.Live.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if rep.Out, err = a.Login(ctx, "alice", paseto.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, rep.Out.Access); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	_ = os.Stdout.Sync()
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// TestCrashKeepsAnsweredWrites: a process that dies by SIGKILL, its
// store never closed and its write-ahead log not checkpointed, loses
// nothing it answered: after reopening the file, the refreshed session is
// live with its new token and the logged-out one stays refused. (This
// covers a crash of the process, not of the machine: the operating
// system still holds what the process wrote. synchronous=FULL is what
// covers a power loss, and no test here cuts the power.)
func TestCrashKeepsAnsweredWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	k := newKeys()
	spec := childSpec{Path: tempDB(t), AccessKey: k.access.PASERK(), RefreshKey: k.refresh.PASERK(),
		Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).UnixNano(), Crash: true}
	openStore(t, spec.Path, time.Now).Close() // runs Migrate
	raw, _ := json.Marshal(spec)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
	}
	if _, err := os.Stat(spec.Path + "-wal"); err != nil {
		t.Fatalf("no write-ahead log left by the crash: %v", err)
	}
	var rep childReport
	for line := range strings.Lines(string(out)) {
		if json.Unmarshal([]byte(line), &rep) == nil && rep.Live != nil {
			break
		}
	}
	if rep.Live == nil || rep.Out == nil {
		t.Fatalf("child reported nothing:\n%s", out)
	}
	var retried, reused atomic.Int64
	spec.Crash = false
	a := processAuth(t, spec, &retried, &reused)
	if _, err := a.VerifyAccess(ctx, rep.Live.AccessToken); err != nil {
		t.Fatalf("after the crash, the live session's access token: %v", err)
	}
	if _, err := a.Refresh(ctx, rep.Live.RefreshToken); err != nil {
		t.Fatalf("after the crash, the live session's refresh token: %v", err)
	}
	refused(t, a, "logged out before the crash", rep.Out)
}
