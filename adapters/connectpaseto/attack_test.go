package connectpaseto_test

// Attacks on a real Connect server (connect-go behind net/http on a
// loopback httptest server), made with a plain HTTP client so that every
// protocol connect-go accepts (Connect unary POST and GET, gRPC-Web) and
// every path spelling can be tried. The table has an Optional default, so
// a call that escaped its method's entry would run with less than it
// should.

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/connectpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

const adminProcedure = "/attack.v1.Svc/Admin"

// serveAttack serves adminProcedure (Required, scope admin:users; without
// side effects, so Connect GET is allowed) behind connectpaseto, and
// returns its URL and the count of handler runs.
func serveAttack(t *testing.T, g *paseto.Guard) (string, *atomic.Int32) {
	t.Helper()
	pol, err := paseto.NewMethodPolicies(g.Optional(), map[string]*paseto.Policy{
		adminProcedure: g.Required(paseto.WithScopes("admin:users")),
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := new(atomic.Int32)
	in := connectpaseto.New(g, connectpaseto.Config{Policies: pol})
	mux := http.NewServeMux()
	mux.Handle(adminProcedure, connect.NewUnaryHandler(adminProcedure,
		func(ctx context.Context, _ *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			ran.Add(1)
			return connect.NewResponse(wrapperspb.String(connectpaseto.Subject(ctx))), nil
		},
		connect.WithInterceptors(in), connect.WithIdempotency(connect.IdempotencyNoSideEffects)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, ran
}

// grpcWebBody is one gRPC-Web frame holding m.
func grpcWebBody(t *testing.T, m proto.Message) string {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 5, 5+len(b))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(b)))
	return string(append(frame, b...))
}

func TestAttackConnectProtocolsAndPaths(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	base, ran := serveAttack(t, kit.Guard)
	tok := kit.AccessToken(t, "alice", pasetotest.Scopes("admin:users"))
	noScope := kit.AccessToken(t, "bob")
	get := "?encoding=json&message=" + url.QueryEscape(`"hi"`)
	// want is the status of a refusal: 401 or 403 from the interceptor
	// (gRPC-Web answers 200 with grpc-status; see do), 0 for any refusal
	// of the path itself.
	type req struct {
		name, method, path, ctype, body string
		header                          http.Header
		want                            int
	}
	post := func(name, path string, h http.Header) req {
		want := http.StatusUnauthorized
		if path != adminProcedure {
			want = 0
		}
		return req{name, http.MethodPost, path, "application/json", `"hi"`, h, want}
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	refused := []req{
		post("POST, no token", adminProcedure, nil),
		{"POST, token without the scope", http.MethodPost, adminProcedure, "application/json", `"hi"`, bearer(noScope), http.StatusForbidden},
		post("POST, two Authorization headers", adminProcedure, http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}),
		post("POST, token in a look-alike header", adminProcedure, http.Header{"X-Authorization": {"Bearer " + tok}}),
		{"GET, no token", http.MethodGet, adminProcedure + get, "", "", nil, http.StatusUnauthorized},
		{"GET, token in the query", http.MethodGet, adminProcedure + get + "&authorization=" + url.QueryEscape("Bearer "+tok) + "&access_token=" + tok, "", "", nil, http.StatusUnauthorized},
		{"gRPC-Web, no token", http.MethodPost, adminProcedure, "application/grpc-web+proto", grpcWebBody(t, wrapperspb.String("hi")), nil, http.StatusUnauthorized},
		post("trailing slash", adminProcedure+"/", nil),
		post("lower case", strings.ToLower(adminProcedure), nil),
		post("double slash", "/attack.v1.Svc//Admin", nil),
		post("dot segment", "/attack.v1.Svc/./Admin", nil),
		post("escaped slash", "/attack.v1.Svc%2FAdmin", nil),
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(r req) int {
		hr, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range r.header {
			hr.Header[k] = v
		}
		if r.ctype != "" {
			hr.Header.Set("Content-Type", r.ctype)
		}
		resp, err := client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(r.ctype, "application/grpc-web") && resp.Header.Get("Grpc-Status") == "16" {
			return http.StatusUnauthorized // a trailers-only gRPC-Web Unauthenticated
		}
		return resp.StatusCode
	}
	for _, r := range refused {
		switch code := do(r); {
		case code == http.StatusOK:
			t.Errorf("%s: 200", r.name)
		case r.want != 0 && code != r.want:
			t.Errorf("%s: %d, want %d", r.name, code, r.want)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("the handler ran %d times on refused calls", n)
	}
	for _, r := range []req{
		post("POST with the token", adminProcedure, bearer(tok)),
		{"GET with the token", http.MethodGet, adminProcedure + get, "", "", bearer(tok), http.StatusOK},
	} {
		if code := do(r); code != http.StatusOK {
			t.Errorf("%s: %d, want 200", r.name, code)
		}
	}
	if n := ran.Load(); n != 2 {
		t.Errorf("the handler ran %d times, want 2", n)
	}
}
