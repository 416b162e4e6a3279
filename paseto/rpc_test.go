package paseto

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRPCProblemFor(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	fresh := g.FreshRequired(WithMaxAge(5 * time.Minute))
	scoped := g.Required(WithScopes("admin:users", "billing"))
	cases := []struct {
		err    error
		p      *Policy
		code   RPCCode
		reason string
		retry  time.Duration
		scopes string
		maxAge time.Duration
	}{
		{ErrMissingToken, nil, RPCUnauthenticated, "missing_token", 0, "", 0},
		{fmt.Errorf("%w: detail", ErrMalformed), nil, RPCUnauthenticated, "malformed_token", 0, "", 0},
		{ErrInvalid, nil, RPCUnauthenticated, "invalid_token", 0, "", 0},
		{ErrExpired, nil, RPCUnauthenticated, "expired_token", 0, "", 0},
		{ErrNotYetValid, nil, RPCUnauthenticated, "not_yet_valid_token", 0, "", 0},
		{ErrWrongType, nil, RPCUnauthenticated, "wrong_token_type", 0, "", 0},
		{ErrRevoked, nil, RPCUnauthenticated, "revoked_token", 0, "", 0},
		{fmt.Errorf("%w: authentication older than 5m", ErrNotFresh), fresh, RPCPermissionDenied, "insufficient_user_authentication", 0, "", 5 * time.Minute},
		{ErrNotFresh, g.FreshRequired(), RPCPermissionDenied, "insufficient_user_authentication", 0, "", 0},
		{fmt.Errorf("%w: staff only", ErrInsufficientScope), scoped, RPCPermissionDenied, "insufficient_scope", 0, "admin:users billing", 0},
		{ErrInsufficientScope, nil, RPCPermissionDenied, "insufficient_scope", 0, "", 0},
		{ErrSessionNotFound, nil, RPCNotFound, "unknown_session", 0, "", 0},
		{ErrSessionLimit, nil, RPCPermissionDenied, "too_many_sessions", 0, "", 0},
		{ErrSubjectMismatch, nil, RPCUnauthenticated, "mismatched_subject", 0, "", 0},
		{fmt.Errorf("%w: redis down", ErrStoreUnavailable), nil, RPCUnavailable, "temporarily_unavailable", time.Second, "", 0},
		{ErrStoreCorrupt, nil, RPCUnavailable, "temporarily_unavailable", time.Second, "", 0},
		{context.DeadlineExceeded, nil, RPCInternal, "server_error", 0, "", 0},
		{errors.New("app bug: secret detail"), nil, RPCInternal, "server_error", 0, "", 0},
		{ErrConfig, nil, RPCInternal, "server_error", 0, "", 0},
	}
	for _, c := range cases {
		t.Run(c.err.Error(), func(t *testing.T) {
			p := g.RPCProblemFor(c.err, c.p)
			if p.Code != c.code || p.Error != c.reason || p.RetryAfter != c.retry || strings.Join(p.Scopes, " ") != c.scopes || p.MaxAge != c.maxAge {
				t.Fatalf("got %v %q retry %v scopes %q max age %v; want %v %q retry %v scopes %q max age %v",
					p.Code, p.Error, p.RetryAfter, p.Scopes, p.MaxAge, c.code, c.reason, c.retry, c.scopes, c.maxAge)
			}
			msg := p.StatusMessage()
			if !strings.HasPrefix(msg, c.reason+": ") || strings.Contains(msg, "detail") || strings.Contains(msg, "redis") || strings.Contains(msg, "paseto") {
				t.Fatalf("status message %q: want the code and the public message only", msg)
			}
		})
	}
}

func TestRPCCodeMatchesGRPC(t *testing.T) {
	// google.rpc.Code numbers, which gRPC and Connect share.
	for c, want := range map[RPCCode]string{5: "NotFound", 7: "PermissionDenied", 13: "Internal", 14: "Unavailable", 16: "Unauthenticated", 2: "Code(2)"} {
		if got := c.String(); got != want {
			t.Errorf("RPCCode(%d) = %q, want %q", uint32(c), got, want)
		}
	}
}

func TestAuthenticateRPC(t *testing.T) {
	g, clock := newTestGuard(t, GuardConfig{Cookies: &CookieConfig{}})
	ctx := context.Background()
	pair, err := g.Auth().Login(ctx, "alice", LoginOptions{Scopes: []string{"reports:read"}})
	if err != nil {
		t.Fatal(err)
	}
	tok := pair.AccessToken
	cases := []struct {
		name string
		auth []string
		p    *Policy
		sub  string // "" with want nil: anonymous
		want error
	}{
		{"valid", []string{"Bearer " + tok}, g.Required(), "alice", nil},
		{"scheme in any case", []string{"BEARER " + tok}, g.Required(), "alice", nil},
		{"none", nil, g.Required(), "", ErrMissingToken},
		{"empty value", []string{""}, g.Required(), "", ErrMissingToken},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, g.Required(), "", ErrMissingToken},
		{"two values", []string{"Bearer " + tok, "Bearer " + tok}, g.Required(), "", ErrMalformed},
		{"two tokens in one value", []string{"Bearer " + tok + ", " + tok}, g.Required(), "", ErrMalformed},
		{"refresh token", []string{"Bearer " + pair.RefreshToken}, g.Required(), "", ErrInvalid},
		{"scope missing", []string{"Bearer " + tok}, g.Required(WithScopes("admin:users")), "", ErrInsufficientScope},
		{"scope held", []string{"Bearer " + tok}, g.Required(WithAnyScope("admin:users", "reports:read")), "alice", nil},
		{"fresh", []string{"Bearer " + tok}, g.FreshRequired(), "alice", nil},
		{"optional, none", nil, g.Optional(), "", nil},
		{"optional, bad", []string{"Bearer nope"}, g.Optional(), "", ErrMalformed},
		{"optional lenient, bad", []string{"Bearer nope"}, g.Optional(WithAnonymousOnInvalid()), "", nil},
		{"optional lenient, two values", []string{"Bearer a", "Bearer b"}, g.Optional(WithAnonymousOnInvalid()), "", nil},
		{"refresh policy", []string{"Bearer " + pair.RefreshToken}, g.RefreshRequired(), "", ErrConfig},
		{"query policy", []string{"Bearer " + tok}, g.Required(WithQueryToken()), "", ErrConfig},
		{"nil policy", []string{"Bearer " + tok}, nil, "", ErrConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := g.AuthenticateRPC(ctx, c.auth, c.p)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if got := subjectOf(cl); got != c.sub {
				t.Fatalf("subject %q, want %q", got, c.sub)
			}
		})
	}

	clock.add(16 * time.Minute)
	if _, err := g.AuthenticateRPC(ctx, []string{"Bearer " + tok}, g.Required()); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired token: err = %v, want ErrExpired", err)
	}
}

func subjectOf(c *Claims) string {
	if c == nil {
		return ""
	}
	return c.Subject
}

func TestMethodPolicies(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	opt, admin, health := g.Optional(), g.Required(WithScopes("admin")), g.Optional(WithAnonymousOnInvalid())
	tab, err := NewMethodPolicies(nil, map[string]*Policy{
		"/greeter.v1.Greeter/Hello":  opt,
		"/admin.v1.Admin/DeleteUser": admin,
		"/grpc.health.v1.Health/*":   health,
	})
	if err != nil {
		t.Fatal(err)
	}
	def := tab.Default()
	if def == nil || def.optional || def.fresh || def.refresh || len(def.reqs) != 0 {
		t.Fatalf("default of a nil default = %+v, want Required()", def)
	}
	for method, want := range map[string]*Policy{
		"/greeter.v1.Greeter/Hello":     opt,
		"/greeter.v1.Greeter/Goodbye":   def,
		"/admin.v1.Admin/DeleteUser":    admin,
		"/grpc.health.v1.Health/Check":  health,
		"/grpc.health.v1.Health/Watch":  health,
		"/grpc.health.v1.Healthz/Check": def,
		"":                              def,
		"garbage":                       def,
	} {
		if got := tab.For(method); got != want {
			t.Errorf("For(%q) = %p, want %p", method, got, want)
		}
	}

	other := g.FreshRequired()
	tab, err = NewMethodPolicies(other, nil)
	if err != nil || tab.For("/a.B/C") != other {
		t.Fatalf("explicit default: %v, For = %p, want %p", err, tab.For("/a.B/C"), other)
	}

	for name, c := range map[string]struct {
		def     *Policy
		methods map[string]*Policy
	}{
		"no leading slash":   {nil, map[string]*Policy{"a.B/C": opt}},
		"no method":          {nil, map[string]*Policy{"/a.B/": opt}},
		"no service":         {nil, map[string]*Policy{"//C": opt}},
		"three parts":        {nil, map[string]*Policy{"/a.B/C/D": opt}},
		"service only":       {nil, map[string]*Policy{"/a.B": opt}},
		"nil policy":         {nil, map[string]*Policy{"/a.B/C": nil}},
		"refresh policy":     {nil, map[string]*Policy{"/a.B/C": g.RefreshRequired()}},
		"query policy":       {nil, map[string]*Policy{"/a.B/C": g.Required(WithQueryToken())}},
		"refresh as default": {g.RefreshRequired(), nil},
	} {
		if _, err := NewMethodPolicies(c.def, c.methods); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestMethodPoliciesCopiesTheMap(t *testing.T) {
	g, _ := newTestGuard(t, GuardConfig{})
	m := map[string]*Policy{"/a.B/C": g.Optional()}
	tab, err := NewMethodPolicies(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	m["/a.B/D"] = g.Optional()
	if tab.For("/a.B/D") != tab.Default() {
		t.Fatal("a method added to the map after NewMethodPolicies changed the table")
	}
}

func BenchmarkMethodPoliciesFor(b *testing.B) {
	g, _ := newTestGuard(b, GuardConfig{})
	tab, err := NewMethodPolicies(nil, map[string]*Policy{
		"/greeter.v1.Greeter/Hello": g.Optional(),
		"/grpc.health.v1.Health/*":  g.Optional(),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []string{"/greeter.v1.Greeter/Hello", "/grpc.health.v1.Health/Check", "/other.v1.Service/Method"} {
		b.Run(m, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tab.For(m) == nil {
					b.Fatal("nil policy")
				}
			}
		})
	}
}

// A nil table is the empty one: every method needs a valid access token.
func TestNilMethodPoliciesRequireEverything(t *testing.T) {
	var table *MethodPolicies
	empty, err := NewMethodPolicies(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"/pkg.Service/Method", "", "not a method"} {
		got, want := table.For(m), empty.For(m)
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Errorf("nil table For(%q) = %+v, want %+v", m, got, want)
		}
	}
	if p := table.Default(); p == nil || !reflect.DeepEqual(p, empty.Default()) {
		t.Errorf("nil table Default() = %+v", p)
	}
	if err := table.Check("/pkg.Service/Method"); err != nil {
		t.Errorf("nil table Check: %v", err)
	}
}
