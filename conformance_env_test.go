package pasetoauth_test

// One case's world: keys, the fake clock, a store that can fail, the Auth
// and Guard, the mounted app, and the helpers rows build requests with.
// Every case gets its own env, so cases share nothing and run in parallel.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const gracePeriod = 10 * time.Second

// storeTimeout is the Auth's store deadline in the conformance runs: short,
// so that the hung-store rows take a fraction of a second.
const storeTimeout = 200 * time.Millisecond

type env struct {
	t     *testing.T
	clock *pasetotest.Clock
	store *pasetotest.FaultyStore // rows take it down: Set(pasetotest.Unavailable)
	auth  *paseto.Auth
	guard *paseto.Guard
	ran   atomic.Int32
	do    doFunc

	// A row's req leaves here what its then needs.
	pair    *paseto.TokenPair
	browser *browser
	pairs   map[string]*paseto.TokenPair // by the row's name for them

	// hook is what Config.OnRefresh runs; nil changes nothing.
	hook atomic.Pointer[paseto.RefreshHook]
}

// onRefresh is the Auth's Config.OnRefresh: the row's hook, if any.
func (e *env) onRefresh(ctx context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
	if h := e.hook.Load(); h != nil {
		return (*h)(ctx, c)
	}
	return paseto.RefreshUpdate{}, nil
}

// setHook makes h the Auth's refresh hook from now on; nil removes it.
func (e *env) setHook(h paseto.RefreshHook) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

// newEnv builds a case's world for adapter ad on a pasetotest kit; tweak,
// when set, adjusts the Auth's configuration first (a row's config).
func newEnv(t *testing.T, ad adapter, tweak func(*paseto.Config)) *env {
	t.Helper()
	e := &env{t: t}
	kit := pasetotest.New(t, pasetotest.Config{
		Clock: pasetotest.NewClock(epoch),
		Auth: func(c *paseto.Config) {
			// Implicit refresh needs a grace window: a page's parallel
			// requests carry the same refresh cookie, and without one the
			// second rotation counts as reuse and revokes the session.
			c.GracePeriod = gracePeriod
			c.StoreTimeout = storeTimeout
			c.OnRefresh = e.onRefresh
			if tweak != nil {
				tweak(c)
			}
		},
		// The kit's Guard: realm "api", cookies with __Host- names and
		// X-CSRF-Token.
		Guard: func(g *paseto.GuardConfig) {
			g.ImplicitRefresh = 2 * time.Minute // access tokens live 15 minutes
		},
	})
	e.clock, e.store, e.auth, e.guard = kit.Clock, kit.Store, kit.Auth, kit.Guard
	e.do = ad.mount(t, e.guard, e.respond)
	return e
}

var jsonHeader = []paseto.Header{{Name: "Content-Type", Value: "application/json"}}

func (e *env) respond(ctx context.Context, rt route, c *paseto.Claims, pair *paseto.TokenPair, body []byte, device paseto.Device) paseto.Reply {
	e.ran.Add(1)
	switch rt.path {
	case "/fresh-login":
		return e.freshLogin(ctx, c, body)
	case "/adapter/fresh-login":
		if credentialsUser(body) == "" {
			return badCredentials()
		}
		return paseto.Reply{} // the adapter's FreshLogin answers
	case "/login":
		return e.appLogin(ctx, body, device)
	}
	var user any
	if c != nil {
		user = c.Subject
	}
	b, _ := json.Marshal(map[string]any{"user": user, "pair": pair != nil})
	return paseto.Reply{Status: rt.code(), Header: jsonHeader, Body: b}
}

// password is the demo password of user in the suite's user table.
func password(user string) string { return "pw-" + user }

// freshLogin is the app's fresh re-login handler, as the examples write
// it: check the credentials, then ask for a fresh access token for the
// access token's session.
func (e *env) freshLogin(ctx context.Context, c *paseto.Claims, body []byte) paseto.Reply {
	user := credentialsUser(body)
	if user == "" {
		return badCredentials()
	}
	tok, err := e.auth.FreshLogin(ctx, c, user)
	if err != nil {
		return e.guard.ProblemFor(err, nil).Reply()
	}
	b, _ := json.Marshal(tok)
	return paseto.Reply{Status: http.StatusOK, Header: []paseto.Header{{Name: "Cache-Control", Value: "no-store"}}, Body: b}
}

// credentialsUser is the user whose right credentials the JSON body
// {"username","password"} holds, or "" when they are not right.
func credentialsUser(body []byte) string {
	var cr struct{ Username, Password string }
	if err := json.Unmarshal(body, &cr); err != nil || cr.Username == "" || cr.Password != password(cr.Username) {
		return ""
	}
	return cr.Username
}

// badCredentials is the app's answer to wrong credentials.
func badCredentials() paseto.Reply {
	b, _ := json.Marshal(paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"})
	return paseto.Reply{Status: http.StatusUnauthorized, Header: jsonHeader, Body: b}
}

// appLogin is the app's login handler, as the examples write it: check the
// credentials, then start a session listed with the adapter's Device, and
// answer the token pair or the Guard's Problem (ErrSessionLimit: 403).
func (e *env) appLogin(ctx context.Context, body []byte, device paseto.Device) paseto.Reply {
	var cr struct{ Username, Password string }
	if err := json.Unmarshal(body, &cr); err != nil || cr.Password != password(cr.Username) {
		b, _ := json.Marshal(paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"})
		return paseto.Reply{Status: http.StatusUnauthorized, Header: jsonHeader, Body: b}
	}
	pair, err := e.auth.Login(ctx, cr.Username, paseto.LoginOptions{Device: device})
	if err != nil {
		return e.guard.ProblemFor(err, nil).Reply()
	}
	b, _ := json.Marshal(pair)
	return paseto.Reply{Status: http.StatusOK, Header: []paseto.Header{{Name: "Cache-Control", Value: "no-store"}}, Body: b}
}

// freshLoginBody is the JSON credentials of user, with password pw.
func freshLoginBody(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

func (e *env) login(sub string, scopes ...string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{Scopes: scopes})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// loginAs starts a session for sub as the app's POST /login does, from a
// client sending User-Agent ua, and keeps its pair in e.pairs[name].
func (e *env) loginAs(name, sub, ua string) *paseto.TokenPair {
	e.t.Helper()
	res := e.expect(e.t, reqBody("POST", "/login", credentials(sub), "User-Agent", ua), want{status: 200, ran: true})
	if res.reply.AccessToken == "" || res.reply.RefreshToken == "" {
		e.t.Fatalf("login of %s: %s", sub, res.body)
	}
	return e.keep(name, &paseto.TokenPair{AccessToken: res.reply.AccessToken, RefreshToken: res.reply.RefreshToken})
}

// keep records p as e.pairs[name] and returns it.
func (e *env) keep(name string, p *paseto.TokenPair) *paseto.TokenPair {
	if e.pairs == nil {
		e.pairs = map[string]*paseto.TokenPair{}
	}
	e.pairs[name] = p
	return p
}

// sid is the session ID of p's access token, which must still be good.
func (e *env) sid(p *paseto.TokenPair) string {
	e.t.Helper()
	c, err := e.auth.VerifyAccess(context.Background(), p.AccessToken)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Session
}

// credentials is the JSON body of a login of user with the right password.
func credentials(user string) string { return freshLoginBody(user, password(user)) }

// loginClaims starts a session for sub whose access tokens carry claims.
func (e *env) loginClaims(sub string, claims map[string]any) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{Claims: claims})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// refreshed returns a pair minted by refresh: its access token is not fresh.
func (e *env) refreshed(sub string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Refresh(context.Background(), e.login(sub).RefreshToken)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// browser is a cookie session as a browser holds it.
type browser struct {
	access, refresh, csrf string
	names                 *paseto.CookieConfig
}

func (e *env) cookieLogin(sub string) *browser {
	e.t.Helper()
	cs, err := e.guard.LoginWithCookies(context.Background(), headerSink{}, sub, paseto.LoginOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{cs.Pair.AccessToken, cs.Pair.RefreshToken, cs.CSRF, e.guard.Config().Cookies}
}

// cookies is the Cookie header carrying the access (and, with refresh, the
// refresh) cookie and the CSRF cookie.
func (b *browser) cookies(refresh bool) string {
	s := b.names.AccessName + "=" + b.access + "; " + b.names.CSRFName + "=" + b.csrf
	if refresh {
		s += "; " + b.names.RefreshName + "=" + b.refresh
	}
	return s
}

func (b *browser) refreshCookies() string {
	return b.names.RefreshName + "=" + b.refresh + "; " + b.names.CSRFName + "=" + b.csrf
}

type headerSink http.Header

func (h headerSink) AddHeader(name, value string) { http.Header(h).Add(name, value) }

// publicToken is a valid v4.public access token, for a guard that takes
// v4.local ones.
func (e *env) publicToken(sub string) string {
	e.t.Helper()
	ring, err := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	if err != nil {
		e.t.Fatal(err)
	}
	iss, err := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{Clock: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := iss.Issue(paseto.Template{Subject: sub, Fresh: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tamper flips one character of the token's payload (in the nonce), keeping
// it well-formed.
func tamper(tok string) string {
	b := []byte(tok)
	i := strings.Index(tok, ".") + len("local.") + 8
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// req builds a request; kv are header name/value pairs (a name may repeat).
func req(method, target string, kv ...string) *http.Request {
	return reqBody(method, target, "", kv...)
}

func reqBody(method, target, body string, kv ...string) *http.Request {
	var r io.Reader = http.NoBody
	if body != "" {
		r = strings.NewReader(body)
	}
	q, err := http.NewRequest(method, "http://app.test"+target, r)
	if err != nil {
		panic(err)
	}
	if body != "" {
		q.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Header.Add(kv[i], kv[i+1])
	}
	return q
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
