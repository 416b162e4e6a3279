package paseto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeRequest is a Request/Response for unit tests of the Guard.
type fakeRequest struct {
	method  string
	headers http.Header
	cookies map[string]string
	query   map[string]string
	body    string
	out     http.Header
}

func (f *fakeRequest) Context() context.Context          { return context.Background() }
func (f *fakeRequest) Method() string                    { return f.method }
func (f *fakeRequest) HeaderValues(name string) []string { return f.headers.Values(name) }
func (f *fakeRequest) Cookie(name string) string         { return f.cookies[name] }
func (f *fakeRequest) Query(name string) string          { return f.query[name] }
func (f *fakeRequest) AddHeader(name, value string)      { f.out.Add(name, value) }
func (f *fakeRequest) Body(limit int64) ([]byte, error) {
	if int64(len(f.body)) > limit {
		return nil, errors.New("body too large")
	}
	return io.ReadAll(strings.NewReader(f.body))
}

func newFakeRequest(method string, auth ...string) *fakeRequest {
	f := &fakeRequest{method: method, headers: http.Header{}, cookies: map[string]string{}, query: map[string]string{}, out: http.Header{}}
	for _, a := range auth {
		f.headers.Add("Authorization", a)
	}
	return f
}

func TestBearer(t *testing.T) {
	cases := []struct {
		name    string
		headers []string
		want    string
		err     error
	}{
		{"none", nil, "", nil},
		{"bearer", []string{"Bearer abc"}, "abc", nil},
		{"lower-case scheme", []string{"bearer abc"}, "abc", nil},
		{"upper-case scheme", []string{"BEARER abc"}, "abc", nil},
		{"extra spaces", []string{"Bearer   abc "}, "abc", nil},
		{"scheme alone", []string{"Bearer"}, "", ErrMalformed},
		{"scheme and space", []string{"Bearer "}, "", ErrMalformed},
		{"two tokens", []string{"Bearer a b"}, "", ErrMalformed},
		{"comma list", []string{"Bearer a,b"}, "", ErrMalformed},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, "", nil},
		{"scheme prefix only", []string{"Bearerabc"}, "", nil},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := bearer(newFakeRequest("GET", c.headers...))
			if got != c.want || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("bearer = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
		})
	}
}

func newTestGuard(t testing.TB, cfg GuardConfig) (*Guard, *testClock) {
	t.Helper()
	clock := newTestClock(epoch)
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now, GracePeriod: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGuard(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, clock
}

func TestProblemFor(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{Realm: "shop"})
	fresh := g.FreshRequired(WithMaxAge(5 * time.Minute))
	scoped := g.Required(WithScopes("admin:users", "billing"))
	const invalid = `Bearer realm="shop", error="invalid_token", error_description=`
	cases := []struct {
		err       error
		p         *Policy
		status    int
		challenge string
		code      string
	}{
		{ErrMissingToken, nil, 401, `Bearer realm="shop"`, "missing_token"},
		{fmt.Errorf("%w: detail", ErrMalformed), nil, 401, invalid + `"malformed token"`, "malformed_token"},
		{ErrInvalid, nil, 401, invalid + `"invalid token"`, "invalid_token"},
		{ErrExpired, nil, 401, invalid + `"token has expired"`, "expired_token"},
		{ErrNotYetValid, nil, 401, invalid + `"token is not valid yet"`, "not_yet_valid_token"},
		{ErrWrongType, nil, 401, invalid + `"token has the wrong type"`, "wrong_token_type"},
		{ErrRevoked, nil, 401, invalid + `"token has been revoked"`, "revoked_token"},
		{ErrRefreshReused, nil, 401, invalid + `"refresh token reuse detected; session revoked"`, "reused_refresh_token"},
		{ErrSessionExpired, nil, 401, invalid + `"session expired"`, "expired_session"},
		{ErrNotFresh, fresh, 401, `Bearer realm="shop", error="insufficient_user_authentication", error_description="fresh token required", max_age=300`, "insufficient_user_authentication"},
		{ErrNotFresh, g.FreshRequired(), 401, `Bearer realm="shop", error="insufficient_user_authentication", error_description="fresh token required"`, "insufficient_user_authentication"},
		{ErrCSRF, nil, 403, "", "invalid_csrf_token"},
		{ErrSessionLimit, nil, 403, "", "too_many_sessions"},
		{ErrSessionNotFound, nil, 404, "", "unknown_session"},
		{ErrInsufficientScope, scoped, 403, `Bearer realm="shop", error="insufficient_scope", error_description="token lacks the required scope", scope="admin:users billing"`, "insufficient_scope"},
		{fmt.Errorf("%w: redis down", ErrStoreUnavailable), nil, 503, "", "temporarily_unavailable"},
		{ErrStoreFull, nil, 503, "", "temporarily_unavailable"},
		{errors.New("app bug: secret detail"), nil, 500, "", "server_error"},
		{ErrConfig, nil, 500, "", "server_error"},
	}
	for _, c := range cases {
		t.Run(Code(c.err), func(t *testing.T) {
			p := g.ProblemFor(c.err, c.p)
			if p.Status != c.status || p.Challenge != c.challenge || p.Body.Error != c.code {
				t.Fatalf("got %d %q %q, want %d %q %q", p.Status, p.Challenge, p.Body.Error, c.status, c.challenge, c.code)
			}
			if strings.Contains(string(p.Body.JSON()), "detail") || strings.Contains(string(p.Body.JSON()), "redis") {
				t.Fatalf("body leaks internals: %s", p.Body.JSON())
			}
		})
	}
}

func TestGuardConfigRefuses(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]GuardConfig{
		"quote in realm":                          {Realm: `a"b`},
		"implicit refresh no cookies":             {ImplicitRefresh: time.Minute},
		"host prefix on scoped path":              {Cookies: &CookieConfig{RefreshName: "__Host-rt", RefreshPath: "/auth/refresh"}},
		"secure prefix with insecure":             {Cookies: &CookieConfig{AccessName: "__Secure-at", Insecure: true}},
		"relative refresh path":                   {Cookies: &CookieConfig{RefreshPath: "auth"}},
		"implicit refresh, scoped refresh cookie": {Cookies: &CookieConfig{RefreshPath: "/auth/refresh"}, ImplicitRefresh: time.Minute},
	} {
		if _, err := NewGuard(a, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustPublicRing(t, GenerateSecretKey())}); !errors.Is(err, ErrConfig) {
		t.Errorf("public refresh ring: got %v", err)
	}
	k := GenerateSymmetricKey()
	if _, err := New(Config{AccessKeys: mustLocalRing(t, k), RefreshKeys: mustLocalRing(t, k)}); !errors.Is(err, ErrConfig) {
		t.Errorf("shared access/refresh key: got %v", err)
	}
	if _, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), GracePeriod: time.Hour}); !errors.Is(err, ErrConfig) {
		t.Errorf("huge grace: got %v", err)
	}
}

func TestCookieAttributes(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{Cookies: &CookieConfig{RefreshPath: "/auth/refresh"}})
	w := newFakeRequest("POST")
	sess, err := g.LoginWithCookies(context.Background(), w, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := w.out.Values("Set-Cookie")
	if len(got) != 3 {
		t.Fatalf("Set-Cookie: %q", got)
	}
	checks := []struct{ prefix, must, mustNot string }{
		{"__Host-access_token=", "; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Strict", "Domain"},
		{"__Secure-refresh_token=", "; Path=/auth/refresh; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict", "Domain"},
		{"__Host-csrf_token=" + sess.CSRF, "; Path=/; Max-Age=2592000; Secure; SameSite=Strict", "HttpOnly"},
	}
	for i, c := range checks {
		if !strings.HasPrefix(got[i], c.prefix) || !strings.HasSuffix(got[i], c.must) || strings.Contains(got[i], c.mustNot) {
			t.Errorf("cookie %d = %q, want prefix %q suffix %q", i, got[i], c.prefix, c.must)
		}
	}
	w.out = http.Header{}
	g.ClearSessionCookies(w)
	for _, c := range w.out.Values("Set-Cookie") {
		if !strings.Contains(c, "Max-Age=0") {
			t.Errorf("cleared cookie %q has no Max-Age=0", c)
		}
	}
}

func TestRefreshFromBody(t *testing.T) {
	cases := []struct {
		body string
		want string
		err  error
	}{
		{`{"refresh_token":"v4.local.abc"}`, "v4.local.abc", nil},
		{`{"grant_type":"refresh_token","refresh_token":"x"}`, "x", nil},
		{``, "", ErrMissingToken},
		{`{}`, "", ErrMissingToken},
		{`{"refresh_token":""}`, "", ErrMissingToken},
		{`{"refresh_token":1}`, "", ErrMalformed},
		{`{"refresh_token":"a","refresh_token":"b"}`, "", ErrMalformed},
		{`not json`, "", ErrMalformed},
		{`{"refresh_token":{"a":1}}`, "", ErrMalformed},
	}
	for _, c := range cases {
		got, err := refreshFromBody([]byte(c.body))
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: got %q, %v; want %q, %v", c.body, got, err, c.want, c.err)
		}
	}
}

func TestScopeGranted(t *testing.T) {
	cases := []struct {
		granted  []string
		required string
		want     bool
	}{
		{[]string{"read"}, "read", true},
		{[]string{"read"}, "write", false},
		{[]string{"admin:*"}, "admin:users", true},
		{[]string{"admin:*"}, "admin:users:read", true},
		{[]string{"admin:*"}, "admin", false},
		{[]string{"admin:*"}, "administrator", false},
		{[]string{"admin:*"}, "admin:", false},
		{[]string{"admin*"}, "administrator", false},
		{[]string{"*"}, "read", false},
		{[]string{"admin:users:*"}, "admin:groups", false},
		{nil, "read", false},
	}
	for _, c := range cases {
		if got := ScopeGranted(c.granted, c.required); got != c.want {
			t.Errorf("ScopeGranted(%q, %q) = %v, want %v", c.granted, c.required, got, c.want)
		}
	}
}

func TestScopesCarriedByRefreshNeverWidened(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	a := g.Auth()
	ctx := context.Background()
	pair, err := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"orders:read", "admin:*"}})
	if err != nil {
		t.Fatal(err)
	}
	next, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.VerifyAccess(ctx, next.AccessToken, RequireScopes("admin:users"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Scopes, " ") != "orders:read admin:*" {
		t.Fatalf("scopes after refresh: %q", c.Scopes)
	}
	if _, err := a.VerifyAccess(ctx, next.AccessToken, RequireAnyScope("billing", "orders:write")); !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("want ErrInsufficientScope, got %v", err)
	}
	if _, err := a.Login(ctx, "alice", LoginOptions{Scopes: []string{"has space"}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("invalid scope: got %v", err)
	}
}

func TestImplicitRefresh(t *testing.T) {
	g, clock := newTestGuard(t, GuardConfig{Cookies: &CookieConfig{}, ImplicitRefresh: 5 * time.Minute})
	ctx := context.Background()
	login := func() *fakeRequest {
		w := newFakeRequest("POST")
		if _, err := g.LoginWithCookies(ctx, w, "alice", LoginOptions{}); err != nil {
			t.Fatal(err)
		}
		r := newFakeRequest("GET")
		for _, sc := range w.out.Values("Set-Cookie") {
			ck, err := http.ParseSetCookie(sc)
			if err != nil {
				t.Fatal(err)
			}
			r.cookies[ck.Name] = ck.Value
		}
		return r
	}
	r := login()
	res, err := g.Authenticate(r, r, g.Required())
	if err != nil || res.ImplicitRefreshDue() {
		t.Fatalf("fresh cookie session: due=%v err=%v", res.ImplicitRefreshDue(), err)
	}

	clock.add(11 * time.Minute) // 4 minutes left on the access token
	res, err = g.Authenticate(r, r, g.Required())
	if err != nil || !res.ImplicitRefreshDue() {
		t.Fatalf("near expiry: due=%v err=%v", res.ImplicitRefreshDue(), err)
	}
	failed := res
	g.FinishImplicitRefresh(ctx, &failed, 500, r)
	if len(r.out.Values("Set-Cookie")) != 0 {
		t.Fatal("implicit refresh on a failed response")
	}
	g.FinishImplicitRefresh(ctx, &res, 200, r)
	if n := len(r.out.Values("Set-Cookie")); n != 3 {
		t.Fatalf("implicit refresh set %d cookies, want access, refresh and the CSRF cookie renewed", n)
	}
	if want := g.cfg.Cookies.CSRFName + "=" + r.cookies[g.cfg.Cookies.CSRFName] + ";"; !strings.HasPrefix(r.out.Values("Set-Cookie")[2], want) {
		t.Errorf("renewed CSRF cookie %q, want the same value %q", r.out.Values("Set-Cookie")[2], want)
	}
	// The refresh cookie the failed response left in place was rotated by
	// the successful one; a refresh cookie of another session is refused.
	other := login()
	r.out = http.Header{}
	r.cookies[g.cfg.Cookies.RefreshName] = other.cookies[g.cfg.Cookies.RefreshName]
	res, _ = g.Authenticate(r, r, g.Required())
	g.FinishImplicitRefresh(ctx, &res, 200, r)
	if len(r.out.Values("Set-Cookie")) != 0 {
		t.Fatal("implicit refresh used another session's refresh cookie")
	}
	// A revoked access token is not resurrected by implicit refresh.
	r2 := login()
	clock.add(11 * time.Minute)
	c, err := g.Auth().VerifyAccess(ctx, r2.cookies[g.cfg.Cookies.AccessName])
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Auth().Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if res, err := g.Authenticate(r2, r2, g.Required()); !errors.Is(err, ErrRevoked) || res.ImplicitRefreshDue() {
		t.Fatalf("revoked: %v", err)
	}
}

// WithMaxAge belongs to FreshRequired: elsewhere, or non-positive, it is a
// route mistake refused at start-up.
func TestWithMaxAgeRefusedOutsideFreshRequired(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	if p := g.FreshRequired(); p.MaxAge != 0 {
		t.Errorf("FreshRequired() MaxAge = %v, want 0 (any age)", p.MaxAge)
	}
	if p := g.FreshRequired(WithMaxAge(time.Minute)); p.MaxAge != time.Minute {
		t.Errorf("FreshRequired(WithMaxAge(1m)) MaxAge = %v", p.MaxAge)
	}
	for name, build := range map[string]func(){
		"Required":        func() { g.Required(WithMaxAge(time.Minute)) },
		"Optional":        func() { g.Optional(WithMaxAge(time.Minute)) },
		"RefreshRequired": func() { g.RefreshRequired(WithMaxAge(time.Minute)) },
		"zero age":        func() { WithMaxAge(0) },
		"negative age":    func() { WithMaxAge(-time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			build()
		})
	}
}

// The replies the adapters copy verbatim.
func TestReplies(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	pair := &TokenPair{AccessToken: "a", RefreshToken: "r", ExpiresIn: 900, RefreshExpiresIn: 60}
	r := g.RefreshReply(Result{Pair: pair, Source: SourceBody})
	want := `{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":900,"refresh_expires_in":60}`
	if r.Status != 200 || string(r.Body) != want || !hasHeader(r, "Cache-Control", "no-store") || !hasHeader(r, "Content-Type", "application/json") {
		t.Errorf("RefreshReply = %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := g.RefreshReply(Result{Pair: pair, Source: SourceCookie}); strings.Contains(string(r.Body), `"a"`) {
		t.Errorf("cookie refresh reply carries the tokens: %s", r.Body)
	}
	if r := LogoutReply(); r.Status != 204 || r.Body != nil || r.Header != nil {
		t.Errorf("LogoutReply = %+v", r)
	}
	p := g.ProblemFor(fmt.Errorf("%w: redis down", ErrStoreUnavailable), nil)
	r = p.Reply()
	if r.Status != 503 || !hasHeader(r, "Retry-After", "1") || !hasHeader(r, "Content-Type", "application/json") || string(r.Body) != string(p.Body.JSON()) {
		t.Errorf("Problem.Reply = %d %v %s", r.Status, r.Header, r.Body)
	}
	p = g.ProblemFor(ErrMissingToken, nil)
	if h := p.Header(); len(h) != 1 || h[0] != (Header{"WWW-Authenticate", `Bearer realm="api"`}) {
		t.Errorf("Problem.Header = %v", h)
	}
	if b, _ := json.Marshal(p.Body); string(b) != string(p.Body.JSON()) {
		t.Errorf("json.Marshal(ErrorBody) = %s, want %s", b, p.Body.JSON())
	}
}

func hasHeader(r Reply, name, value string) bool {
	for _, h := range r.Header {
		if h.Name == name && h.Value == value {
			return true
		}
	}
	return false
}
