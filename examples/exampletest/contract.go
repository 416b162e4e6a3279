package exampletest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Cookie names: the library's defaults for a refresh cookie scoped to a
// path (CookieSession).
const (
	AccessCookie  = "__Host-access_token"
	RefreshCookie = "__Secure-refresh_token"
	CSRFCookie    = "__Host-csrf_token"
	CSRFHeader    = "X-CSRF-Token"
)

// The browser session's endpoints that need the refresh cookie live under
// CookieSession, the path it is scoped to: refresh, and logout, which ends
// the session with the refresh cookie once the browser has dropped an
// expired access cookie.
const (
	CookieSession = "/cookie/session"
	CookieRefresh = CookieSession + "/refresh"
	CookieLogout  = CookieSession + "/logout"
)

// The browser session's fresh-only route and fresh re-login: POST /fresh
// and POST /fresh-login for the access cookie, with the CSRF header.
const (
	CookieFreshPath      = "/cookie/fresh"
	CookieFreshLoginPath = "/cookie/fresh-login"
)

// Pair is a token pair from /login or /refresh.
type Pair struct{ Access, Refresh string }

// Contract drives the whole HTTP contract against s: every route, both
// demo users, refresh rotation and reuse detection, logout, the scoped
// route, the fresh re-login and the cookie flow with its CSRF checks.
// purpose is the access tokens' kind, "v4.local" or "v4.public". The
// browser session's fresh-only route, fresh re-login and session routes
// have checks of their own: CookieFresh and CookieSessions.
func Contract(t *testing.T, s *Server, purpose string) {
	t.Run("index", func(t *testing.T) { s.checkIndex(t, purpose) })
	t.Run("login", func(t *testing.T) { s.checkLogin(t, purpose) })
	t.Run("protected", func(t *testing.T) { s.checkProtected(t) })
	t.Run("optional", func(t *testing.T) { s.checkOptional(t) })
	t.Run("refresh", func(t *testing.T) { s.checkRefresh(t) })
	t.Run("logout", func(t *testing.T) { s.checkLogout(t) })
	t.Run("scopes", func(t *testing.T) { s.checkScopes(t) })
	t.Run("fresh-login", func(t *testing.T) { s.checkFreshLogin(t) })
	t.Run("cookies", func(t *testing.T) { s.checkCookies(t) })
	t.Run("key set", func(t *testing.T) { s.checkKeySet(t, purpose) })
}

// Expect fails the test unless r has status and, when code is not empty,
// the machine code code in its JSON body.
func Expect(t testing.TB, what string, r *Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, status, r.Raw)
	}
	if code != "" && r.Code() != code {
		t.Fatalf("%s: error code %q, want %q; body %s", what, r.Code(), code, r.Raw)
	}
}

// ExpectLoggedOut fails the test unless r is a successful logout: 200 or
// 204.
func ExpectLoggedOut(t testing.TB, what string, r *Response) {
	t.Helper()
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200 or 204; body %s", what, r.Status, r.Raw)
	}
}

// ExpectChallenge fails the test unless r's WWW-Authenticate holds every
// one of parts.
func ExpectChallenge(t testing.TB, what string, r *Response, parts ...string) {
	t.Helper()
	ch := r.Header.Get("WWW-Authenticate")
	for _, p := range parts {
		if !strings.Contains(ch, p) {
			t.Fatalf("%s: WWW-Authenticate %q lacks %q", what, ch, p)
		}
	}
}

// Login logs user in over /login and checks the token response.
func (s *Server) Login(t testing.TB, user string) Pair {
	t.Helper()
	r := s.Do(t, Request{Method: "POST", Path: "/login", JSON: map[string]string{"username": user, "password": DemoPasswords[user]}})
	Expect(t, "login "+user, r, http.StatusOK, "")
	return tokenResponse(t, "login "+user, r)
}

// Refresh exchanges a refresh token over /refresh, in the Authorization
// header or, with inBody, in the JSON body.
func (s *Server) Refresh(t testing.TB, refresh string, inBody bool) *Response {
	t.Helper()
	req := Request{Method: "POST", Path: "/refresh"}
	if inBody {
		req.JSON = map[string]string{"refresh_token": refresh}
	} else {
		req.Bearer = refresh
	}
	return s.Do(t, req)
}

// Get sends a GET with an optional bearer token.
func (s *Server) Get(t testing.TB, path, bearer string) *Response {
	t.Helper()
	return s.Do(t, Request{Method: "GET", Path: path, Bearer: bearer})
}

// Post sends a bodiless POST with an optional bearer token.
func (s *Server) Post(t testing.TB, path, bearer string) *Response {
	t.Helper()
	return s.Do(t, Request{Method: "POST", Path: path, Bearer: bearer})
}

// tokenResponse checks the OAuth 2.0 token response of /login and
// /refresh and returns its tokens.
func tokenResponse(t testing.TB, what string, r *Response) Pair {
	t.Helper()
	p := Pair{Access: r.Member("access_token"), Refresh: r.Member("refresh_token")}
	if !strings.HasPrefix(p.Access, "v4.") || !strings.HasPrefix(p.Refresh, "v4.local.") {
		t.Fatalf("%s: want access_token and refresh_token; body %s", what, r.Raw)
	}
	if r.Member("token_type") != "Bearer" {
		t.Fatalf("%s: token_type %q, want Bearer", what, r.Member("token_type"))
	}
	if n, _ := r.JSON["expires_in"].(float64); n <= 0 {
		t.Fatalf("%s: expires_in %v, want a positive number of seconds", what, r.JSON["expires_in"])
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("%s: Cache-Control %q, want no-store", what, cc)
	}
	return p
}

func (s *Server) checkIndex(t *testing.T, purpose string) {
	r := s.Get(t, "/", "")
	Expect(t, "GET /", r, http.StatusOK, "")
	if got := r.Member("access_tokens"); got != purpose {
		t.Errorf("GET /: access_tokens %q, want %q", got, purpose)
	}
	eps, _ := r.JSON["endpoints"].([]any)
	var listed []string
	for _, e := range eps {
		m, _ := e.(map[string]any)
		listed = append(listed, m["method"].(string)+" "+m["path"].(string))
	}
	for _, want := range []string{
		"GET /", "POST /login", "POST /refresh", "GET /protected", "GET /optional",
		"POST /fresh", "POST /fresh-login", "GET /admin", "POST /logout", "POST /cookie/login",
		"GET /cookie/protected", "POST " + CookieRefresh, "POST " + CookieLogout,
		"GET " + SessionsPath, "DELETE " + SessionsPath + "/{id}", "POST " + RevokeOthersPath,
		"POST " + CookieFreshPath, "POST " + CookieFreshLoginPath,
		"GET " + CookieSessionsPath, "DELETE " + CookieSessionsPath + "/{id}", "POST " + CookieRevokeOthersPath,
		"GET /app",
	} {
		if !slices.Contains(listed, want) {
			t.Errorf("GET /: endpoint %q not listed in %s", want, r.Raw)
		}
	}
}

func (s *Server) checkLogin(t *testing.T, purpose string) {
	for user := range DemoPasswords {
		p := s.Login(t, user)
		if !strings.HasPrefix(p.Access, purpose+".") {
			t.Errorf("login %s: access token %.20s…, want %s", user, p.Access, purpose)
		}
	}
	login := func(body map[string]string) *Response {
		return s.Do(t, Request{Method: "POST", Path: "/login", JSON: body})
	}
	Expect(t, "wrong password", login(map[string]string{"username": "test", "password": "wrong"}), http.StatusUnauthorized, "invalid_credentials")
	Expect(t, "another user's password", login(map[string]string{"username": "user1", "password": "test"}), http.StatusUnauthorized, "invalid_credentials")
	Expect(t, "unknown user", login(map[string]string{"username": "nobody", "password": "test"}), http.StatusUnauthorized, "invalid_credentials")
	Expect(t, "no credentials", login(map[string]string{}), http.StatusUnauthorized, "invalid_credentials")
	Expect(t, "malformed JSON",
		s.Do(t, Request{Method: "POST", Path: "/login", Body: `{"username":`, ContentType: "application/json"}),
		http.StatusBadRequest, "invalid_request")
	Expect(t, "form post",
		s.Do(t, Request{Method: "POST", Path: "/login", Body: `{"username":"test","password":"test"}`, ContentType: "text/plain"}),
		http.StatusUnsupportedMediaType, "unsupported_media_type")
}

func (s *Server) checkProtected(t *testing.T) {
	p := s.Login(t, "test")

	r := s.Get(t, "/protected", "")
	Expect(t, "no token", r, http.StatusUnauthorized, "missing_token")
	ExpectChallenge(t, "no token", r, `Bearer realm="`)
	if strings.Contains(r.Header.Get("WWW-Authenticate"), "error=") {
		t.Errorf("no token: challenge %q must not carry an error code (RFC 6750 §3.1)", r.Header.Get("WWW-Authenticate"))
	}

	for what, tok := range map[string]string{
		"garbage token":           "v4.local.garbage",
		"refresh token as access": p.Refresh,
		"tampered token":          tamper(p.Access),
	} {
		r := s.Get(t, "/protected", tok)
		Expect(t, what, r, http.StatusUnauthorized, "")
		ExpectChallenge(t, what, r, `error="invalid_token"`)
	}

	r = s.Get(t, "/protected", p.Access)
	Expect(t, "access token", r, http.StatusOK, "")
	if r.Member("user") != "test" {
		t.Errorf("GET /protected: user %v, want test; body %s", r.JSON["user"], r.Raw)
	}
	if r.JSON["fresh"] != true {
		t.Errorf("GET /protected right after login: fresh %v, want true", r.JSON["fresh"])
	}
	// The auth scheme is case-insensitive (RFC 7235).
	r = s.Do(t, Request{Method: "GET", Path: "/protected", Header: map[string]string{"Authorization": "bearer " + p.Access}})
	Expect(t, "lower-case scheme", r, http.StatusOK, "")
}

func (s *Server) checkOptional(t *testing.T) {
	r := s.Get(t, "/optional", "")
	Expect(t, "optional without token", r, http.StatusOK, "")
	if v, ok := r.JSON["user"]; !ok || v != nil {
		t.Errorf("GET /optional without token: body %s, want {\"user\":null}", r.Raw)
	}
	p := s.Login(t, "user1")
	r = s.Get(t, "/optional", p.Access)
	Expect(t, "optional with token", r, http.StatusOK, "")
	if r.Member("user") != "user1" {
		t.Errorf("GET /optional with token: body %s, want user1", r.Raw)
	}
	// A bad token is an error, not an anonymous request.
	r = s.Get(t, "/optional", "v4.local.garbage")
	Expect(t, "optional with bad token", r, http.StatusUnauthorized, "")
}

func (s *Server) checkRefresh(t *testing.T) {
	p0 := s.Login(t, "test")
	Expect(t, "fresh route right after login", s.Post(t, "/fresh", p0.Access), http.StatusOK, "")

	r := s.Refresh(t, p0.Refresh, false)
	Expect(t, "refresh by header", r, http.StatusOK, "")
	p1 := tokenResponse(t, "refresh by header", r)
	if p1.Refresh == p0.Refresh || p1.Access == p0.Access {
		t.Fatal("refresh returned the same tokens: want a rotated pair")
	}
	r = s.Get(t, "/protected", p1.Access)
	Expect(t, "refreshed access token", r, http.StatusOK, "")
	if r.JSON["fresh"] != false {
		t.Errorf("refreshed access token: fresh %v, want false", r.JSON["fresh"])
	}
	r = s.Post(t, "/fresh", p1.Access)
	Expect(t, "fresh route with a refreshed token", r, http.StatusUnauthorized, "insufficient_user_authentication")
	ExpectChallenge(t, "fresh route with a refreshed token", r, `error="insufficient_user_authentication"`, "max_age=")

	r = s.Refresh(t, p1.Refresh, true)
	Expect(t, "refresh by JSON body", r, http.StatusOK, "")
	p2 := tokenResponse(t, "refresh by JSON body", r)

	Expect(t, "refresh without token", s.Post(t, "/refresh", ""), http.StatusUnauthorized, "missing_token")
	Expect(t, "access token as refresh token", s.Refresh(t, p2.Access, false), http.StatusUnauthorized, "")

	// p0.Refresh was replaced two rotations ago: presenting it again is
	// reuse, whatever the grace period, and revokes the whole family.
	r = s.Refresh(t, p0.Refresh, false)
	Expect(t, "reused refresh token", r, http.StatusUnauthorized, "reused_refresh_token")
	ExpectChallenge(t, "reused refresh token", r, `error="invalid_token"`)
	Expect(t, "latest refresh token after reuse", s.Refresh(t, p2.Refresh, true), http.StatusUnauthorized, "revoked_token")
	for _, a := range []string{p0.Access, p1.Access, p2.Access} {
		Expect(t, "family's access token after reuse", s.Get(t, "/protected", a), http.StatusUnauthorized, "revoked_token")
	}
	if !strings.Contains(s.Logs(), "reused_refresh_token") {
		t.Errorf("reuse was not logged as a security event; log:\n%s", s.Logs())
	}
}

func (s *Server) checkLogout(t *testing.T) {
	a, b := s.Login(t, "test"), s.Login(t, "test")
	Expect(t, "logout without token", s.Post(t, "/logout", ""), http.StatusUnauthorized, "missing_token")
	Expect(t, "logout with refresh token", s.Post(t, "/logout", a.Refresh), http.StatusUnauthorized, "")

	ExpectLoggedOut(t, "logout", s.Post(t, "/logout", a.Access))
	Expect(t, "access token after logout", s.Get(t, "/protected", a.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "refresh token after logout", s.Refresh(t, a.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "logout again", s.Post(t, "/logout", a.Access), http.StatusUnauthorized, "revoked_token")

	// Only that session ended.
	Expect(t, "other session's access token", s.Get(t, "/protected", b.Access), http.StatusOK, "")
	Expect(t, "other session's refresh token", s.Refresh(t, b.Refresh, false), http.StatusOK, "")
}

func (s *Server) checkScopes(t *testing.T) {
	r := s.Get(t, "/admin", s.Login(t, "test").Access)
	Expect(t, "admin route, test (admin:*)", r, http.StatusOK, "")
	if r.Member("user") != "test" {
		t.Errorf("GET /admin: body %s, want user test", r.Raw)
	}
	r = s.Get(t, "/admin", s.Login(t, "user1").Access)
	Expect(t, "admin route, user1", r, http.StatusForbidden, "insufficient_scope")
	ExpectChallenge(t, "admin route, user1", r, `error="insufficient_scope"`, `scope="`)
	Expect(t, "admin route without token", s.Get(t, "/admin", ""), http.StatusUnauthorized, "missing_token")
}

// checkFreshLogin: POST /fresh-login re-checks the credentials of the
// access token's user and answers a fresh access token for the same
// session; the refresh token is unchanged.
func (s *Server) checkFreshLogin(t *testing.T) {
	p0 := s.Login(t, "test")
	r := s.Refresh(t, p0.Refresh, false)
	Expect(t, "refresh", r, http.StatusOK, "")
	p1 := tokenResponse(t, "refresh", r)
	Expect(t, "fresh route with a refreshed token", s.Post(t, "/fresh", p1.Access), http.StatusUnauthorized, "insufficient_user_authentication")

	freshLogin := func(bearer, user, password string) *Response {
		return s.Do(t, Request{Method: "POST", Path: "/fresh-login", Bearer: bearer,
			JSON: map[string]string{"username": user, "password": password}})
	}
	Expect(t, "fresh re-login without a token", freshLogin("", "test", DemoPasswords["test"]), http.StatusUnauthorized, "missing_token")
	Expect(t, "fresh re-login, wrong password", freshLogin(p1.Access, "test", "wrong"), http.StatusUnauthorized, "invalid_credentials")
	r = freshLogin(p1.Access, "user1", DemoPasswords["user1"])
	Expect(t, "fresh re-login, another user's credentials", r, http.StatusUnauthorized, "mismatched_subject")
	// The token is fine, only the credentials are another user's: a bare
	// challenge, no error="invalid_token" that would make a client drop it.
	ExpectChallenge(t, "fresh re-login, another user's credentials", r, `Bearer realm=`)
	if ch := r.Header.Get("WWW-Authenticate"); strings.Contains(ch, "error=") {
		t.Fatalf("fresh re-login, another user's credentials: WWW-Authenticate %q names an error", ch)
	}

	r = freshLogin(p1.Access, "test", DemoPasswords["test"])
	Expect(t, "fresh re-login", r, http.StatusOK, "")
	fresh := r.Member("access_token")
	if !strings.HasPrefix(fresh, "v4.") || r.Member("token_type") != "Bearer" {
		t.Fatalf("fresh re-login: body %s, want access_token and token_type Bearer", r.Raw)
	}
	if n, _ := r.JSON["expires_in"].(float64); n <= 0 {
		t.Fatalf("fresh re-login: expires_in %v, want a positive number of seconds", r.JSON["expires_in"])
	}
	if _, ok := r.JSON["refresh_token"]; ok {
		t.Fatalf("fresh re-login: body %s carries a refresh token; the session's is unchanged", r.Raw)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("fresh re-login: Cache-Control %q, want no-store", cc)
	}
	Expect(t, "fresh route with the re-login token", s.Post(t, "/fresh", fresh), http.StatusOK, "")
	Expect(t, "the refreshed token still works", s.Get(t, "/protected", p1.Access), http.StatusOK, "")

	// The same session: its refresh token still rotates, and logging out
	// with the new token ends it.
	r = s.Refresh(t, p1.Refresh, false)
	Expect(t, "refresh token after the re-login", r, http.StatusOK, "")
	p2 := tokenResponse(t, "refresh token after the re-login", r)
	ExpectLoggedOut(t, "logout with the re-login token", s.Post(t, "/logout", fresh))
	Expect(t, "session's refresh token after logout", s.Refresh(t, p2.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "session's access token after logout", s.Get(t, "/protected", p2.Access), http.StatusUnauthorized, "revoked_token")
}

// cookieLogin logs user in over /cookie/login into jar and returns the CSRF
// value.
func (s *Server) cookieLogin(t testing.TB, jar *Jar, user string) string {
	t.Helper()
	return s.cookieLoginWith(t, jar, user, nil)
}

// cookieLoginWith is cookieLogin with the request headers header.
func (s *Server) cookieLoginWith(t testing.TB, jar *Jar, user string, header map[string]string) string {
	t.Helper()
	r := s.Do(t, Request{Method: "POST", Path: "/cookie/login", Jar: jar, Header: header,
		JSON: map[string]string{"username": user, "password": DemoPasswords[user]}})
	Expect(t, "cookie login", r, http.StatusOK, "")
	csrf := r.Member("csrf_token")
	if csrf == "" || csrf != jar.Get(CSRFCookie) {
		t.Fatalf("cookie login: csrf_token %q, CSRF cookie %q: want the same value", csrf, jar.Get(CSRFCookie))
	}
	if _, ok := r.JSON["access_token"]; ok {
		t.Errorf("cookie login: the body carries access_token; tokens belong in HttpOnly cookies only")
	}
	return csrf
}

func (s *Server) checkCookies(t *testing.T) {
	jar := NewJar()
	Expect(t, "cookie login from a form", s.Do(t, Request{Method: "POST", Path: "/cookie/login", Jar: jar,
		Body: `{"username":"test","password":"test"}`, ContentType: "text/plain"}),
		http.StatusUnsupportedMediaType, "unsupported_media_type")
	Expect(t, "cookie login, wrong password", s.Do(t, Request{Method: "POST", Path: "/cookie/login", Jar: jar,
		JSON: map[string]string{"username": "test", "password": "nope"}}),
		http.StatusUnauthorized, "invalid_credentials")

	r := s.Do(t, Request{Method: "POST", Path: "/cookie/login", Jar: jar,
		JSON: map[string]string{"username": "test", "password": "test"}})
	Expect(t, "cookie login", r, http.StatusOK, "")
	csrf := r.Member("csrf_token")
	checkCookieAttrs(t, r.Cookies)
	if csrf == "" || csrf != jar.Get(CSRFCookie) {
		t.Fatalf("cookie login: csrf_token %q, CSRF cookie %q: want the same value", csrf, jar.Get(CSRFCookie))
	}

	r = s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar})
	Expect(t, "cookie protected", r, http.StatusOK, "")
	if r.Member("user") != "test" {
		t.Errorf("GET /cookie/protected: body %s, want user test", r.Raw)
	}
	Expect(t, "cookie protected without cookies", s.Get(t, "/cookie/protected", ""), http.StatusUnauthorized, "missing_token")
	Expect(t, "API route with cookies only", s.Do(t, Request{Method: "GET", Path: "/protected", Jar: jar.Clone()}),
		http.StatusUnauthorized, "missing_token")

	refresh := func(jar *Jar, csrf string) *Response {
		req := Request{Method: "POST", Path: CookieRefresh, Jar: jar}
		if csrf != "" {
			req.Header = map[string]string{CSRFHeader: csrf}
		}
		return s.Do(t, req)
	}
	Expect(t, "cookie refresh without CSRF header", refresh(jar, ""), http.StatusForbidden, "invalid_csrf_token")
	Expect(t, "cookie refresh with a wrong CSRF header", refresh(jar, csrf+"x"), http.StatusForbidden, "invalid_csrf_token")
	// A CSRF cookie and header that match each other but belong to another
	// session (planted by a sibling subdomain, say) do not pass either.
	other := NewJar()
	otherCSRF := s.cookieLogin(t, other, "user1")
	planted := jar.Clone()
	planted.Set(CSRFCookie, otherCSRF)
	Expect(t, "cookie refresh with another session's CSRF", refresh(planted, otherCSRF), http.StatusForbidden, "invalid_csrf_token")

	before := jar.Clone()
	r = refresh(jar, csrf)
	Expect(t, "cookie refresh", r, http.StatusOK, "")
	if _, ok := r.JSON["access_token"]; ok {
		t.Errorf("cookie refresh: the body carries access_token; tokens belong in HttpOnly cookies only")
	}
	if jar.Get(AccessCookie) == before.Get(AccessCookie) || jar.Get(RefreshCookie) == before.Get(RefreshCookie) {
		t.Fatal("cookie refresh did not set new access and refresh cookies")
	}
	r = s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar})
	Expect(t, "cookie protected after refresh", r, http.StatusOK, "")

	logout := func(jar *Jar, csrf string) *Response {
		req := Request{Method: "POST", Path: CookieLogout, Jar: jar}
		if csrf != "" {
			req.Header = map[string]string{CSRFHeader: csrf}
		}
		return s.Do(t, req)
	}
	// A cross-site request cannot end the session (it may still expire
	// the cookies: a browser that sends them is told to drop them).
	Expect(t, "cookie logout without CSRF header", logout(jar.Clone(), ""), http.StatusForbidden, "invalid_csrf_token")
	Expect(t, "cookie protected after a refused logout", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}), http.StatusOK, "")
	before = jar.Clone()
	r = logout(jar, csrf)
	ExpectLoggedOut(t, "cookie logout", r)
	expectCookiesExpired(t, "cookie logout", r)
	Expect(t, "access cookie after logout", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: before}),
		http.StatusUnauthorized, "revoked_token")
	Expect(t, "refresh cookie after logout", refresh(before, csrf), http.StatusUnauthorized, "revoked_token")
	// The other browser's session is untouched.
	Expect(t, "other browser", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: other}), http.StatusOK, "")

	// A browser drops the access cookie when it expires, long before the
	// refresh cookie: logging out with the refresh and CSRF cookies alone
	// still ends the session and expires every cookie.
	jar = NewJar()
	csrf = s.cookieLogin(t, jar, "test")
	before = jar.Clone()
	jar.Delete(AccessCookie)
	Expect(t, "refresh-cookie logout without CSRF header", logout(jar.Clone(), ""), http.StatusForbidden, "invalid_csrf_token")
	r = logout(jar, csrf)
	ExpectLoggedOut(t, "logout with the refresh cookie only", r)
	expectCookiesExpired(t, "logout with the refresh cookie only", r)
	Expect(t, "refresh cookie after a refresh-cookie logout", refresh(before, csrf), http.StatusUnauthorized, "revoked_token")
	Expect(t, "access cookie after a refresh-cookie logout", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: before}),
		http.StatusUnauthorized, "revoked_token")
}

// expectCookiesExpired fails the test unless r expires every session
// cookie (Max-Age=0 and an empty value), on the paths they were set with.
func expectCookiesExpired(t testing.TB, what string, r *Response) {
	t.Helper()
	expired := map[string]*http.Cookie{}
	for _, c := range r.Cookies {
		if c.MaxAge < 0 && c.Value == "" {
			expired[c.Name] = c
		}
	}
	for name, path := range map[string]string{AccessCookie: "/", RefreshCookie: CookieSession, CSRFCookie: "/"} {
		if c := expired[name]; c == nil || c.Path != path {
			t.Errorf("%s: cookie %s (Path=%s) not expired; Set-Cookie %q", what, name, path, r.Header.Values("Set-Cookie"))
		}
	}
}

// checkCookieAttrs checks the session cookies' security attributes.
func checkCookieAttrs(t testing.TB, cs []*http.Cookie) {
	t.Helper()
	seen := map[string]*http.Cookie{}
	for _, c := range cs {
		seen[c.Name] = c
	}
	for _, want := range []struct {
		name, path string
		httpOnly   bool
	}{
		{AccessCookie, "/", true},
		{RefreshCookie, CookieSession, true},
		{CSRFCookie, "/", false}, // the page's script reads it
	} {
		c, ok := seen[want.name]
		switch {
		case !ok:
			t.Errorf("cookie login: no %s cookie", want.name)
		case c.Path != want.path || c.HttpOnly != want.httpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode:
			t.Errorf("cookie %s: Path=%q HttpOnly=%v Secure=%v SameSite=%v; want Path=%q HttpOnly=%v Secure SameSite=Strict",
				c.Name, c.Path, c.HttpOnly, c.Secure, c.SameSite, want.path, want.httpOnly)
		}
	}
}

// tamper changes one character in the middle of a token's payload.
func tamper(tok string) string {
	b := []byte(tok)
	i := len("v4.local.") + (strings.LastIndexByte(tok, '.')-len("v4.local."))/2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
