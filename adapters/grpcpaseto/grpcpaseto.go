// Package grpcpaseto protects gRPC services (google.golang.org/grpc) with
// PASETO v4 access tokens. It is glue only: a [paseto.MethodPolicies] table
// says what each method demands, [paseto.Guard.AuthenticateRPC] decides,
// and this package reads the authorization metadata, puts the claims in the
// handler's context and turns refusals into gRPC statuses.
//
//	policies, err := paseto.NewMethodPolicies(guard.Required(), map[string]*paseto.Policy{
//		"/greeter.v1.Greeter/Hello":  guard.Optional(),
//		"/admin.v1.Admin/DeleteUser": guard.FreshRequired(paseto.WithScopes("admin:users"), paseto.WithMaxAge(5*time.Minute)),
//		"/grpc.health.v1.Health/*":   guard.Optional(paseto.WithAnonymousOnInvalid()),
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	in := grpcpaseto.New(guard, grpcpaseto.Config{Policies: policies})
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(in.Unary()),
//		grpc.ChainStreamInterceptor(in.Stream()),
//	)
//
// Handlers read the claims back with [Claims] (or [FromContext], [Subject]).
//
// # Methods and the default
//
// A method the table does not name gets the table's default, which is
// Required unless said otherwise, and a nil Config.Policies makes every
// method Required: forgetting a method, or a new method added later, fails
// closed. Health checks and reflection are methods too: list them
// ("/grpc.health.v1.Health/*") when they must answer anonymous callers.
// Names are case-sensitive: [Interceptor.CheckServer] refuses, at
// start-up, a table entry that names no method the server serves.
//
// # Tokens
//
// The token is read from the "authorization" metadata, "Bearer <token>"
// with the scheme in any case. Several authorization values are malformed
// (refused, never the first one picked); another scheme counts as no
// token. Refresh tokens never travel in metadata: the table refuses
// RefreshRequired policies. Refresh over HTTP (adapters/httppaseto), or in
// a method of your own whose request message carries the refresh token and
// which calls [paseto.Auth.Refresh], as examples/grpc does.
//
// # Streams
//
// The stream interceptor checks the call before the handler runs, from the
// metadata the client sent when it opened the stream, and hands the
// handler a stream whose Context carries the claims. A refused stream never
// reaches the handler. The token is checked once, at the start: a stream
// that outlives its token's expiry or its session is not cut off.
//
// # Errors
//
// A refusal is a gRPC status ([paseto.Guard.RPCProblemFor]):
// codes.Unauthenticated for a missing or bad token, codes.PermissionDenied
// for a missing scope or a token not fresh enough, codes.Unavailable when
// the session store cannot answer, codes.Internal for anything else. The
// status message is "code: message" with the library's stable code
// ("expired_token: token has expired"), and the details hold a
// google.rpc.ErrorInfo (reason: the code, domain "pasetoauth") and, for
// Unavailable, a google.rpc.RetryInfo. Nothing else of the error reaches
// the client; Config.ErrorHandler sees it, for logs.
package grpcpaseto

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/pasetoauth/pasetoauth/adapters/internal/claimsctx"
	"github.com/pasetoauth/pasetoauth/adapters/internal/rpcerr"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Interceptor. The zero value makes every method
// Required.
type Config struct {
	// Policies is the policy of every method. Nil: every method is
	// Required.
	Policies *paseto.MethodPolicies
	// ErrorHandler answers a refused call: the error it returns is the
	// call's. Default DefaultErrorHandler. err is the cause, for logs; do
	// not send it to the client. Whatever it returns, the handler does not
	// run, and a nil error is replaced by DefaultErrorHandler's.
	ErrorHandler func(ctx context.Context, fullMethod string, p paseto.RPCProblem, err error) error
}

// Interceptor builds gRPC server interceptors from a paseto.Guard. Build it
// once; it is safe for concurrent use.
type Interceptor struct {
	g        *paseto.Guard
	policies *paseto.MethodPolicies
	onError  func(ctx context.Context, fullMethod string, p paseto.RPCProblem, err error) error
}

// New returns an Interceptor for g. It panics when g is nil, a programming
// error found at start-up.
func New(g *paseto.Guard, cfg Config) *Interceptor {
	if g == nil {
		panic("grpcpaseto: nil *paseto.Guard")
	}
	in := &Interceptor{g: g, policies: cfg.Policies, onError: cfg.ErrorHandler} // a nil table: every method Required
	if in.onError == nil {
		in.onError = DefaultErrorHandler
	}
	return in
}

// DefaultErrorHandler returns [Status] of p as an error.
func DefaultErrorHandler(_ context.Context, _ string, p paseto.RPCProblem, _ error) error {
	return Status(p).Err()
}

// Status is the gRPC status of p: its code, its StatusMessage and the
// details (google.rpc.ErrorInfo, google.rpc.RetryInfo) described in the
// package documentation.
func Status(p paseto.RPCProblem) *status.Status {
	st := status.New(codes.Code(p.Code), p.StatusMessage())
	ds := rpcerr.Details(p)
	v1 := make([]protoadapt.MessageV1, len(ds))
	for i, d := range ds {
		v1[i] = protoadapt.MessageV1Of(d)
	}
	if withDetails, err := st.WithDetails(v1...); err == nil {
		return withDetails
	}
	return st // details failed to marshal: the code and message still say it all
}

// CheckServer checks the policy table against the methods srv serves
// ([paseto.MethodPolicies.Check]): an entry naming a method or service
// srv does not have, usually a misspelling that leaves the method it
// meant under the default, is refused with [paseto.ErrConfig]. Call it
// after registering every service, before Serve.
func (in *Interceptor) CheckServer(srv *grpc.Server) error {
	var served []string
	for svc, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			served = append(served, "/"+svc+"/"+m.Name)
		}
	}
	return in.policies.Check(served...)
}

// Unary is the unary server interceptor: it authenticates the call under
// its method's policy before the handler runs.
func (in *Interceptor) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := in.authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Stream is the stream server interceptor: it authenticates the call under
// its method's policy before the handler runs and gives the handler a
// stream whose Context carries the claims.
func (in *Interceptor) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := in.authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

// authenticate returns ctx with the call's claims, or the refusal.
func (in *Interceptor) authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	p := in.policies.For(fullMethod)
	c, err := in.g.AuthenticateRPC(ctx, metadata.ValueFromIncomingContext(ctx, "authorization"), p)
	if err != nil {
		pr := in.g.RPCProblemFor(err, p)
		if rerr := in.onError(ctx, fullMethod, pr, err); rerr != nil {
			return nil, rerr
		}
		return nil, DefaultErrorHandler(ctx, fullMethod, pr, err)
	}
	if c != nil {
		ctx = claimsKey.With(ctx, c)
	}
	return ctx, nil
}

// serverStream is the handler's stream: the original, with the context
// that carries the claims.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

var claimsKey = claimsctx.NewKey("grpcpaseto")

// Claims returns the claims the interceptor verified; false for an
// anonymous call to an Optional method or outside the interceptor.
func Claims(ctx context.Context) (*paseto.Claims, bool) { return claimsKey.Claims(ctx) }

// FromContext is Claims, under the name go-chi/jwtauth uses.
func FromContext(ctx context.Context) (*paseto.Claims, bool) { return Claims(ctx) }

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(ctx context.Context) string { return claimsKey.Subject(ctx) }
