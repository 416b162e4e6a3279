package pasetotest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Bearer sets r's Authorization header to "Bearer " and tok, as an API
// client sends an access token (or, to a refresh endpoint, a refresh
// token), and returns r.
func Bearer(r *http.Request, tok string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// CookieSession is a browser's side of a cookie session started by
// [Kit.CookieLogin]: the cookies the Guard set and the CSRF value its
// page echoes in the CSRF header.
type CookieSession struct {
	// Cookies are the session's cookies as the Guard set them: the access,
	// refresh and CSRF cookies, each with its Path.
	Cookies []*http.Cookie
	// CSRF is the double-submit value, also the CSRF cookie's value.
	CSRF string
	// Pair is the token pair of the login.
	Pair *paseto.TokenPair

	cfg paseto.CookieConfig
}

// CookieLogin starts a cookie session for subject with
// [paseto.Guard.LoginWithCookies], as the application's cookie login
// handler does once the credentials check out, and returns what the
// browser keeps of it: the cookies from the Set-Cookie headers and the
// CSRF value. opts set the session's scopes, custom claims and device.
// The store's faults do not apply to it, nor do its counters. It fails
// tb when the kit's Guard has no cookies (Config.Guard set Cookies to
// nil) or the login fails.
func (k *Kit) CookieLogin(tb testing.TB, subject string, opts ...SessionOption) *CookieSession {
	tb.Helper()
	cc := k.Guard.Config().Cookies
	if cc == nil {
		tb.Fatalf("pasetotest: CookieLogin: the kit's Guard has no cookies (GuardConfig.Cookies is nil)")
	}
	var lo paseto.LoginOptions
	for _, o := range opts {
		o.applySession(&lo)
	}
	h := header{}
	cs, err := k.Guard.LoginWithCookies(bypass(context.Background()), h, subject, lo)
	if err != nil {
		tb.Fatalf("pasetotest: cookie login of %q: %v", subject, err)
	}
	s := &CookieSession{CSRF: cs.CSRF, Pair: cs.Pair, cfg: *cc}
	s.Update(http.Header(h))
	return s
}

// header collects the headers a paseto.Response is given.
type header http.Header

func (h header) AddHeader(name, value string) { http.Header(h).Add(name, value) }

// Apply adds to r what a browser sends with it: the session's cookies
// whose Path covers r's path (so the refresh cookie only reaches the
// refresh endpoint when CookieConfig.RefreshPath scopes it) and the CSRF
// header, which the Guard checks on unsafe methods. It returns r.
func (s *CookieSession) Apply(r *http.Request) *http.Request {
	for _, c := range s.Cookies {
		if pathMatch(r.URL.Path, c.Path) {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	if s.CSRF != "" {
		r.Header.Set(s.cfg.CSRFHeader, s.CSRF)
	}
	return r
}

// Update takes in the Set-Cookie headers of a response, as a browser
// does: a cookie set again replaces the session's, one expired (Max-Age
// zero or less) is dropped. After a refresh (explicit, or implicit with
// GuardConfig.ImplicitRefresh) the session then carries the rotated
// tokens; after a logout, none. Pair stays the login's.
func (s *CookieSession) Update(h http.Header) {
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		if c.Path == "" {
			c.Path = "/"
		}
		kept := s.Cookies[:0]
		for _, old := range s.Cookies {
			if old.Name != c.Name || old.Path != c.Path {
				kept = append(kept, old)
			}
		}
		s.Cookies = kept
		if c.MaxAge < 0 || c.Value == "" {
			if c.Name == s.cfg.CSRFName {
				s.CSRF = ""
			}
			continue
		}
		s.Cookies = append(s.Cookies, c)
		if c.Name == s.cfg.CSRFName {
			s.CSRF = c.Value
		}
	}
}

// pathMatch is RFC 6265 §5.1.4's path-match of a request path and a
// cookie path.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == "" {
		reqPath = "/"
	}
	switch {
	case reqPath == cookiePath:
		return true
	case !strings.HasPrefix(reqPath, cookiePath):
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}
