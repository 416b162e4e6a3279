// Package webapp is the browser page of the pasetoauth examples: one plain
// HTML page and one script, embedded in the binary, with no build step. It
// signs in through the cookie routes of the examples' HTTP contract, shows
// the user, calls the protected route and the fresh-only one with the CSRF
// header, asks for the password again when the fresh-only route needs a
// recent sign-in (a fresh re-login, in the same session), survives the
// access cookie's expiry (on a 401 it refreshes the session once and
// retries), lists the user's sessions and signs them out, and signs out.
// It is a template to copy and restyle, not a product; the route table at
// the top of app.js is the part to adapt.
//
// Serve Page at GET /app and Script at GET /app/app.js (the page loads the
// script from that path). Both are http.Handlers, mounted the way each
// framework mounts one:
//
//	gin:       r.GET("/app", gin.WrapH(webapp.Page))
//	echo:      e.GET("/app", echo.WrapHandler(webapp.Page))
//	fiber:     app.Get("/app", adaptor.HTTPHandler(webapp.Page)) // fiber/v2/middleware/adaptor or fiber/v3/middleware/adaptor
//	net/http:  mux.Handle("GET /app", webapp.Page)
//
// and the same for Script at /app/app.js.
//
// The page runs under a strict Content-Security-Policy: scripts from its
// own origin only, no inline script or style, requests to its own origin
// only, and Trusted Types, under which the browser refuses to parse a
// string as HTML (innerHTML and the like): the script writes what the
// server sends, user agents in the session list included, as text.
package webapp

import (
	_ "embed"
	"net/http"
	"strconv"
)

// The paths the page expects: it loads its script from ScriptPath.
const (
	PagePath   = "/app"
	ScriptPath = "/app/app.js"
)

// ContentSecurityPolicy is sent with the page and the script. Nothing is
// allowed by default; scripts and requests go to the page's own origin,
// forms post there, no other site may frame the page, and Trusted Types
// with no policy turn every HTML-parsing sink into an error.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

var (
	//go:embed app.html
	pageHTML []byte
	//go:embed app.js
	scriptJS []byte
)

// Page serves the HTML page, for GET and HEAD.
var Page http.Handler = file{body: pageHTML, contentType: "text/html; charset=utf-8"}

// Script serves the page's script, for GET and HEAD.
var Script http.Handler = file{body: scriptJS, contentType: "text/javascript; charset=utf-8"}

// file is one embedded file with the headers it is served with.
type file struct {
	body        []byte
	contentType string
}

func (f file) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", f.contentType)
	// The page and its script change together: no cache keeps either.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY") // frame-ancestors, for older browsers
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
}
