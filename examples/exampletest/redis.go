package exampletest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartRedis starts a redis-server of its own on a free loopback port for
// the test and returns its redis:// URL; it is killed when the test ends.
// Without redis-server in PATH the test is skipped.
func StartRedis(t testing.TB) string {
	t.Helper()
	return StartRedisServer(t).URL
}

// RedisServer is a redis-server started by StartRedisServer.
type RedisServer struct {
	// URL is its redis:// URL.
	URL     string
	process *os.Process
}

// Pause stops the server (SIGSTOP): connections stay open and commands
// are accepted by the kernel, but nothing is answered, as with a Redis
// that hangs. It resumes when the test ends, if Resume was not called.
func (r *RedisServer) Pause(t testing.TB) {
	t.Helper()
	if err := r.process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	t.Cleanup(func() { _ = r.process.Signal(syscall.SIGCONT) })
}

// Resume continues a paused server (SIGCONT).
func (r *RedisServer) Resume(t testing.TB) {
	t.Helper()
	if err := r.process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT redis-server: %v", err)
	}
}

// StartRedisServer is StartRedis, returning the server for Pause and
// Resume.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not in PATH (apt-get install redis-server): skipping the REDIS_URL test")
	}
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		port := FreePort(t)
		addr := net.JoinHostPort("127.0.0.1", port)
		if p := startRedis(t, dir, port, addr); p != nil {
			return &RedisServer{URL: "redis://" + addr + "/0", process: p}
		}
		if attempt == 2 { // the port was taken between probe and start, thrice
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not start; log:\n%s", log)
		}
	}
}

func startRedis(t testing.TB, dir, port, addr string) *os.Process {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	kill := func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(addr) {
			t.Cleanup(kill)
			return cmd.Process
		}
		select {
		case <-exited:
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	kill()
	return nil
}

// ping sends a RESP PING and reports whether PONG came back.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}

// SharedRedis starts two instances of the example with the same keys on
// one Redis and checks that they are one service: a login on A refreshes
// on B, reuse detected on A revokes what B issued, and a logout on B is
// seen by A. It returns instance A for further checks.
func SharedRedis(t *testing.T, run RunFunc) *Server {
	env := With(LocalKeys(), "REDIS_URL", StartRedis(t))
	a, b := Start(t, run, env), Start(t, run, env)
	for _, s := range []*Server{a, b} {
		if logs := s.Logs(); !strings.Contains(logs, "Redis session store") || strings.Contains(logs, "in-memory") {
			t.Fatalf("REDIS_URL is set, but the log does not say the Redis store is used:\n%s", logs)
		}
	}

	p0 := a.Login(t, "test")
	Expect(t, "A's token on B", b.Get(t, "/protected", p0.Access), http.StatusOK, "")
	r := b.Refresh(t, p0.Refresh, false)
	Expect(t, "A's refresh token on B", r, http.StatusOK, "")
	p1 := tokenResponse(t, "refresh on B", r)
	r = a.Refresh(t, p1.Refresh, true)
	Expect(t, "B's refresh token on A", r, http.StatusOK, "")
	p2 := tokenResponse(t, "refresh on A", r)

	// Reuse on A of the token B rotated away revokes the family on both.
	Expect(t, "reuse on A", a.Refresh(t, p0.Refresh, false), http.StatusUnauthorized, "reused_refresh_token")
	Expect(t, "family's access token on B", b.Get(t, "/protected", p2.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "family's refresh token on B", b.Refresh(t, p2.Refresh, false), http.StatusUnauthorized, "revoked_token")

	q := b.Login(t, "user1")
	ExpectLoggedOut(t, "logout on B", b.Post(t, "/logout", q.Access))
	Expect(t, "logged-out access token on A", a.Get(t, "/protected", q.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "logged-out refresh token on A", a.Refresh(t, q.Refresh, false), http.StatusUnauthorized, "revoked_token")

	// A browser session started on A continues on B.
	jar := NewJar()
	csrf := a.cookieLogin(t, jar, "test")
	Expect(t, "A's cookie session on B", b.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}), http.StatusOK, "")
	Expect(t, "cookie refresh on B", b.Do(t, Request{Method: "POST", Path: CookieRefresh, Jar: jar,
		Header: map[string]string{CSRFHeader: csrf}}), http.StatusOK, "")
	Expect(t, "refreshed cookie session on A", a.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}), http.StatusOK, "")
	return a
}

// SharedRedisLiveCache starts two instances on one Redis with the live
// cache on (REDIS_LIVE_CACHE) and checks that a logout still takes effect
// everywhere: B answers a session (and may cache it for 5 s), A logs it
// out and refuses it at once, and B refuses it soon after (polled for at
// most 5 s, far above the 100 ms bound, so that a loaded machine does not
// fail the test) and from then on. The store's own tests check the bound
// and that the refusal comes from the invalidation.
func SharedRedisLiveCache(t *testing.T, run RunFunc) {
	env := With(LocalKeys(), "REDIS_URL", StartRedis(t), "REDIS_LIVE_CACHE", "5s")
	a, b := Start(t, run, env), Start(t, run, env)
	for _, s := range []*Server{a, b} {
		if logs := s.Logs(); !strings.Contains(logs, "live_cache=5s") {
			t.Fatalf("REDIS_LIVE_CACHE is set, but the log does not say the live cache is on:\n%s", logs)
		}
	}
	p := a.Login(t, "test")
	for range 5 {
		Expect(t, "A's token on B", b.Get(t, "/protected", p.Access), http.StatusOK, "")
	}
	ExpectLoggedOut(t, "logout on A", a.Post(t, "/logout", p.Access))
	Expect(t, "logged-out access token on A", a.Get(t, "/protected", p.Access), http.StatusUnauthorized, "revoked_token")
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := b.Get(t, "/protected", p.Access)
		if r.Status == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			Expect(t, "logged-out access token on B, 5 s after the logout", r, http.StatusUnauthorized, "revoked_token")
			return
		}
		time.Sleep(time.Millisecond)
	}
	for range 10 {
		Expect(t, "logged-out access token on B", b.Get(t, "/protected", p.Access), http.StatusUnauthorized, "revoked_token")
	}
}
