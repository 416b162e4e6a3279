// Package browser holds end-to-end tests that drive a real headless
// Chromium against the gin example server (examples/gin). It has no code of
// its own: the tests check what only a browser can tell, that the cookie
// session of the examples works with the cookie rules browsers apply
// (__Host- and __Secure- prefixes, Secure on http://localhost, Path
// scoping, HttpOnly, SameSite=Strict), and that logout really ends the
// session once the browser has dropped an expired access cookie.
//
// # Running
//
//	go test ./e2e/browser
//
// The test builds examples/gin with the go command, runs it on a free
// loopback port with ephemeral keys and the memory store, and drives it
// through fetch calls in a page of the server's own origin. It skips when no
// Chromium or Chrome binary is in PATH; on Debian or Ubuntu install one with
//
//	apt-get install -y chromium
//
// Chromium runs headless, without a GPU, the sandbox or any background
// networking, with a fresh profile in a temporary directory, and talks to
// the test over a pipe: it opens no debugging port.
package browser
