package adaptertest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// LoginDevice starts a session for sub listed with device d and returns
// its pair and its session ID.
func (f *Fixture) LoginDevice(tb testing.TB, sub string, d paseto.Device) (*paseto.TokenPair, string) {
	tb.Helper()
	p, err := f.Auth.Login(context.Background(), sub, paseto.LoginOptions{Device: d})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := f.Auth.VerifyAccess(context.Background(), p.AccessToken)
	if err != nil {
		tb.Fatal(err)
	}
	return p, c.Session
}

// CheckSessionRoutes drives an app built by an adapter test: GET /p must
// be a Required route whose handler increments ran and answers 200, GET
// /sessions the adapter's SessionsHandler, DELETE /sessions/{id} its
// RevokeSessionHandler reading the path parameter "id" (":id" in the
// framework's syntax), POST /sessions/revoke-others its
// RevokeOtherSessionsHandler, all with the adapter's default error
// handling.
//
// It checks the list (newest first, one current, the devices, nobody
// else's sessions, not cacheable), that revoking one session ends its
// tokens and no other, that an unknown ID and another user's are the same
// 404, "sign out everywhere else", the 401 without a token, and, with
// cookies, the CSRF rule and that revoking the browser's own session
// expires its cookies.
func CheckSessionRoutes(t *testing.T, f *Fixture, ran *atomic.Int64, do Do) {
	t.Helper()
	phone, phoneID := f.LoginDevice(t, "alice", paseto.Device{UserAgent: "phone"})
	f.Clock.Advance(time.Second) // creation times order the list
	laptop, laptopID := f.LoginDevice(t, "alice", paseto.Device{UserAgent: "laptop"})
	bob, bobID := f.LoginDevice(t, "bob", paseto.Device{UserAgent: "bob's"})

	// The list.
	resp := do(bearerRequest("GET", "/sessions", laptop.AccessToken))
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sessions: status %d, body %s", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /sessions: Cache-Control %q, want no-store", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /sessions: Content-Type %q, want application/json", ct)
	}
	list := decodeSessions(t, body)
	if len(list) != 2 || list[0].ID != laptopID || list[1].ID != phoneID ||
		!list[0].Current || list[1].Current ||
		list[0].UserAgent != "laptop" || list[1].UserAgent != "phone" {
		t.Errorf("GET /sessions as the laptop = %s\nwant the laptop's session %s (current), then the phone's %s", body, laptopID, phoneID)
	}
	if strings.Contains(body, bobID) {
		t.Errorf("alice's list shows bob's session: %s", body)
	}
	get := func(name, token string, status int) {
		t.Helper()
		before := ran.Load()
		resp := do(bearerRequest("GET", "/p", token))
		body := readAll(t, resp)
		if resp.StatusCode != status {
			t.Errorf("%s on /p: status %d, want %d; body %s", name, resp.StatusCode, status, body)
		}
		if wantRun := status == http.StatusOK; (ran.Load() > before) != wantRun {
			t.Errorf("%s on /p: the handler ran %d times, want %v", name, ran.Load()-before, wantRun)
		}
		if status == http.StatusUnauthorized && !strings.Contains(body, `"revoked_token"`) {
			t.Errorf("%s on /p: body %s, want revoked_token", name, body)
		}
	}

	// No token.
	for _, q := range []*http.Request{
		httptestRequest("GET", "/sessions", ""),
		httptestRequest("DELETE", "/sessions/"+phoneID, ""),
		httptestRequest("POST", "/sessions/revoke-others", ""),
	} {
		resp := do(q)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="api"` || !strings.Contains(body, `"missing_token"`) {
			t.Errorf("%s %s without a token: status %d, WWW-Authenticate %q, body %s; want 401 missing_token with the challenge",
				q.Method, q.URL.Path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}

	// Another user's session and an unknown one: the same 404, and bob's
	// session lives on.
	var bodies []string
	for _, sid := range []string{bobID, "no-such-session"} {
		resp := do(bearerRequest("DELETE", "/sessions/"+sid, laptop.AccessToken))
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"unknown_session"`) {
			t.Errorf("DELETE /sessions/%s: status %d, body %s; want 404 unknown_session", sid, resp.StatusCode, body)
		}
		if ch := resp.Header.Values("WWW-Authenticate"); len(ch) > 0 {
			t.Errorf("DELETE /sessions/%s: WWW-Authenticate %q, want none (the token is fine)", sid, ch)
		}
		bodies = append(bodies, body)
	}
	if bodies[0] != bodies[1] {
		t.Errorf("another user's session answered %s, an unknown one %s: they must not differ", bodies[0], bodies[1])
	}
	get("bob", bob.AccessToken, http.StatusOK)

	// Revoke one.
	resp = do(bearerRequest("DELETE", "/sessions/"+phoneID, laptop.AccessToken))
	if body := readAll(t, resp); resp.StatusCode != http.StatusNoContent || body != "" {
		t.Errorf("DELETE the phone's session: status %d, body %q; want 204 and no body", resp.StatusCode, body)
	}
	get("the phone's revoked token", phone.AccessToken, http.StatusUnauthorized)
	get("the laptop", laptop.AccessToken, http.StatusOK)

	// Sign out everywhere else.
	tablet, _ := f.LoginDevice(t, "alice", paseto.Device{UserAgent: "tablet"})
	resp = do(bearerRequest("POST", "/sessions/revoke-others", laptop.AccessToken))
	if body := readAll(t, resp); resp.StatusCode != http.StatusNoContent || body != "" {
		t.Errorf("POST /sessions/revoke-others: status %d, body %q; want 204 and no body", resp.StatusCode, body)
	}
	get("the tablet after revoke-others", tablet.AccessToken, http.StatusUnauthorized)
	get("the laptop after revoke-others", laptop.AccessToken, http.StatusOK)
	get("bob after alice's revoke-others", bob.AccessToken, http.StatusOK)

	checkCookieSessionRoutes(t, f, do)
}

// checkCookieSessionRoutes: a cookie-borne token follows the CSRF rule on
// DELETE and POST, and revoking the browser's own session expires its
// cookies.
func checkCookieSessionRoutes(t *testing.T, f *Fixture, do Do) {
	t.Helper()
	names := f.Guard.Config().Cookies
	cookie, csrf := f.CookieLogin(t, "carol")
	resp := do(httptestRequest("GET", "/sessions", cookie)) // a safe method: no CSRF header needed
	body := readAll(t, resp)
	list := decodeSessions(t, body)
	if resp.StatusCode != http.StatusOK || len(list) != 1 || !list[0].Current {
		t.Fatalf("GET /sessions by cookie: status %d, body %s; want the one current session", resp.StatusCode, body)
	}
	sid := list[0].ID

	for _, q := range []*http.Request{
		httptestRequest("DELETE", "/sessions/"+sid, cookie),
		httptestRequest("POST", "/sessions/revoke-others", cookie),
	} {
		resp := do(q)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"invalid_csrf_token"`) {
			t.Errorf("%s %s by cookie without the CSRF header: status %d, body %s; want 403 invalid_csrf_token", q.Method, q.URL.Path, resp.StatusCode, body)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s %s refused: Set-Cookie %q", q.Method, q.URL.Path, sc)
		}
	}

	q := httptestRequest("DELETE", "/sessions/"+sid, cookie)
	q.Header.Set(names.CSRFHeader, csrf)
	resp = do(q)
	readAll(t, resp)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE the browser's own session: status %d", resp.StatusCode)
	}
	cleared := map[string]bool{}
	for _, c := range resp.Cookies() {
		cleared[c.Name] = c.MaxAge < 0 && c.Value == ""
	}
	for _, name := range []string{names.AccessName, names.RefreshName, names.CSRFName} {
		if !cleared[name] {
			t.Errorf("revoking the browser's own session did not expire %s: %v", name, resp.Header.Values("Set-Cookie"))
		}
	}
	resp = do(httptestRequest("GET", "/p", cookie))
	if body := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the revoked cookie session on /p: status %d, body %s; want 401", resp.StatusCode, body)
	}
}

func decodeSessions(t *testing.T, body string) []paseto.SessionInfo {
	t.Helper()
	var v struct {
		Sessions []paseto.SessionInfo `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("session list %q: %v", body, err)
	}
	return v.Sessions
}

// What CheckDevice sends: the User-Agent header, and the client address
// of a request served in-process (a fasthttp app.Test ignores it).
const (
	DeviceUserAgent  = "Mozilla/5.0 (adaptertest)"
	DeviceRemoteAddr = "192.0.2.1:1234"
)

// CheckDevice drives an app built by an adapter test whose GET /device
// answers the adapter's Device helper as JSON (a paseto.Device). It checks
// that the user agent is the request's and the IP is wantIP, the client
// address the framework reports for a request from DeviceRemoteAddr, and
// that a proxy
// header that is no IP address never becomes Device.IP (Auth would refuse
// the login).
func CheckDevice(t *testing.T, wantIP string, do Do) {
	t.Helper()
	get := func(kv ...string) paseto.Device {
		t.Helper()
		q := httptestRequest("GET", "/device", "")
		q.Header.Set("User-Agent", DeviceUserAgent)
		q.RemoteAddr = DeviceRemoteAddr
		for i := 0; i+1 < len(kv); i += 2 {
			q.Header.Set(kv[i], kv[i+1])
		}
		resp := do(q)
		body := readAll(t, resp)
		var d paseto.Device
		if err := json.Unmarshal([]byte(body), &d); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GET /device: status %d, body %q", resp.StatusCode, body)
		}
		return d
	}
	if d := get(); d.UserAgent != DeviceUserAgent || d.IP != wantIP || d.Label != "" {
		t.Errorf("Device = %+v, want user agent %q and IP %q", d, DeviceUserAgent, wantIP)
	}
	d := get("X-Forwarded-For", "not-an-ip", "X-Real-IP", "not-an-ip")
	if _, err := netip.ParseAddr(d.IP); d.IP != "" && err != nil {
		t.Errorf("Device with a bogus proxy header = %+v: IP is not an IP address", d)
	}
}
