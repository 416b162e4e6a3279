package exampletest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The session routes of the browser session: GET /sessions, DELETE
// /sessions/{id} and POST /sessions/revoke-others for the access cookie,
// with the CSRF header on the unsafe ones.
const (
	CookieSessionsPath     = "/cookie/sessions"
	CookieRevokeOthersPath = CookieSessionsPath + "/revoke-others"
)

// CSRFRequest is a request of the browser session in jar: the CSRF value
// csrf, when not empty, goes in the X-CSRF-Token header.
func CSRFRequest(method, path string, jar *Jar, csrf string) Request {
	req := Request{Method: method, Path: path, Jar: jar}
	if csrf != "" {
		req.Header = map[string]string{CSRFHeader: csrf}
	}
	return req
}

// CookieFresh checks the browser session's fresh-only route and fresh
// re-login on s: POST /cookie/fresh takes the access cookie of a login at
// most five minutes old, with the CSRF header; after a refresh it answers
// 401 insufficient_user_authentication, until POST /cookie/fresh-login,
// with the CSRF header and the credentials of the session's user, sets a
// fresh access cookie for the same session (and answers without the
// token, which travels in the cookie only).
func CookieFresh(t *testing.T, s *Server) {
	jar := NewJar()
	csrf := s.cookieLogin(t, jar, "test")
	post := func(path string, jar *Jar, csrf string) *Response {
		return s.Do(t, CSRFRequest("POST", path, jar, csrf))
	}
	freshLogin := func(jar *Jar, csrf, user, password string) *Response {
		req := CSRFRequest("POST", CookieFreshLoginPath, jar, csrf)
		req.JSON = map[string]string{"username": user, "password": password}
		return s.Do(t, req)
	}
	protected := func(what string, jar *Jar) *Response {
		t.Helper()
		r := s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar})
		Expect(t, what, r, http.StatusOK, "")
		return r
	}

	r := post(CookieFreshPath, jar, csrf)
	Expect(t, "cookie fresh route right after cookie login", r, http.StatusOK, "")
	if r.Member("user") != "test" {
		t.Errorf("POST %s: body %s, want user test", CookieFreshPath, r.Raw)
	}
	Expect(t, "cookie fresh route without CSRF header", post(CookieFreshPath, jar, ""), http.StatusForbidden, "invalid_csrf_token")
	Expect(t, "cookie fresh route with a wrong CSRF header", post(CookieFreshPath, jar, csrf+"x"), http.StatusForbidden, "invalid_csrf_token")
	Expect(t, "cookie fresh route without cookies", post(CookieFreshPath, nil, ""), http.StatusUnauthorized, "missing_token")

	// A refresh keeps the session, not its freshness.
	Expect(t, "cookie refresh", post(CookieRefresh, jar, csrf), http.StatusOK, "")
	if r := protected("cookie protected after refresh", jar); r.JSON["fresh"] != false {
		t.Errorf("GET /cookie/protected after a refresh: fresh %v, want false", r.JSON["fresh"])
	}
	r = post(CookieFreshPath, jar, csrf)
	Expect(t, "cookie fresh route after a cookie refresh", r, http.StatusUnauthorized, "insufficient_user_authentication")
	ExpectChallenge(t, "cookie fresh route after a cookie refresh", r, `error="insufficient_user_authentication"`, "max_age=")

	// Fresh re-login refused: the access cookie stays as it was.
	stale := jar.Get(AccessCookie)
	Expect(t, "cookie fresh re-login without cookies", freshLogin(nil, "", "test", DemoPasswords["test"]), http.StatusUnauthorized, "missing_token")
	Expect(t, "cookie fresh re-login without CSRF header", freshLogin(jar, "", "test", DemoPasswords["test"]), http.StatusForbidden, "invalid_csrf_token")
	Expect(t, "cookie fresh re-login, wrong password", freshLogin(jar, csrf, "test", "wrong"), http.StatusUnauthorized, "invalid_credentials")
	Expect(t, "cookie fresh re-login, another user's credentials", freshLogin(jar, csrf, "user1", DemoPasswords["user1"]), http.StatusUnauthorized, "mismatched_subject")
	form := CSRFRequest("POST", CookieFreshLoginPath, jar, csrf)
	form.Body, form.ContentType = `{"username":"test","password":"test"}`, "text/plain"
	Expect(t, "cookie fresh re-login from a form", s.Do(t, form), http.StatusUnsupportedMediaType, "unsupported_media_type")
	if jar.Get(AccessCookie) != stale {
		t.Fatal("a refused cookie fresh re-login changed the access cookie")
	}
	Expect(t, "cookie fresh route after refused re-logins", post(CookieFreshPath, jar, csrf), http.StatusUnauthorized, "insufficient_user_authentication")

	// The fresh re-login: a new access cookie, nothing else.
	before := jar.Clone()
	r = freshLogin(jar, csrf, "test", DemoPasswords["test"])
	Expect(t, "cookie fresh re-login", r, http.StatusOK, "")
	for _, name := range []string{"access_token", "refresh_token", "csrf_token"} {
		if _, ok := r.JSON[name]; ok {
			t.Errorf("cookie fresh re-login: the body %s carries %s; the access token belongs in its HttpOnly cookie only", r.Raw, name)
		}
	}
	if r.Member("token_type") != "Bearer" {
		t.Errorf("cookie fresh re-login: token_type %q, want Bearer; body %s", r.Member("token_type"), r.Raw)
	}
	if n, _ := r.JSON["expires_in"].(float64); n <= 0 {
		t.Errorf("cookie fresh re-login: expires_in %v, want a positive number of seconds", r.JSON["expires_in"])
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("cookie fresh re-login: Cache-Control %q, want no-store", cc)
	}
	if len(r.Cookies) != 1 || r.Cookies[0].Name != AccessCookie {
		t.Fatalf("cookie fresh re-login: Set-Cookie %q, want the access cookie only", r.Header.Values("Set-Cookie"))
	}
	if c := r.Cookies[0]; c.Path != "/" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 {
		t.Errorf("cookie fresh re-login: access cookie Path=%q HttpOnly=%v Secure=%v SameSite=%v Max-Age=%d; want Path=/ HttpOnly Secure SameSite=Strict and a positive Max-Age",
			c.Path, c.HttpOnly, c.Secure, c.SameSite, c.MaxAge)
	}
	if jar.Get(AccessCookie) == stale || jar.Get(RefreshCookie) != before.Get(RefreshCookie) || jar.Get(CSRFCookie) != before.Get(CSRFCookie) {
		t.Fatal("cookie fresh re-login: want a new access cookie, and the refresh and CSRF cookies unchanged")
	}
	Expect(t, "cookie fresh route after the fresh re-login", post(CookieFreshPath, jar, csrf), http.StatusOK, "")
	if r := protected("cookie protected after the fresh re-login", jar); r.JSON["fresh"] != true {
		t.Errorf("GET /cookie/protected after the fresh re-login: fresh %v, want true", r.JSON["fresh"])
	}
	// The same session: the access cookie it replaced still works, and so
	// does the refresh cookie, whose next access cookie is not fresh.
	protected("the replaced access cookie", before)
	Expect(t, "cookie refresh after the fresh re-login", post(CookieRefresh, jar, csrf), http.StatusOK, "")
	Expect(t, "cookie fresh route after another refresh", post(CookieFreshPath, jar, csrf), http.StatusUnauthorized, "insufficient_user_authentication")

	// Once the session has ended, no fresh re-login revives it.
	ended := jar.Clone()
	ExpectLoggedOut(t, "cookie logout", post(CookieLogout, jar, csrf))
	Expect(t, "cookie fresh re-login after logout", freshLogin(ended, csrf, "test", DemoPasswords["test"]), http.StatusUnauthorized, "revoked_token")

	// An API token in the Authorization header belongs to no cookie
	// session: the route sets no cookie and answers the token, as POST
	// /fresh-login does.
	p := s.Login(t, "test")
	r = s.Refresh(t, p.Refresh, false)
	Expect(t, "refresh", r, http.StatusOK, "")
	p = tokenResponse(t, "refresh", r)
	r = s.Do(t, Request{Method: "POST", Path: CookieFreshLoginPath, Bearer: p.Access,
		JSON: map[string]string{"username": "test", "password": DemoPasswords["test"]}})
	Expect(t, "cookie fresh re-login with an API token", r, http.StatusOK, "")
	if len(r.Cookies) != 0 {
		t.Errorf("cookie fresh re-login with an API token: Set-Cookie %q, want none", r.Header.Values("Set-Cookie"))
	}
	fresh := r.Member("access_token")
	if !strings.HasPrefix(fresh, "v4.") {
		t.Fatalf("cookie fresh re-login with an API token: body %s, want its access_token", r.Raw)
	}
	Expect(t, "fresh route with that token", s.Post(t, "/fresh", fresh), http.StatusOK, "")
}

// ListCookieSessions sends GET /cookie/sessions with the cookies of jar and
// checks the answer as ListSessions does.
func (s *Server) ListCookieSessions(t testing.TB, jar *Jar) []Session {
	t.Helper()
	return s.listSessions(t, Request{Method: "GET", Path: CookieSessionsPath, Jar: jar})
}

// CookieSessions checks the browser session's session routes on a new
// instance of the example with env: GET /cookie/sessions lists the user's
// sessions as GET /sessions does, for the access cookie; DELETE
// /cookie/sessions/{id} and POST /cookie/sessions/revoke-others also need
// the CSRF header, and without it (or with a wrong one, or another
// session's) are refused with 403 invalid_csrf_token and end nothing.
// Signing the browser's own session out expires its cookies.
func CookieSessions(t *testing.T, run RunFunc, env map[string]string) {
	s := Start(t, run, env)
	const (
		browser = "pasetoauth-test browser/1.0"
		second  = "pasetoauth-test second browser/1.0"
		laptop  = "pasetoauth-test laptop/1.0"
		other   = "pasetoauth-test user1 browser/1.0"
	)
	noCookies := map[string]Request{
		"GET /cookie/sessions":                {Method: "GET", Path: CookieSessionsPath},
		"DELETE /cookie/sessions/{id}":        {Method: "DELETE", Path: CookieSessionsPath + "/some-session"},
		"POST /cookie/sessions/revoke-others": {Method: "POST", Path: CookieRevokeOthersPath},
	}
	for _, what := range slices.Sorted(maps.Keys(noCookies)) {
		Expect(t, what+" without cookies", s.Do(t, noCookies[what]), http.StatusUnauthorized, "missing_token")
	}

	login := func(user, ua string) (*Jar, string) {
		t.Helper()
		jar := NewJar()
		return jar, s.cookieLoginWith(t, jar, user, map[string]string{"User-Agent": ua})
	}
	jar, csrf := login("test", browser)
	jar2, csrf2 := login("test", second)
	a := s.LoginFrom(t, "test", laptop)
	ujar, ucsrf := login("user1", other)
	alive := func(what string) {
		t.Helper()
		Expect(t, what+": this browser", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}), http.StatusOK, "")
		Expect(t, what+": user1's browser", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: ujar}), http.StatusOK, "")
	}

	list := s.ListCookieSessions(t, jar)
	if got, want := agents(list), []string{browser, second, laptop}; !sameSet(got, want) {
		t.Fatalf("GET /cookie/sessions: user agents %q, want %q", got, want)
	}
	for _, e := range list {
		if want := e.UserAgent == browser; e.Current != want {
			t.Errorf("GET /cookie/sessions: %q current %v, want %v", e.UserAgent, e.Current, want)
		}
	}
	own, secondSession := byAgent(t, list, browser), byAgent(t, list, second)
	userSession := s.ListCookieSessions(t, ujar)
	if len(userSession) != 1 || userSession[0].UserAgent != other {
		t.Fatalf("GET /cookie/sessions as user1: %+v, want user1's own session only", userSession)
	}
	// The list is a safe request: it needs no CSRF header, and the same
	// list comes with one.
	if got := s.listSessions(t, CSRFRequest("GET", CookieSessionsPath, jar, csrf)); !sameSet(agents(got), agents(list)) {
		t.Errorf("GET /cookie/sessions with the CSRF header: %q, want %q", agents(got), agents(list))
	}

	// Unsafe requests without the CSRF header, with a wrong one, or with a
	// CSRF cookie and header of another session (planted by a sibling
	// subdomain, say) are refused, and end nothing.
	planted := jar.Clone()
	planted.Set(CSRFCookie, ucsrf)
	deleteSecond := CookieSessionsPath + "/" + secondSession.ID
	for _, tc := range []struct {
		what string
		req  Request
	}{
		{"DELETE /cookie/sessions/{id} without CSRF header", CSRFRequest("DELETE", deleteSecond, jar, "")},
		{"DELETE /cookie/sessions/{id} with a wrong CSRF header", CSRFRequest("DELETE", deleteSecond, jar, csrf+"x")},
		{"DELETE /cookie/sessions/{id} with the other browser's CSRF header", CSRFRequest("DELETE", deleteSecond, jar, csrf2)},
		{"DELETE /cookie/sessions/{id} with another session's CSRF", CSRFRequest("DELETE", deleteSecond, planted, ucsrf)},
		{"DELETE the own session without CSRF header", CSRFRequest("DELETE", CookieSessionsPath+"/"+own.ID, jar, "")},
		{"POST /cookie/sessions/revoke-others without CSRF header", CSRFRequest("POST", CookieRevokeOthersPath, jar, "")},
		{"POST /cookie/sessions/revoke-others with a wrong CSRF header", CSRFRequest("POST", CookieRevokeOthersPath, jar, csrf+"x")},
		{"POST /cookie/sessions/revoke-others with another session's CSRF", CSRFRequest("POST", CookieRevokeOthersPath, planted, ucsrf)},
	} {
		r := s.Do(t, tc.req)
		Expect(t, tc.what, r, http.StatusForbidden, "invalid_csrf_token")
		if len(r.Cookies) != 0 {
			t.Errorf("%s: Set-Cookie %q, want none", tc.what, r.Header.Values("Set-Cookie"))
		}
	}
	alive("after the refused requests")
	Expect(t, "the other browser after the refused requests", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar2}), http.StatusOK, "")
	Expect(t, "the laptop after the refused requests", s.Get(t, "/protected", a.Access), http.StatusOK, "")
	if got := s.ListCookieSessions(t, jar); !sameSet(agents(got), agents(list)) {
		t.Fatalf("GET /cookie/sessions after the refused requests: %q, want %q", agents(got), agents(list))
	}

	// Sign the other browser out: its cookies stop working at once, this
	// browser's cookies stay.
	r := s.Do(t, CSRFRequest("DELETE", deleteSecond, jar, csrf))
	Expect(t, "DELETE the other browser's session", r, http.StatusNoContent, "")
	if len(r.Raw) != 0 || len(r.Cookies) != 0 {
		t.Errorf("DELETE the other browser's session: body %s, Set-Cookie %q; want neither", r.Raw, r.Header.Values("Set-Cookie"))
	}
	Expect(t, "the other browser's access cookie after DELETE", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar2}),
		http.StatusUnauthorized, "revoked_token")
	Expect(t, "the other browser's refresh cookie after DELETE", s.Do(t, CSRFRequest("POST", CookieRefresh, jar2, csrf2)),
		http.StatusUnauthorized, "revoked_token")
	alive("after DELETE")
	if got, want := agents(s.ListCookieSessions(t, jar)), []string{browser, laptop}; !sameSet(got, want) {
		t.Errorf("GET /cookie/sessions after DELETE: %q, want %q", got, want)
	}
	// Any ID that is none of the user's live sessions is 404, alike.
	for what, sid := range map[string]string{
		"an unknown session":    "no-such-session",
		"user1's session":       userSession[0].ID,
		"the revoked session":   secondSession.ID,
		"a session-like string": strings.Repeat("A", len(secondSession.ID)),
	} {
		Expect(t, "DELETE /cookie/sessions/{id} of "+what, s.Do(t, CSRFRequest("DELETE", CookieSessionsPath+"/"+sid, jar, csrf)),
			http.StatusNotFound, "unknown_session")
	}
	alive("after DELETE of user1's session")

	// Sign out everywhere else: the laptop ends, this browser and user1
	// stay.
	r = s.Do(t, CSRFRequest("POST", CookieRevokeOthersPath, jar, csrf))
	Expect(t, "POST /cookie/sessions/revoke-others", r, http.StatusNoContent, "")
	if len(r.Cookies) != 0 {
		t.Errorf("POST /cookie/sessions/revoke-others: Set-Cookie %q, want none", r.Header.Values("Set-Cookie"))
	}
	Expect(t, "the laptop after revoke-others", s.Get(t, "/protected", a.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "the laptop's refresh token after revoke-others", s.Refresh(t, a.Refresh, false), http.StatusUnauthorized, "revoked_token")
	alive("after revoke-others")
	if got := s.ListCookieSessions(t, jar); len(got) != 1 || got[0].ID != own.ID || !got[0].Current {
		t.Errorf("GET /cookie/sessions after revoke-others: %+v, want this browser's session only", got)
	}

	// Signing this browser's own session out is a logout: it ends, and the
	// answer expires the cookies.
	before := jar.Clone()
	r = s.Do(t, CSRFRequest("DELETE", CookieSessionsPath+"/"+own.ID, jar, csrf))
	Expect(t, "DELETE the own session", r, http.StatusNoContent, "")
	expectCookiesExpired(t, "DELETE the own session", r)
	Expect(t, "own access cookie after DELETE", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: before}),
		http.StatusUnauthorized, "revoked_token")
	Expect(t, "own refresh cookie after DELETE", s.Do(t, CSRFRequest("POST", CookieRefresh, before, csrf)),
		http.StatusUnauthorized, "revoked_token")
	Expect(t, "user1's browser at the end", s.Do(t, CSRFRequest("POST", CookieRefresh, ujar, ucsrf)), http.StatusOK, "")
}
