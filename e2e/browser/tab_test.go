package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// tab is a Chromium tab in a browser context of its own: its own cookie
// jar, which no other tab of the test shares (cookies are per host, not
// per port). base is the server whose pages it shows.
type tab struct {
	ctx  context.Context
	base string
}

// newTab opens a tab in a new browser context. It is closed, and its
// context disposed of, when the test ends.
func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run binds the tab to the context it is given: ctx itself,
	// never one with a timeout, which would end the tab with it.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open a tab in a new browser context: %v", err)
		}
	case <-time.After(stepTimeout):
		cancel()
		t.Fatalf("no tab in a new browser context within %v", stepTimeout)
	}
	return &tab{ctx: ctx}
}

// step bounds one command sent to the browser.
func (b *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// navigate opens url and waits for its load event.
func (b *tab) navigate(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into T.
func eval[T any](t *testing.T, b *tab, expr string) T {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// waitFor polls the JavaScript condition cond in the page until it is
// truthy, at most within, and returns the last value of expr. The poll
// runs in the page as one evaluation, without eval (which the page's
// policy refuses).
func waitFor[T any](t *testing.T, b *tab, cond, expr string, within time.Duration) T {
	t.Helper()
	js := fmt.Sprintf(`(async () => {
		const end = Date.now() + %d;
		for (;;) {
			if (%s) return {ok: true, v: %s};
			if (Date.now() > end) return {ok: false, v: %s};
			await new Promise((r) => setTimeout(r, 20));
		}
	})()`, within.Milliseconds(), cond, expr, expr)
	ctx, cancel := context.WithTimeout(b.ctx, within+stepTimeout)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		OK bool `json:"ok"`
		V  T    `json:"v"`
	}](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("wait for %s: %v", cond, err)
	}
	if !r.OK {
		t.Fatalf("%s is still false after %v (%v)", cond, within, r.V)
	}
	return r.V
}

// request is a fetch made by the page, bypassing its script.
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
	r := eval[response](t, b, fmt.Sprintf(fetchJS, csrfCookie, csrfHeader, arg))
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

// cookies returns the browser's cookies for the server's paths, by name.
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

// clearCookies empties the tab's cookie jar (its browser context's: no
// other tab's).
func (b *tab) clearCookies(t *testing.T) {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("Network.clearBrowserCookies: %v", err)
	}
}

// login empties the browser's cookie jar and logs in as the demo user
// test through fetch. It returns the CSRF value of the login body.
func (b *tab) login(t *testing.T) string {
	t.Helper()
	b.clearCookies(t)
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
	b.wantOnlyRefreshAndCSRF(t, "after dropping the access cookie")
}

// waitAccessCookieExpired waits, at most expiryTimeout, until the browser
// itself has dropped the access cookie at the end of its Max-Age, and
// checks that the refresh and CSRF cookies stay.
func (b *tab) waitAccessCookieExpired(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(expiryTimeout)
	for b.cookies(t)[accessCookie] != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the browser still holds %s %v after it was set", accessCookie, expiryTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.wantOnlyRefreshAndCSRF(t, "once the access cookie expired")
}

func (b *tab) wantOnlyRefreshAndCSRF(t *testing.T, when string) {
	t.Helper()
	jar := b.cookies(t)
	if jar[accessCookie] != nil || jar[refreshCookie] == nil || jar[csrfCookie] == nil {
		t.Fatalf("%s the browser holds %v; want %s and %s only", when, names(jar), refreshCookie, csrfCookie)
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
	return eval[string](t, b, `document.cookie`)
}

func names(jar map[string]*network.Cookie) []string {
	var out []string
	for n := range jar {
		out = append(out, n)
	}
	return out
}

// The page's side: app.js marks its state on <body data-state> and the
// outcome of each user action on #result (data-seq, data-status,
// data-code).

// result is the outcome of one action in the page.
type result struct {
	Seq    string `json:"seq"`
	Action string `json:"action"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Text   string `json:"text"`
}

const resultJS = `(() => { const el = document.getElementById("result"); return {seq: el.dataset.seq, action: el.dataset.action || "", status: el.dataset.status || "", code: el.dataset.code || "", text: el.textContent}; })()`

// openPage opens the page of base and waits until its script has settled
// on signed-in or signed-out; it returns which.
func (b *tab) openPage(t *testing.T, base string) string {
	t.Helper()
	b.base = base
	b.navigate(t, base+"/app")
	return b.settled(t)
}

// settled waits until the page is signed in or out.
func (b *tab) settled(t *testing.T) string {
	t.Helper()
	return waitFor[string](t, b, `["signed-in", "signed-out"].includes(document.body.dataset.state)`, `document.body.dataset.state`, stepTimeout)
}

// click clicks a button of the page with the mouse and waits until the
// action it starts has reported on #result.
func (b *tab) click(t *testing.T, sel string) result {
	t.Helper()
	before := eval[result](t, b, resultJS)
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	return waitFor[result](t, b, fmt.Sprintf(`document.getElementById("result").dataset.seq !== %q`, before.Seq), resultJS, stepTimeout)
}

// signIn fills the page's form with the demo user test and submits it.
func (b *tab) signIn(t *testing.T) result {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("username"), "test"),
		chromedp.SetValue(chromedp.ID("password"), "test"),
	); err != nil {
		t.Fatalf("fill the sign-in form: %v", err)
	}
	return b.click(t, "#login")
}

// fill sets the value of the page's input with id, as typing would.
func (b *tab) fill(t *testing.T, id, value string) {
	t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID(id), value)); err != nil {
		t.Fatalf("fill #%s: %v", id, err)
	}
}

// visible reports whether the element with id is shown: neither it nor an
// ancestor is hidden.
func (b *tab) visible(t *testing.T, id string) bool {
	t.Helper()
	return eval[bool](t, b, fmt.Sprintf(`document.getElementById(%q).checkVisibility()`, id))
}

// want checks the status and code an action reported.
func (r result) want(t *testing.T, action string, status int, code string) {
	t.Helper()
	if r.Action != action || r.Status != fmt.Sprint(status) || r.Code != code {
		t.Fatalf("the page reports %q (action %q, status %s, code %q); want %s answered %d %s", r.Text, r.Action, r.Status, r.Code, action, status, code)
	}
}

// text returns the textContent of the element with id.
func (b *tab) text(t *testing.T, id string) string {
	t.Helper()
	return eval[string](t, b, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// state returns the page's state (body[data-state]).
func (b *tab) state(t *testing.T) string {
	t.Helper()
	return eval[string](t, b, `document.body.dataset.state`)
}

// logged returns the request lines the page logged, newest first.
func (b *tab) logged(t *testing.T) []string {
	t.Helper()
	return eval[[]string](t, b, `[...document.querySelectorAll("#log li")].map((li) => li.textContent)`)
}

// clearLog empties the page's log of its requests.
func (b *tab) clearLog(t *testing.T) {
	t.Helper()
	eval[bool](t, b, `document.getElementById("log").replaceChildren() === undefined`)
}

// wantLog checks the page's log of its requests, newest first.
func wantLog(t *testing.T, log []string, want ...string) {
	t.Helper()
	if !slices.Equal(log, want) {
		t.Fatalf("the page logged %q, want %q", log, want)
	}
}
