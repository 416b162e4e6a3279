package browser

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The cookies of the examples' browser Guard: CookieConfig's defaults with
// RefreshPath "/cookie/session".
const (
	accessCookie  = "__Host-access_token"
	refreshCookie = "__Secure-refresh_token"
	csrfCookie    = "__Host-csrf_token"
	csrfHeader    = "X-CSRF-Token"
	refreshPath   = "/cookie/session"
	sessionsPath  = "/cookie/sessions"
)

// The page's actions on the fresh-only route and the fresh re-login, as
// it reports them.
const (
	freshAction      = "POST /cookie/fresh"
	freshLoginAction = "POST /cookie/fresh-login"
)

var sessionCookies = []string{accessCookie, refreshCookie, csrfCookie}

// examples are the example servers, by directory under examples/; all
// serve the same HTTP contract, and the page at GET /app.
var examples = []string{"gin", "echo", "echov5", "fiber", "fiberv3", "nethttp"}

// shortLifetime is the access-token lifetime of the servers that test
// expiry (PASETO_ACCESS_LIFETIME). The access cookie's Max-Age counts whole
// seconds, rounded down: 2s gives Max-Age=1, so the browser drops the
// cookie a second after each login or refresh.
const shortLifetime = 2 * time.Second

// Bounds of the waits. The whole test takes some seconds once the examples
// are built.
const (
	buildTimeout   = 4 * time.Minute // a cold build of the six examples
	serverStartup  = 10 * time.Second
	browserStartup = 15 * time.Second
	stepTimeout    = 10 * time.Second // one browser command, fetch or page action
	expiryTimeout  = 6 * time.Second  // until the browser drops an access cookie
	testTimeout    = 3 * time.Minute  // everything the browser does
)

// server is one server the test drives, twice: with the default lifetimes
// (long) and with shortLifetime (short).
type server struct {
	name        string
	long, short string // base URLs on localhost
}

// TestBrowser drives the page at GET /app of every example, and of the
// test's own reference server (servers_test.go), in a real headless
// Chromium; then the cookie session through fetch calls from that page.
// Every server passes every check, through the cookie routes alone. Each server gets a browser context of its own (its own cookie
// jar) and runs in parallel with the others. The summary line counts
// servers × checks.
func TestBrowser(t *testing.T) {
	chrome := findChromium(t)
	began := time.Now()

	bins := buildExamples(t)
	built := time.Since(began)

	var servers []*server
	for _, name := range examples {
		servers = append(servers, &server{
			name:  name,
			long:  startExample(t, name, bins[name], nil),
			short: startExample(t, name, bins[name], []string{"PASETO_ACCESS_LIFETIME=" + shortLifetime.String()}),
		})
	}
	servers = append(servers, &server{
		name:  "reference",
		long:  startReference(t, 0),
		short: startReference(t, shortLifetime),
	})
	forger := startForger(t)
	browser := startBrowser(t, chrome)
	t.Logf("%d examples built in %v; %d servers, the other site and the browser started in %v",
		len(examples), built.Round(time.Millisecond), 2*len(servers), (time.Since(began) - built).Round(time.Millisecond))

	// The servers run all at once, whatever go test's -parallel (which
	// defaults to the number of CPUs), so that their waits for the access
	// cookies to expire overlap.
	tally := newTally()
	t.Run("servers", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() {
				t.Run(s.name, func(t *testing.T) {
					began := time.Now()
					b := newTab(t, browser)
					runScenarios(t, s, b, forger, tally.checker(s.name))
					t.Logf("%s: %v", s.name, time.Since(began).Round(time.Millisecond))
				})
			})
		}
		wg.Wait()
	})
	passed, failed, checks := tally.sum()
	t.Logf("browser test: %d servers (%d examples + reference) × %d checks = %d passed, %d failed, in %v (build %v)",
		len(servers), len(examples), checks, passed, failed, time.Since(began).Round(time.Millisecond), built.Round(time.Millisecond))
}

// tally counts the checks each server passed and failed.
type tally struct {
	mu     sync.Mutex
	passed map[string]int
	failed map[string]int
}

func newTally() *tally { return &tally{passed: map[string]int{}, failed: map[string]int{}} }

// checker returns how a server's scenarios run a check: as a subtest,
// counted.
func (y *tally) checker(name string) func(t *testing.T, check string, f func(t *testing.T)) bool {
	return func(t *testing.T, check string, f func(t *testing.T)) bool {
		t.Helper()
		ok := t.Run(check, f)
		y.mu.Lock()
		defer y.mu.Unlock()
		if ok {
			y.passed[name]++
		} else {
			y.failed[name]++
		}
		return ok
	}
}

// sum returns the checks passed and failed over all servers, and the most
// checks one server ran.
func (y *tally) sum() (passed, failed, perServer int) {
	y.mu.Lock()
	defer y.mu.Unlock()
	for name, n := range y.passed {
		passed += n
		perServer = max(perServer, n+y.failed[name])
	}
	for name, n := range y.failed {
		failed += n
		perServer = max(perServer, n+y.passed[name])
	}
	return passed, failed, perServer
}

// findChromium returns the path of a Chromium or Chrome binary in PATH, or
// skips the test.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIP: the browser test needs Chromium or Chrome: no chromium, chromium-browser or google-chrome in PATH (on Debian or Ubuntu: apt-get install -y chromium)")
	return ""
}

// buildExamples builds the six examples with one go command, which builds
// their shared packages once and in parallel (GOMAXPROCS at a time), and
// returns the binaries by example name.
func buildExamples(t *testing.T) map[string]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("SKIP: the go command is not in PATH, cannot build the examples: %v", err)
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, name := range examples {
		args = append(args, "github.com/pasetoauth/pasetoauth/examples/"+name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goTool, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	bins := make(map[string]string)
	for _, name := range examples {
		bin := filepath.Join(dir, name)
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("go build wrote no %s: %v", bin, err)
		}
		bins[name] = bin
	}
	return bins
}

// startExample runs an example binary on a free port with ephemeral keys,
// the memory store and env, and returns its base URL on localhost, where
// Chromium accepts Secure cookies over plain HTTP. The server is stopped
// when the test ends.
func startExample(t *testing.T, name, bin string, env []string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(exampleEnv(port), env...)
	var logs bytes.Buffer // read only once the process has exited
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start examples/%s: %v", name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// A graceful shutdown first, as an operator's Ctrl-C.
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			_ = cmd.Process.Kill()
		}
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("examples/%s did not stop within 5s of SIGINT", name)
		}
		if t.Failed() {
			t.Logf("examples/%s %v exited (%v); the end of its log:\n%s", name, env, waitErr, tail(logs.String(), 2000))
		}
	})

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(serverStartup)
	for {
		select {
		case <-exited:
			t.Fatalf("examples/%s exited at start: %v\n%s", name, waitErr, &logs)
		default:
		}
		// The readiness probe goes to the loopback address itself; the
		// browser uses the localhost name.
		resp, err := client.Get("http://127.0.0.1:" + port + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "http://localhost:" + port
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("examples/%s does not answer GET / within %v: %v", name, serverStartup, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago. The
// examples take a port number (PORT), not a listener, and listen on every
// interface; the test talks to them over loopback only.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// exampleEnv is the test's environment without the variables the examples
// read, plus PORT: ephemeral keys, the memory store, gin quiet.
func exampleEnv(port string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "PORT", name == "REDIS_URL", name == "GIN_MODE", strings.HasPrefix(name, "PASETO_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PORT="+port, "GIN_MODE=release")
}

// startBrowser starts a headless Chromium with a fresh profile and returns
// the context of its first tab, from which newTab opens the others. The
// browser is closed when the test ends.
func startBrowser(t *testing.T, chrome string) context.Context {
	t.Helper()
	out := &syncBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The network is closed: without these Chromium stalls on
		// refused connections to its own services.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// One renderer process per tab rather than per site: the cookie
		// rules are the same, and on two cores the process swaps of the
		// cross-site navigations would dominate the test's time.
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "site-per-process,IsolateOrigins,BackForwardCache"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	}
	// The browser lives as long as this context (see chromedp.NewContext):
	// testTimeout bounds everything it does.
	root, cancelRoot := context.WithTimeout(context.Background(), testTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		// Shown with the browser's output if the test fails; t.Logf could
		// run after the test has ended.
		fmt.Fprintf(out, "chromedp: "+format+"\n", args...)
	}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelRoot()
		if t.Failed() {
			t.Logf("the end of chromium's output:\n%s", tail(out.String(), 4000))
		}
	})

	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\n%s", chrome, err, out)
		}
	case <-time.After(browserStartup):
		cancelTab()
		t.Fatalf("%s did not start within %v\n%s", chrome, browserStartup, out)
	}
	return ctx
}

// tail is the end of a log, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer collects the browser's output, written from another
// goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
