// Package browser holds end-to-end tests that drive a real headless
// Chromium against the six example servers (examples/gin, echo, echov5,
// fiber, fiberv3 and nethttp) and a reference server of the test's own. It
// has no code of its own: the tests check what only a browser can tell.
//
// For each server the test drives the page at GET /app (examples/webapp)
// with the mouse and keyboard, through the cookie routes alone: sign in,
// the protected route and the fresh-only one (POST /cookie/fresh), a
// refresh after which the fresh-only route asks for the password again and
// the fresh re-login (POST /cookie/fresh-login, a wrong password first)
// makes the session fresh again, the session list (GET /cookie/sessions:
// signing another device out, and every other one), a reload that resumes
// the session, and sign out. It checks the page's headers and that its
// Content-Security-Policy refuses HTML sinks; the cookies as the browser
// keeps them (__Host- and __Secure- prefixes, Secure on http://localhost,
// Path scoping, HttpOnly, SameSite=Strict), and that a fresh re-login
// replaces the access cookie only; that unsafe requests without the CSRF
// header (refresh, the fresh-only route, the fresh re-login,
// revoke-others) are refused; that another site's form posts (from
// 127.0.0.1, another site than localhost) to logout and to revoke-others
// end nothing; that the page survives the expiry of the access cookie (the
// servers run a second time with PASETO_ACCESS_LIFETIME=2s, and the
// browser drops the cookie itself); and that logout once the access cookie
// has expired ends the session, so that the refresh token is refused
// afterwards. The cookie session is then driven through fetch calls from
// the page's origin (logout, forged logout and server-side revocation,
// with cookies dropped and restored).
//
// The reference server serves the page and its cookie routes in a few
// lines of net/http: a failure there and not in the examples is the
// examples', one everywhere is most likely the page's.
//
// # Running
//
//	go test ./e2e/browser
//
// The test builds the six examples with one go command, runs each twice on
// free loopback ports with ephemeral keys and the memory store, and ends
// with a line counting servers × checks (shown with -v). It needs
// Chromium or Chrome in PATH and skips without one, saying so (go test -v
// ./e2e/browser | grep SKIP); on Debian or Ubuntu install it with
//
//	apt-get install -y chromium
//
// Chromium runs headless, without a GPU, the sandbox or any background
// networking, with a fresh profile in a temporary directory and a browser
// context (a cookie jar) per server, and talks to the test over a pipe: it
// opens no debugging port.
package browser
