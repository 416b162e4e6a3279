package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// envAddr names a Redis the tests may use instead of starting their own
// (CI may provide one). Only a loopback address is accepted.
const envAddr = "PASETOAUTH_REDIS_ADDR"

// server is a Redis for one test: a redis-server the test started (and may
// kill and restart), or the one envAddr names.
type server struct {
	tb       testing.TB
	addr     string
	port     string
	dir      string
	external bool
	extra    []string // more redis-server arguments
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
}

// startServer returns the Redis named by envAddr, or a fresh redis-server.
func startServer(tb testing.TB) *server {
	tb.Helper()
	if addr := os.Getenv(envAddr); addr != "" {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			tb.Fatalf("%s=%q: only a loopback IP address (such as 127.0.0.1:6379) is accepted", envAddr, addr)
		}
		s := &server{tb: tb, addr: addr, external: true}
		s.waitReady(nil)
		return s
	}
	return startOwnServer(tb)
}

// startOwnServer starts a redis-server on a free loopback port, with an
// append-only file fsynced on every write so that a SIGKILL loses nothing.
// extra arguments are appended to the command line.
func startOwnServer(tb testing.TB, extra ...string) *server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Skip("redis-server not installed: apt-get install redis-server")
	}
	s := &server{tb: tb, dir: tb.TempDir(), extra: extra}
	tb.Cleanup(s.kill)
	for attempt := 0; ; attempt++ {
		s.port = freePort(tb)
		s.addr = net.JoinHostPort("127.0.0.1", s.port)
		if s.start() {
			return s
		}
		if attempt == 2 { // the port was taken between probe and start, thrice
			tb.Fatalf("redis-server did not start; log:\n%s", s.log())
		}
	}
}

func freePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return port
}

// start runs redis-server on s.port and s.dir and reports whether it
// answers PING.
func (s *server) start() bool {
	s.tb.Helper()
	logf, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.tb.Fatal(err)
	}
	defer logf.Close()
	args := []string{
		"--port", s.port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--dir", s.dir,
	}
	s.cmd = exec.Command("redis-server", append(args, s.extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	done := make(chan struct{})
	s.done = done
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd)
	return s.waitReady(done)
}

// waitReady polls PING for up to 10s. It gives up early if exited closes
// (the server died, typically because the port was taken).
func (s *server) waitReady(exited <-chan struct{}) bool {
	s.tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.addr, DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// Probe the port first: go-redis logs every failed dial.
		if conn, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			_ = conn.Close()
			// PING fails with LOADING while the append-only file replays.
			if c.Ping(context.Background()).Err() == nil {
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	if s.external {
		s.tb.Fatalf("redis at %s (from %s) does not answer PING", s.addr, envAddr)
	}
	s.kill()
	return false
}

// kill SIGKILLs the server the test started and waits until it is gone.
func (s *server) kill() {
	if s.external || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop freezes the server the test started (SIGSTOP): it keeps its
// connections and its port but answers nothing until cont.
func (s *server) stop() {
	s.tb.Helper()
	if s.external {
		s.tb.Skip("needs a redis-server of its own")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.tb.Fatal(err)
	}
	s.tb.Cleanup(s.cont) // never leave a stopped process behind
}

// cont resumes a stopped server and waits until it answers.
func (s *server) cont() {
	if s.external || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	s.waitReady(s.done)
}

// wipe deletes everything the server persisted in its directory (its
// append-only files and snapshot), keeping only its log. The server must
// be down.
func (s *server) wipe() {
	s.tb.Helper()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		s.tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "redis.log" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
			s.tb.Fatal(err)
		}
	}
}

// restart starts redis-server again on the same port and directory: it
// reloads its append-only file (or its snapshot without one).
func (s *server) restart() {
	s.tb.Helper()
	if !s.start() {
		s.tb.Fatalf("redis-server did not restart; log:\n%s", s.log())
	}
}

func (s *server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// client returns a new client (its own connection pool: a separate
// application instance) closed at the end of the test. It honours context
// deadlines, as New requires.
func (s *server) client(tb testing.TB, tweak ...func(*redis.Options)) *redis.Client {
	tb.Helper()
	opts := &redis.Options{Addr: s.addr, DialTimeout: 2 * time.Second, ContextTimeoutEnabled: true}
	for _, f := range tweak {
		f(opts)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// uniquePrefix gives each test its own key space, so tests sharing a
// server (or a CI Redis) never see each other's keys. On a Redis the tests
// did not start, the keys are deleted afterwards.
func (s *server) uniquePrefix(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("{", "_", "}", "_", "*", "_", "?", "_", "[", "_", "]", "_").Replace(tb.Name())
	prefix := "pasetoauth-test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
	if s.external {
		tb.Cleanup(func() {
			c := redis.NewClient(&redis.Options{Addr: s.addr})
			defer c.Close()
			ctx := context.Background()
			iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
		})
	}
	return prefix
}

// newStore builds a Store; its configuration warnings are discarded unless
// opts.Logger is set.
func newStore(tb testing.TB, c redis.UniversalClient, opts redisstore.Config) *redisstore.Store {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := redisstore.New(c, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// newAuth builds an Auth over store with fresh keys.
func newAuth(tb testing.TB, store paseto.Store, clock func() time.Time, tweak func(*paseto.Config)) *paseto.Auth {
	tb.Helper()
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: clock, Logger: quiet}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := paseto.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// keysOf lists every key under prefix.
func keysOf(tb testing.TB, c *redis.Client, prefix string) []string {
	tb.Helper()
	return scanKeys(tb, c, prefix)
}

// scanKeys lists every key under prefix (on a one-node cluster too).
func scanKeys(tb testing.TB, c redis.UniversalClient, prefix string) []string {
	tb.Helper()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// slot is the Redis Cluster slot of key: CRC16 (XMODEM) of its hash tag (the
// part between the first '{' and the next '}', if not empty) or of the whole
// key, modulo 16384.
func slot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

// newSlowClient returns a client that reaches srv through a slowProxy,
// with conns connections already open: each dial counts as a possible
// change of server, after which the store reads INFO again before its
// next call, and such a call would end before its script was sent. The
// connections are dialled here, before the store learns the server's
// identity, by commands that each hold one for 200 ms.
func newSlowClient(t *testing.T, srv *server, conns int) (*slowProxy, *redis.Client) {
	t.Helper()
	proxy := newSlowProxy(t, srv.addr)
	client := redis.NewClient(&redis.Options{Addr: proxy.addr(), DialTimeout: 2 * time.Second, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	var warm sync.WaitGroup
	for range conns {
		warm.Add(1)
		go func() {
			defer warm.Done()
			_ = client.Do(ctx, "BLPOP", "slow-warm-up", "0.2").Err() // holds its connection 200 ms
		}()
	}
	warm.Wait()
	if n := client.PoolStats().IdleConns; n < uint32(conns)*5/8 {
		t.Fatalf("the pool holds %d idle connections, want about %d", n, conns)
	}
	return proxy, client
}

// slowProxy forwards TCP connections to a Redis server; while lag is set,
// each chunk a client sends reaches the server lag later. A connection to
// the server stays open until the server's reply has been passed on (or
// could not be), whatever the client did meanwhile.
type slowProxy struct {
	ln  net.Listener
	lag atomic.Int64 // time.Duration
}

func newSlowProxy(t *testing.T, target string) *slowProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{ln: ln}
	// Closing the listener ends the accept loop; each copy ends with its
	// connections, which the clients' Close and the server end.
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.DialTimeout("tcp", target, 2*time.Second)
			if err != nil {
				_ = c.Close()
				continue
			}
			go func() { // server to client; ends when either side closes
				_, _ = io.Copy(c, u)
				_ = c.Close()
				_ = u.Close()
			}()
			go func() { // client to server, late while slowed
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if d := time.Duration(p.lag.Load()); d > 0 {
							time.Sleep(d)
						}
						if _, werr := u.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						// The client is gone; what it sent is delivered, and
						// the server's replies end the other direction.
						_ = u.(*net.TCPConn).CloseWrite()
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *slowProxy) addr() string { return p.ln.Addr().String() }
