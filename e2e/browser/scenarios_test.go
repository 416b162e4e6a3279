package browser

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pasetoauth/pasetoauth/examples/webapp"
)

// checkFunc runs one named check of a server as a subtest, and counts it.
type checkFunc func(t *testing.T, name string, f func(t *testing.T)) bool

// runScenarios runs every check against one server, in order, in the
// tab b: first the server with default lifetimes, then the one with short
// ones. Each check leaves the browser signed in or out as the next one
// expects.
func runScenarios(t *testing.T, s *server, b *tab, f *forger, check checkFunc) {
	check(t, "page served with its headers", func(t *testing.T) {
		for path, contentType := range map[string]string{
			webapp.PagePath:   "text/html; charset=utf-8",
			webapp.ScriptPath: "text/javascript; charset=utf-8",
		} {
			r := get(t, s.long+path)
			if r.StatusCode != http.StatusOK || len(r.body) == 0 {
				t.Fatalf("GET %s: status %d, %d bytes", path, r.StatusCode, len(r.body))
			}
			for name, want := range map[string]string{
				"Content-Type":            contentType,
				"Cache-Control":           "no-store",
				"Content-Security-Policy": webapp.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
			} {
				if got := r.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("GET %s: %s %q, want %q", path, name, got, want)
				}
			}
		}
	})

	// The page, driven with the mouse and keyboard as a user would.
	ok := check(t, "sign in through the page", func(t *testing.T) {
		if st := b.openPage(t, s.long); st != "signed-out" {
			t.Fatalf("a fresh browser opens the page %s, want signed-out", st)
		}
		b.signIn(t).want(t, "POST /cookie/login", http.StatusOK, "")
		if st, user, fresh := b.state(t), b.text(t, "user"), b.text(t, "fresh"); st != "signed-in" || user != "test" || fresh != "yes" {
			t.Fatalf("after signing in the page is %s, user %q, fresh %q; want signed-in, test, yes", st, user, fresh)
		}
	})
	if !ok {
		return // nothing else can pass
	}

	check(t, "the page's policy refuses HTML sinks", func(t *testing.T) {
		// Trusted Types with no policy: the browser refuses to parse a
		// string as HTML, whoever asks.
		got := eval[string](t, b, `(() => { try { document.createElement("div").innerHTML = "<b>x</b>"; return "allowed"; } catch (e) { return e.name; } })()`)
		if got != "TypeError" {
			t.Errorf("innerHTML under the page's policy: %s, want a TypeError", got)
		}
	})

	check(t, "cookies as the browser stores them", func(t *testing.T) {
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
			case c.Path != want.path || c.HTTPOnly != want.httpOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict || c.Domain != "localhost" || c.Session:
				t.Errorf("%s: Domain=%s Path=%s HttpOnly=%v Secure=%v SameSite=%s Session=%v; want host-only localhost, Path=%s HttpOnly=%v Secure SameSite=Strict, persistent",
					c.Name, c.Domain, c.Path, c.HTTPOnly, c.Secure, c.SameSite, c.Session, want.path, want.httpOnly)
			}
		}
		// The page's script reads the CSRF cookie and nothing else.
		visible := b.documentCookie(t)
		if !strings.Contains(visible, csrfCookie+"=") || strings.Contains(visible, "access_token") || strings.Contains(visible, "refresh_token") {
			t.Errorf("document.cookie = %q: want the CSRF cookie only", visible)
		}
	})

	check(t, "protected route, and a reload resumes the session", func(t *testing.T) {
		b.click(t, "#call-protected").want(t, "GET /cookie/protected", http.StatusOK, "")
		if st := b.openPage(t, s.long); st != "signed-in" {
			t.Fatalf("reloaded, the page is %s, want signed-in", st)
		}
	})

	// The fresh-only route takes the access cookie of the sign-in: one
	// request, with the CSRF header.
	check(t, "fresh-only route", func(t *testing.T) {
		b.clearLog(t)
		b.click(t, "#call-fresh").want(t, freshAction, http.StatusOK, "")
		wantLog(t, b.logged(t), freshAction+" → 200")
	})

	// A refresh keeps the session but not its freshness: the fresh-only
	// route then asks for the password again, and the fresh re-login
	// sets a fresh access cookie in the same session.
	check(t, "fresh re-login after a refresh", func(t *testing.T) {
		b.click(t, "#refresh").want(t, "POST "+refreshPath+"/refresh", http.StatusOK, "")
		if fresh := b.text(t, "fresh"); fresh != "no" {
			t.Fatalf("after a refresh the page shows fresh %q, want no", fresh)
		}
		saved := b.cookies(t)
		r := b.click(t, "#call-fresh")
		r.want(t, freshAction, http.StatusUnauthorized, "insufficient_user_authentication")
		if !b.visible(t, "fresh-form") {
			t.Fatalf("the page reports %q but shows no password prompt", r.Text)
		}
		b.fill(t, "fresh-password", "wrong")
		b.click(t, "#fresh-login").want(t, freshLoginAction, http.StatusUnauthorized, "invalid_credentials")
		if !b.visible(t, "fresh-form") {
			t.Fatal("after a wrong password the password prompt is gone")
		}
		b.fill(t, "fresh-password", "test")
		b.click(t, "#fresh-login").want(t, freshLoginAction, http.StatusOK, "")
		if b.visible(t, "fresh-form") || b.text(t, "fresh") != "yes" {
			t.Fatalf("after the fresh re-login the page shows the prompt %v, fresh %q; want no prompt, fresh yes", b.visible(t, "fresh-form"), b.text(t, "fresh"))
		}
		// A new access cookie; the refresh and CSRF cookies as they were.
		jar := b.cookies(t)
		if jar[accessCookie] == nil || jar[accessCookie].Value == saved[accessCookie].Value || !jar[accessCookie].HTTPOnly {
			t.Errorf("after the fresh re-login the browser holds access cookie %v, want a new HttpOnly one", jar[accessCookie])
		}
		for _, name := range []string{refreshCookie, csrfCookie} {
			if c := jar[name]; c == nil || c.Value != saved[name].Value {
				t.Errorf("after the fresh re-login the browser's %s is %v, want it unchanged", name, c)
			}
		}
		b.clearLog(t)
		b.click(t, "#call-fresh").want(t, freshAction, http.StatusOK, "")
		wantLog(t, b.logged(t), freshAction+" → 200")
	})

	check(t, "unsafe requests without the CSRF header refused", func(t *testing.T) {
		for _, path := range []string{refreshPath + "/refresh", "/cookie/fresh", "/cookie/fresh-login", sessionsPath + "/revoke-others"} {
			b.fetch(t, request{Method: "POST", Path: path}).want(t, http.StatusForbidden, "invalid_csrf_token")
			b.fetch(t, request{Method: "POST", Path: path, CSRFValue: "guessed"}).want(t, http.StatusForbidden, "invalid_csrf_token")
		}
		b.click(t, "#call-protected").want(t, "GET /cookie/protected", http.StatusOK, "")
	})

	check(t, "session list", func(t *testing.T) {
		// Another device signs in with a User-Agent that is HTML: the page
		// lists it as text.
		const hostile = `<img src=x onerror="window.pwned=1">Evil/1.0`
		other := signInDevice(t, s.long, hostile)
		b.click(t, "#list-sessions").want(t, "GET "+sessionsPath, http.StatusOK, "")
		items := b.sessionItems(t)
		if len(items) != 2 || items[0].Current == items[1].Current {
			t.Fatalf("the page lists %+v; want this browser and the other device", items)
		}
		if !strings.Contains(items[0].Text+items[1].Text, hostile) {
			t.Errorf("the page lists %+v; want the other device's User-Agent as text: %s", items, hostile)
		}
		if n := eval[int](t, b, `document.querySelectorAll("#sessions img").length`); n != 0 || eval[bool](t, b, `"pwned" in window`) {
			t.Fatalf("the User-Agent was parsed as HTML: %d img elements in the list", n)
		}

		// "Sign out" on the other device's line ends that session only.
		b.click(t, "#sessions li:not([data-current]) button").want(t, "DELETE "+sessionsPath+"/{id}", http.StatusNoContent, "")
		if items := b.sessionItems(t); len(items) != 1 || !items[0].Current {
			t.Fatalf("after signing the other device out the page lists %+v; want this browser only", items)
		}
		if status, code := other.status(t); status != http.StatusUnauthorized || code != "revoked_token" {
			t.Errorf("the device signed out: GET /cookie/protected %d %s, want 401 revoked_token", status, code)
		}

		// "Sign out everywhere else" ends every other session.
		others := []*device{signInDevice(t, s.long, "Phone/1.0"), signInDevice(t, s.long, "Laptop/1.0")}
		b.click(t, "#revoke-others").want(t, "POST "+sessionsPath+"/revoke-others", http.StatusNoContent, "")
		if items := b.sessionItems(t); len(items) != 1 || !items[0].Current {
			t.Fatalf("after signing out everywhere else the page lists %+v; want this browser only", items)
		}
		for _, d := range others {
			if status, code := d.status(t); status != http.StatusUnauthorized || code != "revoked_token" {
				t.Errorf("another device: GET /cookie/protected %d %s, want 401 revoked_token", status, code)
			}
		}
		b.click(t, "#call-protected").want(t, "GET /cookie/protected", http.StatusOK, "")
	})

	check(t, "cross-site form posts end nothing", func(t *testing.T) {
		// Another site's forms post to logout and to "sign out everywhere
		// else", with a second device signed in. The browser sends no
		// SameSite=Strict cookie with another site's request, so the
		// server sees none, refuses, and ends nothing.
		other := signInDevice(t, s.long, "Other/1.0")
		saved := b.cookies(t)
		forged := func(path string) {
			t.Helper()
			status, body := b.forge(t, f, s.long+path)
			if status != http.StatusUnauthorized || !strings.Contains(body, `"missing_token"`) {
				t.Fatalf("POST %s from another site: %d %s; want 401 missing_token (no cookie sent)", path, status, body)
			}
		}

		forged(refreshPath + "/logout")
		// The refused logout's answer expires the cookies, as every
		// logout answer does, and the browser applies it: a top-level
		// navigation may set SameSite cookies. So the other site signs
		// the browser out locally; the session itself lives on, as the
		// cookies put back show.
		if jar := b.cookies(t); len(jar) != 0 {
			t.Errorf("after the forged logout the browser holds %v: the refused logout no longer expires the cookies? update this check", names(jar))
		}
		b.restore(t, saved, sessionCookies...)

		forged(sessionsPath + "/revoke-others")
		for _, name := range sessionCookies {
			if c := b.cookies(t)[name]; c == nil || c.Value != saved[name].Value {
				t.Errorf("after the forged revoke-others the browser's %s is %v, want it unchanged", name, c)
			}
		}
		if status, code := other.status(t); status != http.StatusOK {
			t.Errorf("the other device after the forged posts: GET /cookie/protected %d %s, want 200", status, code)
		}
		if st := b.openPage(t, s.long); st != "signed-in" {
			t.Fatalf("after the forged posts the page is %s, want signed-in", st)
		}
		b.click(t, "#call-protected").want(t, "GET /cookie/protected", http.StatusOK, "")
	})

	// The cookie session through fetch calls from the page's origin,
	// with the browser's cookie rules: each check starts from a fresh
	// login in an empty cookie jar.
	check(t, "logout after the access cookie was dropped", func(t *testing.T) {
		b.login(t)
		b.dropAccessCookie(t)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/logout", CSRF: true}).want(t, http.StatusNoContent, "")
		b.wantNoSessionCookies(t)
	})

	// That logout ends the session on the server, not only in the
	// browser: the refresh cookie copied before it, put back, is revoked,
	// and so is the access token the browser had dropped.
	check(t, "session ended on the server", func(t *testing.T) {
		b.login(t)
		saved := b.cookies(t)
		b.dropAccessCookie(t)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/logout", CSRF: true}).want(t, http.StatusNoContent, "")

		b.restore(t, saved, refreshCookie, csrfCookie)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/refresh", CSRF: true}).want(t, http.StatusUnauthorized, "revoked_token")
		b.restore(t, saved, accessCookie, csrfCookie)
		b.fetch(t, request{Method: "GET", Path: "/cookie/protected"}).want(t, http.StatusUnauthorized, "revoked_token")
	})

	// A forged logout from the page's origin (a script that cannot read
	// the CSRF cookie sends no header or a guessed one) is refused and
	// ends nothing. The response still expires the cookies, as every
	// logout response does; once they are put back the session works and
	// refreshes.
	check(t, "forged logout", func(t *testing.T) {
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

	// Real expiry, on the server whose access tokens live shortLifetime.
	check(t, "short access lifetime from the environment", func(t *testing.T) {
		req, err := http.NewRequest("POST", s.short+"/cookie/login", strings.NewReader(`{"username":"test","password":"test"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		r := do(t, req)
		var login struct {
			ExpiresIn int64 `json:"expires_in"`
		}
		if err := json.Unmarshal(r.body, &login); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("POST /cookie/login: %d %s", r.StatusCode, bodyOf(r.body))
		}
		if want := int64(shortLifetime.Seconds()); login.ExpiresIn != want {
			t.Fatalf("expires_in %d with PASETO_ACCESS_LIFETIME=%v, want %d: does the server read PASETO_ACCESS_LIFETIME?", login.ExpiresIn, shortLifetime, want)
		}
	})

	check(t, "access cookie expiry survived", func(t *testing.T) {
		b.clearCookies(t)
		if st := b.openPage(t, s.short); st != "signed-out" {
			t.Fatalf("with no cookies the page is %s, want signed-out", st)
		}
		b.signIn(t).want(t, "POST /cookie/login", http.StatusOK, "")
		// The browser drops the access cookie at the end of its Max-Age;
		// the page's next call is refused, refreshes, and is retried with
		// the new access cookie. (The test reads the page's log of its
		// requests, not the jar: on a loaded machine the new cookie may
		// have expired again by the time the jar is read.)
		b.waitAccessCookieExpired(t)
		b.clearLog(t)
		b.click(t, "#call-protected").want(t, "GET /cookie/protected", http.StatusOK, "")
		wantLog(t, b.logged(t),
			"GET /cookie/protected → 200",
			"POST "+refreshPath+"/refresh → 200",
			"GET /cookie/protected → 401 missing_token")
		// A reload once it expired again resumes the session the same way.
		b.waitAccessCookieExpired(t)
		if st := b.openPage(t, s.short); st != "signed-in" {
			t.Fatalf("reloaded after the access cookie expired, the page is %s, want signed-in", st)
		}
	})

	check(t, "logout after the access cookie expired ends the session", func(t *testing.T) {
		b.waitAccessCookieExpired(t)
		saved := b.cookies(t)
		b.click(t, "#logout").want(t, "POST "+refreshPath+"/logout", http.StatusNoContent, "")
		if st := b.state(t); st != "signed-out" {
			t.Errorf("after signing out the page is %s, want signed-out", st)
		}
		b.wantNoSessionCookies(t)
		// The refresh token the browser held is refused from now on.
		b.restore(t, saved, refreshCookie, csrfCookie)
		b.fetch(t, request{Method: "POST", Path: refreshPath + "/refresh", CSRF: true}).want(t, http.StatusUnauthorized, "revoked_token")
		b.clearCookies(t)
	})
}

// sessionItem is one line of the page's session list.
type sessionItem struct {
	Text    string `json:"text"`
	Current bool   `json:"current"`
}

func (b *tab) sessionItems(t *testing.T) []sessionItem {
	t.Helper()
	return eval[[]sessionItem](t, b, `[...document.querySelectorAll("#sessions li")].map((li) => ({text: li.querySelector(".device").textContent, current: li.dataset.current === "true"}))`)
}

// forge opens a page of the other site and submits its form, which posts
// to target; it returns the status and text of the answer, as the browser
// shows it.
func (b *tab) forge(t *testing.T, f *forger, target string) (int, string) {
	t.Helper()
	b.navigate(t, f.base+"/?to="+url.QueryEscape(target))
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("go")))
	if err != nil {
		t.Fatalf("submit the other site's form to %s: %v", target, err)
	}
	if resp.URL != target {
		t.Fatalf("the other site's form landed on %s, want %s", resp.URL, target)
	}
	return int(resp.Status), eval[string](t, b, `document.body.innerText`)
}
