package pgstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
)

// The two-process test: the test binary runs itself again as a child
// (TestMain sees childEnv), which refreshes the same token as the parent
// at the same moment, through its own Auth, Store and connections.

const childEnv = "PASETOAUTH_PGSTORE_CHILD"

// childReport is what the child prints when done.
type childReport struct {
	Successors map[string]int `json:"successors"`
	Errors     []string       `json:"errors"`
	Retried    int64          `json:"retried"`
	Reused     int64          `json:"reused"`
	Err        string         `json:"err,omitempty"`
}

// refreshBurst refreshes rt n times at once through auth, after start
// closes, and returns how often each successor came back and the errors.
func refreshBurst(auth *paseto.Auth, rt string, n int, start <-chan struct{}) (map[string]int, []string) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		got   = map[string]int{}
		fails []string
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p, err := auth.Refresh(ctx, rt)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails = append(fails, err.Error())
				return
			}
			got[p.RefreshToken]++
		}()
	}
	wg.Wait()
	return got, fails
}

// eventCounter counts grace retries and reuse events.
type eventCounter struct{ retried, reused atomic.Int64 }

func (c *eventCounter) tweak(cfg *paseto.Config) {
	cfg.GracePeriod = 30 * time.Second
	cfg.OnSecurityEvent = func(_ context.Context, ev paseto.SecurityEvent) {
		switch ev.Kind {
		case paseto.EventRefreshRetried:
			c.retried.Add(1)
		case paseto.EventRefreshReused:
			c.reused.Add(1)
		}
	}
}

// runChild is the child's side: it reads its setting from the
// environment, says "ready", waits for a line on stdin, refreshes, and
// prints a childReport.
func runChild() int {
	rep := childReport{}
	err := func() error {
		ak, err := paseto.ParseSymmetricKey(os.Getenv("PGSTORE_CHILD_ACCESS"))
		if err != nil {
			return err
		}
		rk, err := paseto.ParseSymmetricKey(os.Getenv("PGSTORE_CHILD_REFRESH"))
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(os.Getenv("PGSTORE_CHILD_N"))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := pgstore.Open(ctx, os.Getenv("PGSTORE_CHILD_URL"), pgstore.Config{Prefix: os.Getenv("PGSTORE_CHILD_PREFIX")})
		if err != nil {
			return err
		}
		defer func() { _ = s.Close() }()
		if err := s.Pool().Ping(ctx); err != nil { // connect before the start line
			return err
		}
		var ev eventCounter
		a, err := paseto.New(func() paseto.Config {
			access, _ := paseto.NewLocalKeyRing(ak)
			refresh, _ := paseto.NewLocalKeyRing(rk)
			cfg := paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: s, Logger: quietLogger()}
			ev.tweak(&cfg)
			return cfg
		}())
		if err != nil {
			return err
		}
		fmt.Println("ready")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		start := make(chan struct{})
		close(start)
		rep.Successors, rep.Errors = refreshBurst(a, os.Getenv("PGSTORE_CHILD_TOKEN"), n, start)
		rep.Retried, rep.Reused = ev.retried.Load(), ev.reused.Load()
		return nil
	}()
	if err != nil {
		rep.Err = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// TestConcurrentRefreshTwoProcesses: 100 refreshes of one refresh token at
// once, half from this process and half from a child process, each through
// its own Auth and pool. Exactly one rotates; the 99 others are retries
// within the grace window and get the same successor; no reuse is seen,
// and the session goes on.
func TestConcurrentRefreshTwoProcesses(t *testing.T) {
	c := needPG(t)
	s := newStore(t, time.Now, 0)
	ak, rk := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	var ev eventCounter
	auth := newAuthKeys(t, s, ak, rk, time.Now, ev.tweak)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50 // per process
	cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"PGSTORE_CHILD_ACCESS="+ak.PASERK(), "PGSTORE_CHILD_REFRESH="+rk.PASERK(),
		"PGSTORE_CHILD_N="+strconv.Itoa(n), "PGSTORE_CHILD_URL="+c.url("pgstore_test"),
		"PGSTORE_CHILD_PREFIX="+prefixOf(s), "PGSTORE_CHILD_TOKEN="+p.RefreshToken)
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
	defer func() { _ = cmd.Wait() }()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || line != "ready\n" {
		rest, _ := io.ReadAll(out)
		t.Fatalf("child: %q %v %s", line, err, rest)
	}
	start := make(chan struct{})
	var (
		mine  map[string]int
		fails []string
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		mine, fails = refreshBurst(auth, p.RefreshToken, n, start)
	}()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	close(start)
	var rep childReport
	if err := json.NewDecoder(out).Decode(&rep); err != nil {
		t.Fatalf("child report: %v", err)
	}
	wg.Wait()
	if rep.Err != "" {
		t.Fatalf("child: %s", rep.Err)
	}
	fails = append(fails, rep.Errors...)
	if len(fails) > 0 {
		t.Fatalf("%d of %d refreshes failed, first: %s", len(fails), 2*n, fails[0])
	}
	// A retry mints the successor again: another string (a fresh nonce),
	// the same token ID. One successor is one ID.
	ring, err := paseto.NewLocalKeyRing(rk)
	if err != nil {
		t.Fatal(err)
	}
	refreshes, err := paseto.NewVerifier(ring, paseto.TypeRefresh, paseto.VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{} // by token ID, one of its strings
	for _, m := range []map[string]int{mine, rep.Successors} {
		for tok := range m {
			c, err := refreshes.Verify(ctx, tok)
			if err != nil {
				t.Fatalf("a successor does not verify: %v", err)
			}
			all[c.ID] = tok
		}
	}
	if len(all) != 1 {
		t.Fatalf("%d different successors, want 1", len(all))
	}
	if retried := ev.retried.Load() + rep.Retried; retried != 2*n-1 {
		t.Fatalf("%d grace retries, want %d (one rotation)", retried, 2*n-1)
	}
	if reused := ev.reused.Load() + rep.Reused; reused != 0 {
		t.Fatalf("%d reuse events", reused)
	}
	for _, succ := range all {
		next, err := auth.Refresh(ctx, succ)
		if err != nil {
			t.Fatalf("the successor does not refresh: %v", err)
		}
		if _, err := auth.VerifyAccess(ctx, next.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("two processes: %d refreshes, 1 rotation, %d retries (%d from the child)", 2*n, 2*n-1, rep.Retried)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}
