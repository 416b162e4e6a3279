package pasetoauth_test

// The RPC conformance suite: the rows of the root suite that make sense for
// an RPC (missing, malformed, forged, expired, revoked, wrong type, not
// fresh, scope, store down, and the table's default), run against the gRPC
// and the Connect interceptors, unary and server-streaming, each over a
// real loopback listener. Every row asserts the status code, the stable
// code in the ErrorInfo detail and the status message, and whether the
// handler ran.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/connectpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// rpcMethods are the methods every RPC server serves, once as unary
// methods of rpcUnarySvc and once as server-streaming methods of
// rpcStreamSvc. "Unlisted" is in no table: it gets the default.
var rpcMethods = []string{"Protected", "Fresh", "Fresh5m", "Admin", "Optional", "Lenient", "Unlisted"}

const (
	rpcUnarySvc  = "conformance.v1.Unary"
	rpcStreamSvc = "conformance.v1.Stream"
)

// rpcPolicies is the table of both services, built on g.
func rpcPolicies(t *testing.T, g *paseto.Guard) *paseto.MethodPolicies {
	t.Helper()
	m := map[string]*paseto.Policy{}
	for _, svc := range []string{rpcUnarySvc, rpcStreamSvc} {
		m["/"+svc+"/Protected"] = g.Required()
		m["/"+svc+"/Fresh"] = g.FreshRequired()
		m["/"+svc+"/Fresh5m"] = g.FreshRequired(paseto.WithMaxAge(5 * time.Minute))
		m["/"+svc+"/Admin"] = g.Required(paseto.WithScopes("admin:users"))
		m["/"+svc+"/Optional"] = g.Optional()
		m["/"+svc+"/Lenient"] = g.Optional(paseto.WithAnonymousOnInvalid())
	}
	p, err := paseto.NewMethodPolicies(nil, m) // nil default: Required
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rpcOutcome is what a client saw of one call.
type rpcOutcome struct {
	code   codes.Code
	msg    string            // the status message
	reason string            // the ErrorInfo reason
	meta   map[string]string // the ErrorInfo metadata
	retry  time.Duration     // the RetryInfo delay
	user   string            // what the handler answered: its subject, or "-" for anonymous
}

// rpcCall makes one call: method of the unary service, or of the stream
// service when stream is set, with the authorization metadata values.
type rpcCall func(t *testing.T, method string, stream bool, authorization []string) rpcOutcome

// rpcServer serves the methods behind an interceptor over g and the table
// pol; the handler calls ran and answers the subject subject(ctx) reads.
type rpcServer struct {
	name  string
	serve func(t *testing.T, g *paseto.Guard, pol *paseto.MethodPolicies, ran *atomic.Int32) rpcCall
}

var rpcServers = []rpcServer{
	{"grpc", serveGRPC},
	{"connect", serveConnect(false)},
	{"connect-grpc-protocol", serveConnect(true)},
}

// answer is the handlers' reply: the subject, or "-" when anonymous.
func answer(sub string) *wrapperspb.StringValue {
	if sub == "" {
		sub = "-"
	}
	return wrapperspb.String(sub)
}

// serveGRPC serves the methods with grpc-go on 127.0.0.1, through a
// hand-written ServiceDesc (the messages are well-known types, so no
// generated code is needed), and calls them with a grpc-go client.
func serveGRPC(t *testing.T, g *paseto.Guard, pol *paseto.MethodPolicies, ran *atomic.Int32) rpcCall {
	in := grpcpaseto.New(g, grpcpaseto.Config{Policies: pol})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(in.Unary()), grpc.ChainStreamInterceptor(in.Stream()))
	unary := grpc.ServiceDesc{ServiceName: rpcUnarySvc, HandlerType: (*any)(nil)}
	stream := grpc.ServiceDesc{ServiceName: rpcStreamSvc, HandlerType: (*any)(nil)}
	for _, m := range rpcMethods {
		full := "/" + rpcUnarySvc + "/" + m
		unary.Methods = append(unary.Methods, grpc.MethodDesc{MethodName: m,
			Handler: func(srv any, ctx context.Context, dec func(any) error, icp grpc.UnaryServerInterceptor) (any, error) {
				req := new(wrapperspb.StringValue)
				if err := dec(req); err != nil {
					return nil, err
				}
				h := func(ctx context.Context, _ any) (any, error) {
					ran.Add(1)
					return answer(grpcpaseto.Subject(ctx)), nil
				}
				if icp == nil {
					return h(ctx, req)
				}
				return icp(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, h)
			}})
		stream.Streams = append(stream.Streams, grpc.StreamDesc{StreamName: m, ServerStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				ran.Add(1)
				req := new(wrapperspb.StringValue)
				if err := ss.RecvMsg(req); err != nil {
					return err
				}
				return ss.SendMsg(answer(grpcpaseto.Subject(ss.Context())))
			}})
	}
	srv.RegisterService(&unary, struct{}{})
	srv.RegisterService(&stream, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	return func(t *testing.T, method string, isStream bool, authorization []string) rpcOutcome {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, v := range authorization {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
		}
		out := new(wrapperspb.StringValue)
		var err error
		if !isStream {
			err = conn.Invoke(ctx, "/"+rpcUnarySvc+"/"+method, wrapperspb.String("hi"), out)
		} else {
			err = grpcStreamCall(ctx, conn, "/"+rpcStreamSvc+"/"+method, out)
		}
		st := status.Convert(err)
		res := rpcOutcome{code: st.Code(), msg: st.Message(), user: out.GetValue()}
		readDetails(&res, st.Details())
		return res
	}
}

// grpcStreamCall opens a server stream, sends one request and reads the
// one answer into out.
func grpcStreamCall(ctx context.Context, conn *grpc.ClientConn, method string, out *wrapperspb.StringValue) error {
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := cs.SendMsg(wrapperspb.String("hi")); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := cs.CloseSend(); err != nil {
		return err
	}
	if err := cs.RecvMsg(out); err != nil {
		return err
	}
	if err := cs.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// serveConnect serves the methods with connect-go on an httptest server
// on 127.0.0.1 and calls them with a connect-go client: over HTTP/1.1 in
// the Connect protocol, or, with grpcProtocol, over HTTP/2 (TLS) in the
// gRPC protocol, where a refusal travels in the trailers as a grpc-go
// client expects it.
func serveConnect(grpcProtocol bool) func(t *testing.T, g *paseto.Guard, pol *paseto.MethodPolicies, ran *atomic.Int32) rpcCall {
	return func(t *testing.T, g *paseto.Guard, pol *paseto.MethodPolicies, ran *atomic.Int32) rpcCall {
		return connectServer(t, g, pol, ran, grpcProtocol)
	}
}

func connectServer(t *testing.T, g *paseto.Guard, pol *paseto.MethodPolicies, ran *atomic.Int32, grpcProtocol bool) rpcCall {
	in := connectpaseto.New(g, connectpaseto.Config{Policies: pol})
	mux := http.NewServeMux()
	for _, m := range rpcMethods {
		u := "/" + rpcUnarySvc + "/" + m
		mux.Handle(u, connect.NewUnaryHandler(u, func(ctx context.Context, _ *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			ran.Add(1)
			return connect.NewResponse(answer(connectpaseto.Subject(ctx))), nil
		}, connect.WithInterceptors(in)))
		s := "/" + rpcStreamSvc + "/" + m
		mux.Handle(s, connect.NewServerStreamHandler(s, func(ctx context.Context, _ *connect.Request[wrapperspb.StringValue], st *connect.ServerStream[wrapperspb.StringValue]) error {
			ran.Add(1)
			return st.Send(answer(connectpaseto.Subject(ctx)))
		}, connect.WithInterceptors(in)))
	}
	srv := httptest.NewUnstartedServer(mux)
	var opts []connect.ClientOption
	if grpcProtocol {
		srv.EnableHTTP2 = true
		srv.StartTLS()
		opts = append(opts, connect.WithGRPC())
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)

	return func(t *testing.T, method string, isStream bool, authorization []string) rpcOutcome {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := connect.NewRequest(wrapperspb.String("hi"))
		for _, v := range authorization {
			req.Header().Add("Authorization", v)
		}
		var res rpcOutcome
		var err error
		if !isStream {
			c := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+"/"+rpcUnarySvc+"/"+method, opts...)
			var resp *connect.Response[wrapperspb.StringValue]
			if resp, err = c.CallUnary(ctx, req); err == nil {
				res.user = resp.Msg.GetValue()
			}
		} else {
			c := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+"/"+rpcStreamSvc+"/"+method, opts...)
			var st *connect.ServerStreamForClient[wrapperspb.StringValue]
			if st, err = c.CallServerStream(ctx, req); err == nil {
				for st.Receive() {
					res.user = st.Msg().GetValue()
				}
				err = st.Err()
				st.Close()
			}
		}
		res.code = codes.Code(connect.CodeOf(err))
		if err == nil {
			res.code = codes.OK
			return res
		}
		var ce *connect.Error
		if errors.As(err, &ce) {
			res.msg = ce.Message()
			var ds []any
			for _, d := range ce.Details() {
				if v, err := d.Value(); err == nil {
					ds = append(ds, v)
				}
			}
			readDetails(&res, ds)
			if ra := ce.Meta().Get("Retry-After"); ce.Code() == connect.CodeUnavailable && ra != "1" {
				res.retry = -1 // flagged: Connect's metadata must carry it too
			}
		}
		return res
	}
}

// readDetails fills res from an error's decoded details.
func readDetails(res *rpcOutcome, details []any) {
	for _, d := range details {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			res.reason, res.meta = d.GetReason(), d.GetMetadata()
			if d.GetDomain() != "pasetoauth" {
				res.reason = "wrong domain " + d.GetDomain()
			}
		case *errdetails.RetryInfo:
			if res.retry == 0 {
				res.retry = d.GetRetryDelay().AsDuration()
			}
		}
	}
}

// rpcEnv is one case's world: a kit, and a server behind one interceptor.
type rpcEnv struct {
	kit  *pasetotest.Kit
	ran  atomic.Int32
	call rpcCall
}

// rpcRow is one case: the call (its method and the authorization values
// it carries, set up through e) and what the client must see.
type rpcRow struct {
	name   string
	method string
	auth   func(t *testing.T, e *rpcEnv) []string
	code   codes.Code
	reason string            // the stable code; "" on success
	user   string            // on success: the subject the handler saw, "-" anonymous
	meta   map[string]string // the ErrorInfo metadata, when the refusal names the method's demand
	retry  time.Duration     // the RetryInfo delay of an Unavailable
}

func rpcBearer(tok string) []string { return []string{"Bearer " + tok} }

var rpcRows = []rpcRow{
	// The token, and how the metadata carries it.
	{name: "no token", method: "Protected", auth: func(*testing.T, *rpcEnv) []string { return nil },
		code: codes.Unauthenticated, reason: "missing_token"},
	{name: "malformed token", method: "Protected", auth: func(*testing.T, *rpcEnv) []string { return rpcBearer("not-a-paseto") },
		code: codes.Unauthenticated, reason: "malformed_token"},
	{name: "Bearer alone", method: "Protected", auth: func(*testing.T, *rpcEnv) []string { return []string{"Bearer"} },
		code: codes.Unauthenticated, reason: "malformed_token"},
	{name: "two authorization values", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		return []string{"Bearer " + tok, "Bearer " + tok}
	}, code: codes.Unauthenticated, reason: "malformed_token"},
	{name: "other scheme", method: "Protected", auth: func(*testing.T, *rpcEnv) []string { return []string{"Basic dXNlcjpwYXNz"} },
		code: codes.Unauthenticated, reason: "missing_token"},
	{name: "tampered token", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(tamper(e.kit.Login(t, "alice").AccessToken))
	}, code: codes.Unauthenticated, reason: "invalid_token"},
	{name: "oversize token", method: "Protected", auth: func(*testing.T, *rpcEnv) []string {
		return rpcBearer("v4.local." + strings.Repeat("A", 9<<10))
	}, code: codes.Unauthenticated, reason: "malformed_token"},
	{name: "expired", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Clock.Advance(16 * time.Minute)
		return rpcBearer(tok)
	}, code: codes.Unauthenticated, reason: "expired_token"},
	{name: "revoked after logout", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		p := e.kit.Login(t, "alice")
		if err := e.kit.Auth.Logout(context.Background(), p.Access); err != nil {
			t.Fatal(err)
		}
		return rpcBearer(p.AccessToken)
	}, code: codes.Unauthenticated, reason: "revoked_token"},
	{name: "refresh token as access token", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice").RefreshToken)
	}, code: codes.Unauthenticated, reason: "invalid_token"},
	{name: "token of another type under the access key", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		iss, err := paseto.NewIssuer(e.kit.Auth.Config().AccessKeys, paseto.TypeRefresh, paseto.IssuerConfig{Clock: e.kit.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := iss.Issue(paseto.Template{Subject: "alice", Fresh: true})
		if err != nil {
			t.Fatal(err)
		}
		return rpcBearer(tok)
	}, code: codes.Unauthenticated, reason: "wrong_token_type"},
	{name: "valid bearer", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice").AccessToken)
	}, code: codes.OK, user: "alice"},
	{name: "lowercase bearer scheme", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		return []string{"bearer " + e.kit.Login(t, "alice").AccessToken}
	}, code: codes.OK, user: "alice"},

	// The store, which every verification consults.
	{name: "store down", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Store.Set(pasetotest.Unavailable)
		return rpcBearer(tok)
	}, code: codes.Unavailable, reason: "temporarily_unavailable", retry: time.Second},
	{name: "store hung: Unavailable at the store deadline", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Store.Set(pasetotest.Hang)
		return rpcBearer(tok)
	}, code: codes.Unavailable, reason: "temporarily_unavailable", retry: time.Second},
	{name: "store corrupt", method: "Protected", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Store.Set(pasetotest.Corrupt)
		return rpcBearer(tok)
	}, code: codes.Unavailable, reason: "temporarily_unavailable", retry: time.Second},
	{name: "store down on an optional method", method: "Lenient", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Store.Set(pasetotest.Unavailable)
		return rpcBearer(tok)
	}, code: codes.Unavailable, reason: "temporarily_unavailable", retry: time.Second},

	// Freshness and scopes.
	{name: "not fresh", method: "Fresh", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.AccessToken(t, "alice", pasetotest.NotFresh()))
	}, code: codes.PermissionDenied, reason: "insufficient_user_authentication"},
	{name: "fresh", method: "Fresh", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice").AccessToken)
	}, code: codes.OK, user: "alice"},
	{name: "fresh but too old", method: "Fresh5m", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Clock.Advance(6 * time.Minute)
		return rpcBearer(tok)
	}, code: codes.PermissionDenied, reason: "insufficient_user_authentication", meta: map[string]string{"max_age": "300"}},
	{name: "missing scope", method: "Admin", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice", pasetotest.Scopes("reports:read")).AccessToken)
	}, code: codes.PermissionDenied, reason: "insufficient_scope", meta: map[string]string{"scope": "admin:users"}},
	{name: "scope present", method: "Admin", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice", pasetotest.Scopes("admin:users")).AccessToken)
	}, code: codes.OK, user: "alice"},

	// Optional methods.
	{name: "optional, no token", method: "Optional", auth: func(*testing.T, *rpcEnv) []string { return nil },
		code: codes.OK, user: "-"},
	{name: "optional, valid token", method: "Optional", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice").AccessToken)
	}, code: codes.OK, user: "alice"},
	{name: "optional, bad token", method: "Optional", auth: func(*testing.T, *rpcEnv) []string { return rpcBearer("not-a-paseto") },
		code: codes.Unauthenticated, reason: "malformed_token"},
	{name: "optional with WithAnonymousOnInvalid, expired token", method: "Lenient", auth: func(t *testing.T, e *rpcEnv) []string {
		tok := e.kit.Login(t, "alice").AccessToken
		e.kit.Clock.Advance(16 * time.Minute)
		return rpcBearer(tok)
	}, code: codes.OK, user: "-"},

	// The default: a method missing from the table is Required.
	{name: "unlisted method, no token", method: "Unlisted", auth: func(*testing.T, *rpcEnv) []string { return nil },
		code: codes.Unauthenticated, reason: "missing_token"},
	{name: "unlisted method, valid token", method: "Unlisted", auth: func(t *testing.T, e *rpcEnv) []string {
		return rpcBearer(e.kit.Login(t, "alice").AccessToken)
	}, code: codes.OK, user: "alice"},
}

// TestRPCConformance runs every RPC row against both interceptors, unary
// and server-streaming.
func TestRPCConformance(t *testing.T) {
	cases := 0
	for _, s := range rpcServers {
		for _, kind := range []string{"unary", "stream"} {
			t.Run(s.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				for _, r := range rpcRows {
					t.Run(r.name, func(t *testing.T) {
						t.Parallel()
						e := &rpcEnv{kit: pasetotest.New(t, pasetotest.Config{
							Clock: pasetotest.NewClock(epoch),
							// Short, so that the hung-store row takes a
							// fraction of a second.
							Auth: func(c *paseto.Config) { c.StoreTimeout = storeTimeout },
						})}
						e.call = s.serve(t, e.kit.Guard, rpcPolicies(t, e.kit.Guard), &e.ran)
						auth := r.auth(t, e)
						got := e.call(t, r.method, kind == "stream", auth)
						checkRPC(t, r, got, e.ran.Load())
					})
				}
			})
			cases += len(rpcRows)
		}
	}
	t.Logf("RPC conformance: %d rows x %d servers x 2 kinds = %d cases", len(rpcRows), len(rpcServers), cases)
}

func checkRPC(t *testing.T, r rpcRow, got rpcOutcome, ran int32) {
	t.Helper()
	if got.code != r.code {
		t.Errorf("code = %v (%q), want %v", got.code, got.msg, r.code)
	}
	if r.code == codes.OK {
		if ran != 1 || got.user != r.user {
			t.Errorf("handler ran %d times and answered %q; want once, %q", ran, got.user, r.user)
		}
		return
	}
	if ran != 0 {
		t.Errorf("refused call: the handler ran %d times", ran)
	}
	if got.reason != r.reason {
		t.Errorf("ErrorInfo reason = %q, want %q", got.reason, r.reason)
	}
	if !strings.HasPrefix(got.msg, r.reason+": ") || strings.Contains(got.msg, "paseto") {
		t.Errorf("status message %q: want the stable code %q and the library's message, no internals", got.msg, r.reason)
	}
	for k, v := range r.meta {
		if got.meta[k] != v {
			t.Errorf("ErrorInfo metadata %q = %q, want %q", k, got.meta[k], v)
		}
	}
	if got.retry != r.retry {
		t.Errorf("RetryInfo delay = %v, want %v", got.retry, r.retry)
	}
}
