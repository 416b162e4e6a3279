package browser

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The cookies of the gin example's browser Guard: CookieConfig's defaults
// with RefreshPath "/cookie/session".
const (
	accessCookie  = "__Host-access_token"
	refreshCookie = "__Secure-refresh_token"
	csrfCookie    = "__Host-csrf_token"
	csrfHeader    = "X-CSRF-Token"
	refreshPath   = "/cookie/session"
)

var sessionCookies = []string{accessCookie, refreshCookie, csrfCookie}

// Bounds of the waits. The whole test takes a few seconds once the example
// is built.
const (
	buildTimeout   = 3 * time.Minute // a cold build of examples/gin
	serverStartup  = 10 * time.Second
	browserStartup = 15 * time.Second
	stepTimeout    = 5 * time.Second // one fetch or cookie command
	testTimeout    = 2 * time.Minute // everything the browser does
)

// TestCookieSession drives the cookie session of examples/gin from a page
// of the server's own origin, as the example's README describes it. Each
// scenario starts from a fresh login in an empty cookie jar.
func TestCookieSession(t *testing.T) {
	chrome := findChromium(t)
	began := time.Now()
	base := startExample(t)
	b := startBrowser(t, chrome, base)
	t.Logf("example built and started, browser started, in %v", time.Since(began).Round(time.Millisecond))

	// Login through fetch sets the three cookies with the attributes the
	// prefixes demand, and the access cookie then authenticates.
	t.Run("login", func(t *testing.T) {
		csrf := b.login(t)
		jar := b.cookies(t)
		for _, want := range []struct {
			name, path string
			httpOnly   bool
		}{
			{accessCookie, "/", true},
			{refreshCookie, refreshPath, true},
			{csrfCookie, "/", false},
		} {
			c := jar[want.name]
			switch {
			case c == nil:
				t.Fatalf("the browser did not keep %s (it holds %v)", want.name, names(jar))
			case c.Path != want.path || c.HTTPOnly != want.httpOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict:
				t.Errorf("%s: Path=%s HttpOnly=%v Secure=%v SameSite=%s; want Path=%s HttpOnly=%v Secure SameSite=Strict",
					c.Name, c.Path, c.HTTPOnly, c.Secure, c.SameSite, want.path, want.httpOnly)
			}
		}
		if v := jar[csrfCookie].Value; v != csrf {
			t.Errorf("csrf_token in the login body %q, in the cookie %q", csrf, v)
		}
		// The page's script reads the CSRF cookie and nothing else.
		visible := b.documentCookie(t)
		if !strings.Contains(visible, csrfCookie+"=") || strings.Contains(visible, "access_token") || strings.Contains(visible, "refresh_token") {
			t.Errorf("document.cookie = %q: want the CSRF cookie only", visible)
		}
		b.fetch(t, request{Method: "GET", Path: "/cookie/protected"}).want(t, http.StatusOK, "")
	})

	// The browser drops the access cookie once it expires (here: deletes
	// it). Logout with the refresh cookie and the CSRF header still
	// succeeds, and expires every cookie.
	t.Run("logout after the access cookie expired", func(t *testing.T) {
		b.login(t)
		b.dropAccessCookie(t)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/logout", CSRF: true}).want(t, http.StatusNoContent, "")
		b.wantNoSessionCookies(t)
	})

	// That logout ends the session on the server, not only in the
	// browser: the refresh cookie copied before it, put back, is revoked,
	// and so is the access token the browser had dropped.
	t.Run("session ended on the server", func(t *testing.T) {
		b.login(t)
		saved := b.cookies(t)
		b.dropAccessCookie(t)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/logout", CSRF: true}).want(t, http.StatusNoContent, "")

		b.restore(t, saved, refreshCookie, csrfCookie)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/refresh", CSRF: true}).want(t, http.StatusUnauthorized, "revoked_token")
		b.restore(t, saved, accessCookie, csrfCookie)
		b.fetch(t, request{Method: "GET", Path: "/cookie/protected"}).want(t, http.StatusUnauthorized, "revoked_token")
	})

	// A forged logout (another site's request cannot read the CSRF cookie,
	// so it sends no header or a guessed one) is refused and ends nothing.
	// The response still expires the cookies, as every logout response
	// does; once they are put back the session works and refreshes.
	t.Run("forged logout", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			dropAccess bool   // the browser has dropped its access cookie
			header     string // X-CSRF-Token sent; "" for none
		}{
			{"no header", false, ""},
			{"guessed header", false, "forged"},
			{"no header, refresh cookie only", true, ""},
			{"guessed header, refresh cookie only", true, "forged"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.login(t)
				saved := b.cookies(t)
				if tc.dropAccess {
					b.dropAccessCookie(t)
				}
				b.fetch(t, request{Method: "POST", Path: refreshPath + "/logout", CSRFValue: tc.header}).want(t, http.StatusForbidden, "invalid_csrf_token")
				b.wantNoSessionCookies(t)

				b.restore(t, saved, sessionCookies...)
				b.fetch(t, request{Method: "GET", Path: "/cookie/protected"}).want(t, http.StatusOK, "")
				b.fetch(t, request{Method: "POST", Path: refreshPath + "/refresh", CSRF: true}).want(t, http.StatusOK, "")
				b.fetch(t, request{Method: "GET", Path: "/cookie/protected"}).want(t, http.StatusOK, "")
			})
		}
	})

	t.Logf("total %v", time.Since(began).Round(time.Millisecond))
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
	t.Skip("no chromium, chromium-browser or google-chrome in PATH: skipping the browser test (on Debian or Ubuntu: apt-get install -y chromium)")
	return ""
}

// startExample builds examples/gin, runs it on a free port with ephemeral
// keys and the memory store, and returns its base URL on localhost, where
// Chromium accepts Secure cookies over plain HTTP. The server is stopped
// when the test ends.
func startExample(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not in PATH, cannot build examples/gin: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gin-example")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	bctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(bctx, goTool, "build", "-o", bin, "github.com/pasetoauth/pasetoauth/examples/gin")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/gin: %v\n%s", err, out)
	}

	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = exampleEnv(port)
	var logs bytes.Buffer // read only once the process has exited
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start examples/gin: %v", err)
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
			t.Errorf("examples/gin did not stop within 5s of SIGINT")
		}
		if t.Failed() {
			t.Logf("examples/gin exited (%v); its log:\n%s", waitErr, &logs)
		}
	})

	base := "http://localhost:" + port
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(serverStartup)
	for {
		select {
		case <-exited:
			t.Fatalf("examples/gin exited at start: %v\n%s", waitErr, &logs)
		default:
		}
		// The readiness probe goes to the loopback address itself; the
		// browser uses the localhost name.
		resp, err := client.Get("http://127.0.0.1:" + port + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("examples/gin does not answer GET / within %v: %v", serverStartup, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago. The
// example takes a port number (PORT), not a listener, and listens on every
// interface; the test talks to it over loopback only.
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

// exampleEnv is the test's environment without the variables the example
// reads, plus PORT: ephemeral keys, the memory store, gin quiet.
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

// tab is a Chromium tab showing a page of the example's origin.
type tab struct {
	ctx  context.Context
	base string
}

// startBrowser starts a headless Chromium with a fresh profile and opens
// base+"/" in it. The browser is closed when the test ends.
func startBrowser(t *testing.T, chrome, base string) *tab {
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
			t.Logf("chromium output:\n%s", out)
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

	b := &tab{ctx: ctx, base: base}
	sctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("open %s/: %v", base, err)
	}
	return b
}

// step bounds one command sent to the browser.
func (b *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// request is a fetch made by the page.
type request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Body, when set, is sent as application/json.
	Body string `json:"body,omitempty"`
	// CSRF makes the page read the CSRF cookie and echo it in the header,
	// as a real page does; the fetch fails if the page cannot read it.
	CSRF bool `json:"csrf,omitempty"`
	// CSRFValue, when set, is sent in the header instead.
	CSRFValue string `json:"csrfValue,omitempty"`
}

type response struct {
	Method string
	Path   string
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// fetchJS runs one request from the page: same origin, so the browser
// attaches the cookies whose Path matches.
const fetchJS = `(async (req) => {
	const headers = {};
	if (req.csrf) {
		const prefix = %[1]q + "=";
		const c = document.cookie.split("; ").find((c) => c.startsWith(prefix));
		if (!c) throw new Error("the page cannot read the CSRF cookie: " + JSON.stringify(document.cookie));
		headers[%[2]q] = c.slice(prefix.length);
	} else if (req.csrfValue) {
		headers[%[2]q] = req.csrfValue;
	}
	if (req.body) headers["Content-Type"] = "application/json";
	const r = await fetch(req.path, {method: req.method, headers, body: req.body, credentials: "same-origin", cache: "no-store"});
	return {status: r.status, body: await r.text()};
})(%[3]s)`

func (b *tab) fetch(t *testing.T, req request) response {
	t.Helper()
	arg, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := b.step()
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[response](fmt.Sprintf(fetchJS, csrfCookie, csrfHeader, arg), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s %s: %v", req.Method, req.Path, err)
	}
	r.Method, r.Path = req.Method, req.Path
	return r
}

// want checks the status and, when code is set, the error code of the
// library's JSON error body.
func (r response) want(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s %s: status %d %s; want %d %s", r.Method, r.Path, r.Status, r.Body, status, code)
	}
	if code == "" {
		return
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Error != code {
		t.Fatalf("%s %s: status %d, body %s; want error %q", r.Method, r.Path, r.Status, r.Body, code)
	}
}

// cookies returns the browser's cookies for the example's paths, by name.
func (b *tab) cookies(t *testing.T) map[string]*network.Cookie {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{
		URLs: []string{b.base + "/", b.base + "/cookie/protected", b.base + refreshPath + "/refresh", b.base + refreshPath + "/logout"},
	})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	jar := make(map[string]*network.Cookie)
	for _, c := range res.Cookies {
		if prev := jar[c.Name]; prev != nil {
			t.Fatalf("two %s cookies: Path=%s and Path=%s", c.Name, prev.Path, c.Path)
		}
		jar[c.Name] = c
	}
	return jar
}

// wantNoSessionCookies checks that the browser holds none of the session
// cookies. It does not stop the test, so that what follows still runs.
func (b *tab) wantNoSessionCookies(t *testing.T) {
	t.Helper()
	jar := b.cookies(t)
	for _, name := range sessionCookies {
		if c := jar[name]; c != nil {
			t.Errorf("the browser still holds %s (Path=%s)", name, c.Path)
		}
	}
}

// login empties the browser's cookie jar and logs in as the demo user
// test through fetch. It returns the CSRF value of the login body.
func (b *tab) login(t *testing.T) string {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("Network.clearBrowserCookies: %v", err)
	}
	r := b.fetch(t, request{Method: "POST", Path: "/cookie/login", Body: `{"username":"test","password":"test"}`})
	r.want(t, http.StatusOK, "")
	var login struct {
		User string `json:"user"`
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(r.Body), &login); err != nil || login.User != "test" || login.CSRF == "" {
		t.Fatalf("login body %s: want user test and a csrf_token (%v)", r.Body, err)
	}
	return login.CSRF
}

// dropAccessCookie deletes the access cookie from the browser, as the
// browser does when its Max-Age runs out, and checks that the refresh and
// CSRF cookies stay.
func (b *tab) dropAccessCookie(t *testing.T) {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: accessCookie, URL: b.base + "/"}); err != nil {
		t.Fatalf("Network.deleteCookies %s: %v", accessCookie, err)
	}
	jar := b.cookies(t)
	if jar[accessCookie] != nil || jar[refreshCookie] == nil || jar[csrfCookie] == nil {
		t.Fatalf("after dropping the access cookie the browser holds %v; want %s and %s only", names(jar), refreshCookie, csrfCookie)
	}
}

// restore puts the named cookies of saved back into the browser, with the
// attributes they had: a copy an attacker (or a backup of the profile) kept.
func (b *tab) restore(t *testing.T, saved map[string]*network.Cookie, names ...string) {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	for _, name := range names {
		c := saved[name]
		if c == nil {
			t.Fatalf("no saved %s cookie to restore", name)
		}
		p := network.SetCookieParams{
			Name:     c.Name,
			Value:    c.Value,
			URL:      b.base + c.Path, // host-only, as the prefixes require
			Path:     c.Path,
			Secure:   &c.Secure,
			HTTPOnly: &c.HTTPOnly,
			SameSite: c.SameSite,
		}
		if !c.Session {
			p.Expires = cdp.TimeSinceEpoch(c.Expires)
		}
		if _, err := chromedp.Call(ctx, network.SetCookie, p); err != nil {
			t.Fatalf("Network.setCookie %s: %v", name, err)
		}
	}
	jar := b.cookies(t)
	for _, name := range names {
		if c := jar[name]; c == nil || c.Value != saved[name].Value || c.Path != saved[name].Path {
			t.Fatalf("%s was not restored: the browser holds %v", name, jar[name])
		}
	}
}

// documentCookie is what the page's script sees of the cookies.
func (b *tab) documentCookie(t *testing.T) string {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatalf("document.cookie: %v", err)
	}
	return s
}

func names(jar map[string]*network.Cookie) []string {
	var out []string
	for n := range jar {
		out = append(out, n)
	}
	return out
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
