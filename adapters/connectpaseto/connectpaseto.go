// Package connectpaseto protects Connect services (connectrpc.com/connect)
// with PASETO v4 access tokens, as a [connect.Interceptor] on the handler
// side, unary and streaming. It is glue only: a [paseto.MethodPolicies]
// table (the one adapters/grpcpaseto takes) says what each procedure
// demands, [paseto.Guard.AuthenticateRPC] decides, and this package reads
// the Authorization header, puts the claims in the handler's context and
// turns refusals into Connect errors.
//
//	policies, err := paseto.NewMethodPolicies(guard.Required(), map[string]*paseto.Policy{
//		"/greeter.v1.Greeter/Hello":  guard.Optional(),
//		"/admin.v1.Admin/DeleteUser": guard.FreshRequired(paseto.WithScopes("admin:users")),
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	in := connectpaseto.New(guard, connectpaseto.Config{Policies: policies})
//	path, h := greeterv1connect.NewGreeterHandler(svc, connect.WithInterceptors(in))
//
// Handlers read the claims back with [Claims] (or [FromContext], [Subject]).
// The interceptor does nothing on the client side.
//
// # When httppaseto is enough
//
// Connect handlers are net/http handlers, so adapters/httppaseto can wrap
// them too: m.Required()(h) protects every procedure of h alike, refuses
// before the request body is read, and answers with HTTP 401/403/503 and a
// JSON body. That is enough when one policy covers the whole service and
// the clients speak the Connect protocol over HTTP/1.1 or HTTP/2.
//
// The interceptor is better when procedures differ (an Optional Hello and
// a FreshRequired DeleteUser in one service), when gRPC or gRPC-Web
// clients call the handler (they expect a gRPC status, not an HTTP error
// with a JSON body) and for streams, which it checks with the procedure's
// policy and whose handler context it gives the claims. A unary request's
// message is decoded before interceptors run, so a refused unary call has
// been read, though it never reaches the handler: bound message sizes with
// connect.WithReadMaxBytes, which is unlimited by default.
//
// # Errors
//
// A refusal is a *connect.Error ([paseto.Guard.RPCProblemFor]):
// CodeUnauthenticated for a missing or bad token, CodePermissionDenied for
// a missing scope or a token not fresh enough, CodeUnavailable when the
// session store cannot answer (with Retry-After: 1 in the error's
// metadata), CodeInternal for anything else. The message is "code:
// message" with the library's stable code, and the details hold a
// google.rpc.ErrorInfo (reason: the code, domain "pasetoauth") and, for
// Unavailable, a google.rpc.RetryInfo. Nothing else of the error reaches
// the client; Config.ErrorHandler sees it, for logs.
//
// The rules on tokens, the default policy and streams are those of
// adapters/grpcpaseto: a procedure missing from the table gets the
// default, Required unless said otherwise; exactly one Authorization
// value; a stream is checked once, before its handler runs.
package connectpaseto

import (
	"context"
	"errors"
	"strconv"

	"connectrpc.com/connect"

	"github.com/pasetoauth/pasetoauth/adapters/internal/claimsctx"
	"github.com/pasetoauth/pasetoauth/adapters/internal/rpcerr"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Interceptor. The zero value makes every procedure
// Required.
type Config struct {
	// Policies is the policy of every procedure. Nil: every procedure is
	// Required.
	Policies *paseto.MethodPolicies
	// ErrorHandler answers a refused call: the error it returns is the
	// call's. Default DefaultErrorHandler. err is the cause, for logs; do
	// not send it to the client. Whatever it returns, the handler does not
	// run, and a nil error is replaced by DefaultErrorHandler's.
	ErrorHandler func(ctx context.Context, procedure string, p paseto.RPCProblem, err error) error
}

// Interceptor is a connect.Interceptor that authenticates every call a
// handler receives. Build it once; it is safe for concurrent use.
type Interceptor struct {
	g        *paseto.Guard
	policies *paseto.MethodPolicies
	onError  func(ctx context.Context, procedure string, p paseto.RPCProblem, err error) error
}

var _ connect.Interceptor = (*Interceptor)(nil)

// New returns an Interceptor for g. It panics when g is nil, a programming
// error found at start-up.
func New(g *paseto.Guard, cfg Config) *Interceptor {
	if g == nil {
		panic("connectpaseto: nil *paseto.Guard")
	}
	in := &Interceptor{g: g, policies: cfg.Policies, onError: cfg.ErrorHandler} // a nil table: every method Required
	if in.onError == nil {
		in.onError = DefaultErrorHandler
	}
	return in
}

// DefaultErrorHandler returns [Error] of p.
func DefaultErrorHandler(_ context.Context, _ string, p paseto.RPCProblem, _ error) error {
	return Error(p)
}

// Error is the Connect error of p: its code, its StatusMessage, the
// details (google.rpc.ErrorInfo, google.rpc.RetryInfo) and, with a retry
// delay, Retry-After in its metadata.
func Error(p paseto.RPCProblem) *connect.Error {
	e := connect.NewError(connect.Code(p.Code), errors.New(p.StatusMessage()))
	for _, m := range rpcerr.Details(p) {
		if d, err := connect.NewErrorDetail(m); err == nil {
			e.AddDetail(d)
		}
	}
	if p.RetryAfter > 0 {
		e.Meta().Set("Retry-After", strconv.FormatInt(int64(p.RetryAfter.Seconds()), 10))
	}
	return e
}

// WrapUnary authenticates a unary call before the handler runs; on the
// client side it does nothing.
func (in *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := in.authenticate(ctx, req.Spec().Procedure, req.Header().Values("Authorization"))
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient returns next: the interceptor protects handlers only.
func (in *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler authenticates a streaming call from its request
// headers before the handler runs, and gives the handler a context that
// carries the claims.
func (in *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := in.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader().Values("Authorization"))
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// authenticate returns ctx with the call's claims, or the refusal.
func (in *Interceptor) authenticate(ctx context.Context, procedure string, authorization []string) (context.Context, error) {
	p := in.policies.For(procedure)
	c, err := in.g.AuthenticateRPC(ctx, authorization, p)
	if err != nil {
		pr := in.g.RPCProblemFor(err, p)
		if rerr := in.onError(ctx, procedure, pr, err); rerr != nil {
			return nil, rerr
		}
		return nil, DefaultErrorHandler(ctx, procedure, pr, err)
	}
	if c != nil {
		ctx = claimsKey.With(ctx, c)
	}
	return ctx, nil
}

var claimsKey = claimsctx.NewKey("connectpaseto")

// Check checks the policy table against the procedures the server serves,
// their full names ("/package.Service/Method", the generated
// …Procedure constants): an entry naming a procedure or service not among
// them, usually a misspelling that leaves the procedure it meant under the
// default, is refused with [paseto.ErrConfig]. See
// [paseto.MethodPolicies.Check].
func (in *Interceptor) Check(procedures ...string) error {
	return in.policies.Check(procedures...)
}

// Claims returns the claims the interceptor verified; false for an
// anonymous call to an Optional procedure or outside the interceptor.
func Claims(ctx context.Context) (*paseto.Claims, bool) { return claimsKey.Claims(ctx) }

// FromContext is Claims, under the name go-chi/jwtauth uses.
func FromContext(ctx context.Context) (*paseto.Claims, bool) { return Claims(ctx) }

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(ctx context.Context) string { return claimsKey.Subject(ctx) }
