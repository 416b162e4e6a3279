package exampletest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BuildExample builds the example in dir (such as "../nethttp") into a
// binary in a temporary directory and returns its path. The test is
// skipped when dir does not exist, as in a copy of one example on its
// own.
func BuildExample(t testing.TB, dir string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Skipf("no example in %s (a copy of one example on its own?): skipping the multi-process test", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(abs))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return bin
}

// Process is an example running as a process of its own, started by
// StartProcess.
type Process struct {
	*Server
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// StartProcess runs the binary bin with env (and nothing else from the
// test's environment) plus LISTEN_HOST=127.0.0.1 and PORT=port, and returns once
// it answers GET / with 200. It is stopped, if still running, when the
// test ends.
func StartProcess(t testing.TB, bin, port string, env map[string]string) *Process {
	t.Helper()
	logs := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = []string{"LISTEN_HOST=127.0.0.1", "PORT=" + port}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{
		Server: &Server{URL: "http://127.0.0.1:" + port, client: &http.Client{Timeout: 20 * time.Second}, logs: logs},
		cmd:    cmd,
		exited: make(chan struct{}),
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.Stop(t) })
	// Poll until it serves: at most 30 s, every 50 ms.
	for i := 0; ; i++ {
		select {
		case <-p.exited:
			t.Fatalf("%s exited at start: %v; log:\n%s", filepath.Base(bin), p.err, logs)
		default:
		}
		resp, err := p.client.Get(p.URL + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if i == 600 {
			t.Fatalf("%s does not answer GET / after 30 s: %v; log:\n%s", filepath.Base(bin), err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the graceful shutdown (at most 20 s,
// then it kills the process and fails the test). Stopping a stopped
// process does nothing.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	p.client.CloseIdleConnections()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		var ee *exec.ExitError
		if p.err != nil && !errors.As(p.err, &ee) {
			t.Errorf("waiting for the process: %v", p.err)
		} else if p.err != nil {
			t.Errorf("process exited with %v after SIGTERM; log:\n%s", p.err, p.logs)
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("process did not stop within 20 s of SIGTERM; log:\n%s", p.logs)
	}
}

// Balancer is a reverse proxy on a loopback port standing in for a load
// balancer in front of an example's instances: Switch moves all new
// requests to another instance at once, as a rolling deploy does.
type Balancer struct {
	*Server
	target atomic.Pointer[httputil.ReverseProxy]
}

// NewBalancer starts a Balancer, closed when the test ends. Until the
// first Switch it answers 502.
func NewBalancer(t testing.TB) *Balancer {
	t.Helper()
	b := &Balancer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := b.target.Load()
		if p == nil {
			http.Error(w, "no instance", http.StatusBadGateway)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.Server = &Server{URL: srv.URL, client: &http.Client{Timeout: 20 * time.Second}, logs: &syncBuffer{}}
	return b
}

// Switch sends every new request to the instance at baseURL, each
// instance through a transport of its own.
func (b *Balancer) Switch(t testing.TB, baseURL string) {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = r.In.Host },
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
	}
	if old := b.target.Swap(p); old != nil {
		// Requests in flight finish; its idle connections go.
		old.Transport.(*http.Transport).CloseIdleConnections()
	}
}
