package exampletest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The session list routes, with the API (Authorization header) Guard.
const (
	SessionsPath     = "/sessions"
	RevokeOthersPath = SessionsPath + "/revoke-others"
)

// truncatedLoopback is 127.0.0.1, the test client's address, as the
// examples keep it (KeepIP: paseto.IPTruncated keeps an IPv4 address's
// /24).
const truncatedLoopback = "127.0.0.0"

// Session is one entry of GET /sessions.
type Session struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Label      string    `json:"label"`
	Current    bool      `json:"current"`
}

// sessionMembers are the members an entry of GET /sessions may have: no
// subject, token hash or anything else of the store's record.
var sessionMembers = []string{"id", "created_at", "last_used_at", "expires_at", "user_agent", "ip", "label", "current"}

// LoginFrom logs user in over /login with the User-Agent header ua, as a
// device would, and checks the token response.
func (s *Server) LoginFrom(t testing.TB, user, ua string) Pair {
	t.Helper()
	return s.loginWith(t, user, map[string]string{"User-Agent": ua})
}

// loginWith logs user in over /login with the request headers header.
func (s *Server) loginWith(t testing.TB, user string, header map[string]string) Pair {
	t.Helper()
	what := "login " + user + " from " + header["User-Agent"]
	r := s.Do(t, Request{Method: "POST", Path: "/login", Header: header,
		JSON: map[string]string{"username": user, "password": DemoPasswords[user]}})
	Expect(t, what, r, http.StatusOK, "")
	return tokenResponse(t, what, r)
}

// ListSessions sends GET /sessions with the access token bearer and checks
// the answer: 200, not cacheable, every entry complete and with nothing
// more, newest first (by creation, then by ID), exactly one current.
func (s *Server) ListSessions(t testing.TB, bearer string) []Session {
	t.Helper()
	return s.listSessions(t, Request{Method: "GET", Path: SessionsPath, Bearer: bearer})
}

// listSessions sends req, a session list request, and checks the answer
// as ListSessions says.
func (s *Server) listSessions(t testing.TB, req Request) []Session {
	t.Helper()
	what := req.Method + " " + req.Path
	r := s.Do(t, req)
	Expect(t, what, r, http.StatusOK, "")
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
	}
	var body struct {
		Sessions []map[string]json.RawMessage `json:"sessions"`
	}
	if err := json.Unmarshal(r.Raw, &body); err != nil || body.Sessions == nil {
		t.Fatalf("%s: body %s, want {\"sessions\":[…]} (%v)", what, r.Raw, err)
	}
	var list []Session
	current := 0
	for i, raw := range body.Sessions {
		for name := range raw {
			if !slices.Contains(sessionMembers, name) {
				t.Errorf("%s: entry %d has member %q; want only %v; body %s", what, i, name, sessionMembers, r.Raw)
			}
		}
		for _, name := range []string{"id", "created_at", "last_used_at", "expires_at", "user_agent", "current"} {
			if _, ok := raw[name]; !ok {
				t.Errorf("%s: entry %d lacks %q; body %s", what, i, name, r.Raw)
			}
		}
		b, _ := json.Marshal(raw)
		var e Session
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: entry %d: %v; body %s", what, i, err, r.Raw)
		}
		if e.ID == "" || e.CreatedAt.IsZero() || e.LastUsedAt.Before(e.CreatedAt) || !e.ExpiresAt.After(e.LastUsedAt) {
			t.Errorf("%s: entry %d %+v: want an id, created_at ≤ last_used_at < expires_at", what, i, e)
		}
		if i > 0 {
			prev := list[i-1]
			if c := e.CreatedAt.Compare(prev.CreatedAt); c > 0 || c == 0 && e.ID < prev.ID {
				t.Errorf("%s: entry %d (created %v, id %s) after entry %d (created %v, id %s): want newest first, then by id",
					what, i, e.CreatedAt, e.ID, i-1, prev.CreatedAt, prev.ID)
			}
		}
		if e.Current {
			current++
		}
		list = append(list, e)
	}
	if current != 1 {
		t.Errorf("%s: %d entries current, want exactly 1; body %s", what, current, r.Raw)
	}
	return list
}

// byAgent returns the entry of list with user agent ua.
func byAgent(t testing.TB, list []Session, ua string) Session {
	t.Helper()
	for _, e := range list {
		if e.UserAgent == ua {
			return e
		}
	}
	t.Fatalf("GET /sessions: no session with user_agent %q in %+v", ua, list)
	return Session{}
}

// agents returns the user agents of list, in order.
func agents(list []Session) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.UserAgent)
	}
	return out
}

// RevokeSession sends DELETE /sessions/{sid} with the access token bearer.
func (s *Server) RevokeSession(t testing.TB, bearer, sid string) *Response {
	t.Helper()
	return s.Do(t, Request{Method: "DELETE", Path: SessionsPath + "/" + sid, Bearer: bearer})
}

// Sessions checks session and device management on a new instance of the
// example with env: GET /sessions lists the caller's sessions (API and
// cookie logins alike) with the user agent each was opened from and the
// client's IP truncated to its network, newest first, the caller's own
// marked current; DELETE /sessions/{id} signs one device out, on the spot,
// and answers an unknown ID and another user's alike (404); POST
// /sessions/revoke-others signs every other device out. Each route needs
// an access token in the Authorization header.
func Sessions(t *testing.T, run RunFunc, env map[string]string) {
	s := Start(t, run, env)
	const (
		laptop  = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
		phone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
		tablet  = "pasetoauth-test tablet/1.0"
		browser = "pasetoauth-test browser/1.0"
		other   = "pasetoauth-test user1/1.0"
	)

	// Without a token, or with anything but a live access token, every
	// route is 401 with a challenge. The API routes never read cookies.
	noToken := map[string]Request{
		"GET /sessions":                {Method: "GET", Path: SessionsPath},
		"DELETE /sessions/{id}":        {Method: "DELETE", Path: SessionsPath + "/some-session"},
		"POST /sessions/revoke-others": {Method: "POST", Path: RevokeOthersPath},
	}
	for _, what := range slices.Sorted(maps.Keys(noToken)) {
		r := s.Do(t, noToken[what])
		Expect(t, what+" without a token", r, http.StatusUnauthorized, "missing_token")
		ExpectChallenge(t, what+" without a token", r, `Bearer realm="`)
	}

	start := time.Now().UTC().Truncate(time.Second)
	jar := NewJar()
	r := s.Do(t, Request{Method: "POST", Path: "/cookie/login", Jar: jar, Header: map[string]string{"User-Agent": browser},
		JSON: map[string]string{"username": "test", "password": DemoPasswords["test"]}})
	Expect(t, "cookie login from "+browser, r, http.StatusOK, "")
	// The example trusts no proxy: the IP is the connection's, whatever
	// forwarding headers a client sends, and a header that is no IP at
	// all does not fail the login.
	a := s.loginWith(t, "test", map[string]string{"User-Agent": laptop,
		"X-Forwarded-For": "198.51.100.23", "X-Real-IP": "198.51.100.23", "Forwarded": "for=198.51.100.23"})
	b := s.loginWith(t, "test", map[string]string{"User-Agent": phone,
		"X-Forwarded-For": "not-an-ip", "X-Real-IP": "not-an-ip"})
	u := s.LoginFrom(t, "user1", other)
	end := time.Now().UTC()

	for what, req := range map[string]Request{
		"GET /sessions with a refresh token":                {Method: "GET", Path: SessionsPath, Bearer: a.Refresh},
		"GET /sessions with a garbage token":                {Method: "GET", Path: SessionsPath, Bearer: "v4.local.garbage"},
		"GET /sessions with the cookies only":               {Method: "GET", Path: SessionsPath, Jar: jar.Clone()},
		"DELETE /sessions/{id} with a refresh token":        {Method: "DELETE", Path: SessionsPath + "/some-session", Bearer: a.Refresh},
		"POST /sessions/revoke-others with a refresh token": {Method: "POST", Path: RevokeOthersPath, Bearer: a.Refresh},
	} {
		r := s.Do(t, req)
		Expect(t, what, r, http.StatusUnauthorized, "")
		ExpectChallenge(t, what, r, `Bearer realm="`)
	}

	list := s.ListSessions(t, a.Access)
	if got, want := len(list), 3; got != want {
		t.Fatalf("GET /sessions: %d sessions %q, want %d: the cookie session and two API logins", got, agents(list), want)
	}
	for _, e := range list {
		if e.CreatedAt.Before(start) || e.CreatedAt.After(end) {
			t.Errorf("GET /sessions: %q created_at %v, want between %v and %v", e.UserAgent, e.CreatedAt, start, end)
		}
		// The examples keep the client's network only (KeepIP:
		// IPTruncated), never its whole address, nor a spoofed one.
		if e.IP != truncatedLoopback {
			t.Errorf("GET /sessions: %q ip %q, want %q (the connection's 127.0.0.1 truncated to its /24)", e.UserAgent, e.IP, truncatedLoopback)
		}
		if want := e.UserAgent == laptop; e.Current != want {
			t.Errorf("GET /sessions with the laptop's token: %q current %v, want %v", e.UserAgent, e.Current, want)
		}
	}
	cookieSession, laptopSession, phoneSession := byAgent(t, list, browser), byAgent(t, list, laptop), byAgent(t, list, phone)
	if laptopSession.ID == phoneSession.ID || laptopSession.ID == cookieSession.ID || phoneSession.ID == cookieSession.ID {
		t.Fatalf("GET /sessions: two sessions share an id: %+v", list)
	}
	// The same list from the phone: now its session is the current one.
	if e := byAgent(t, s.ListSessions(t, b.Access), phone); !e.Current {
		t.Errorf("GET /sessions with the phone's token: the phone's session is not current")
	}
	// user1 sees only their own session.
	ulist := s.ListSessions(t, u.Access)
	if len(ulist) != 1 || ulist[0].UserAgent != other || !ulist[0].Current {
		t.Fatalf("GET /sessions as user1: %+v, want only user1's own session, current", ulist)
	}
	userSession := ulist[0]

	// Sign the phone out from the laptop: its tokens stop working at
	// once, the laptop's still work.
	r = s.RevokeSession(t, a.Access, phoneSession.ID)
	Expect(t, "DELETE the phone's session", r, http.StatusNoContent, "")
	if len(r.Raw) != 0 {
		t.Errorf("DELETE the phone's session: body %s, want none", r.Raw)
	}
	Expect(t, "phone's access token after DELETE", s.Get(t, "/protected", b.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "phone's refresh token after DELETE", s.Refresh(t, b.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "GET /sessions with the phone's token after DELETE", s.Get(t, SessionsPath, b.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "laptop's access token after DELETE", s.Get(t, "/protected", a.Access), http.StatusOK, "")
	r = s.Refresh(t, a.Refresh, false)
	Expect(t, "laptop's refresh token after DELETE", r, http.StatusOK, "")
	a = tokenResponse(t, "laptop's refresh", r)
	list = s.ListSessions(t, a.Access)
	if got, want := agents(list), []string{laptop, browser}; !sameSet(got, want) {
		t.Errorf("GET /sessions after DELETE: user agents %q, want %q", got, want)
	}
	if e := byAgent(t, list, laptop); !e.Current || e.ID != laptopSession.ID {
		t.Errorf("GET /sessions after refresh: laptop %+v, want the same session (%s), current", e, laptopSession.ID)
	}

	// An ID that is none of the caller's sessions, unknown, already ended
	// or another user's, is 404 with the same answer: no probing.
	unknown := s.RevokeSession(t, a.Access, "no-such-session")
	Expect(t, "DELETE an unknown session", unknown, http.StatusNotFound, "unknown_session")
	for what, sid := range map[string]string{
		"user1's session":       userSession.ID,
		"the revoked session":   phoneSession.ID,
		"a session-like string": strings.Repeat("A", len(phoneSession.ID)),
	} {
		r := s.RevokeSession(t, a.Access, sid)
		Expect(t, "DELETE "+what, r, http.StatusNotFound, "unknown_session")
		if string(r.Raw) != string(unknown.Raw) || r.Header.Get("WWW-Authenticate") != unknown.Header.Get("WWW-Authenticate") {
			t.Errorf("DELETE %s: body %s, WWW-Authenticate %q; want the same as for an unknown id: %s, %q",
				what, r.Raw, r.Header.Get("WWW-Authenticate"), unknown.Raw, unknown.Header.Get("WWW-Authenticate"))
		}
	}
	Expect(t, "user1's token after test tried to revoke it", s.Get(t, "/protected", u.Access), http.StatusOK, "")

	// Sign out everywhere else: the tablet logged in since and the cookie
	// session end, the laptop stays, user1 is untouched.
	c := s.LoginFrom(t, "test", tablet)
	r = s.Post(t, RevokeOthersPath, a.Access)
	Expect(t, "POST /sessions/revoke-others", r, http.StatusNoContent, "")
	Expect(t, "tablet's access token after revoke-others", s.Get(t, "/protected", c.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "tablet's refresh token after revoke-others", s.Refresh(t, c.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "cookie session after revoke-others", s.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}),
		http.StatusUnauthorized, "revoked_token")
	Expect(t, "laptop's access token after revoke-others", s.Get(t, "/protected", a.Access), http.StatusOK, "")
	Expect(t, "user1's token after test's revoke-others", s.Get(t, "/protected", u.Access), http.StatusOK, "")
	list = s.ListSessions(t, a.Access)
	if len(list) != 1 || list[0].ID != laptopSession.ID {
		t.Errorf("GET /sessions after revoke-others: %+v, want the laptop's session only", list)
	}
	Expect(t, "POST /sessions/revoke-others again", s.Post(t, RevokeOthersPath, a.Access), http.StatusNoContent, "")

	// Signing one's own session out is a logout.
	Expect(t, "DELETE the own session", s.RevokeSession(t, a.Access, laptopSession.ID), http.StatusNoContent, "")
	Expect(t, "own access token after DELETE", s.Get(t, "/protected", a.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "own refresh token after DELETE", s.Refresh(t, a.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "user1's refresh token at the end", s.Refresh(t, u.Refresh, false), http.StatusOK, "")
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
