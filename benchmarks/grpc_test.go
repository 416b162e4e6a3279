package benchmarks

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/connectpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
)

// BenchmarkGRPC: one unary call through a server interceptor, in process:
// the incoming context carries the authorization metadata, as grpc-go
// hands it to the interceptor chain, and the handler reads the subject.
// Rows: no interceptor (bare), grpcpaseto and connectpaseto (with and
// without the cache), and go-grpc-middleware/v2's auth interceptor with an
// AuthFunc verifying an HS256 or EdDSA JWT with golang-jwt/jwt v5, the
// usual way to protect a gRPC service in Go. The transport (HTTP/2 framing,
// protobuf encoding) is the same for every row and left out.
//
// Besides ns/op (wall time), each row reports cpu-ns/op: the process's
// user and system CPU time per call (getrusage), garbage collection
// included, which time spent waiting for a CPU on a busy machine does not
// inflate.
func BenchmarkGRPC(b *testing.B) {
	for _, r := range grpcRows {
		b.Run(r.name, func(b *testing.B) {
			f := r.setup(b)
			if err := f.check(); err != nil {
				b.Fatalf("setup check: %v", err)
			}
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				if err := f.op(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const grpcMethod = "/bench.v1.Bench/Call"

var grpcRows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		return grpcFixture(nil, "", s, "", func(context.Context) string { return "" })
	}},
	{"grpcpaseto.v4.local", func(tb testing.TB) fixture { return grpcOurs(tb, false, false) }},
	{"grpcpaseto.v4.local+cache", func(tb testing.TB) fixture { return grpcOurs(tb, false, true) }},
	{"grpcpaseto.v4.public", func(tb testing.TB) fixture { return grpcOurs(tb, true, false) }},
	{"grpcpaseto.v4.public+cache", func(tb testing.TB) fixture { return grpcOurs(tb, true, true) }},
	{"connectpaseto.v4.local", func(tb testing.TB) fixture { return connectOurs(tb, false, false) }},
	{"connectpaseto.v4.local+cache", func(tb testing.TB) fixture { return connectOurs(tb, false, true) }},
	{"grpc-middleware-auth.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return grpcMiddlewareAuth(jwt.SigningMethodHS256, k.hmac, k.bearerHS)
	}},
	{"grpc-middleware-auth.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return grpcMiddlewareAuth(jwt.SigningMethodEdDSA, k.edPub, k.bearerEd)
	}},
}

// grpcFixture is the fixture of a row that runs the unary interceptor icp
// (nil: none) on a call carrying the authorization value auth; the
// handler counts the call and reads the subject with user.
func grpcFixture(icp grpc.UnaryServerInterceptor, auth string, s *seen, want string, user func(context.Context) string) fixture {
	ctx := context.Background()
	if auth != "" {
		ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", auth))
	}
	info := &grpc.UnaryServerInfo{FullMethod: grpcMethod}
	req, resp := wrapperspb.String("hi"), wrapperspb.String("ok")
	handler := func(ctx context.Context, _ any) (any, error) {
		s.ran(user(ctx))
		return resp, nil
	}
	call := func() error {
		var err error
		if icp == nil {
			_, err = handler(ctx, req)
		} else {
			_, err = icp(ctx, req, info, handler)
		}
		return err
	}
	op := func() error {
		before := s.runs
		if err := call(); err != nil {
			return err
		}
		if s.runs != before+1 {
			return fmt.Errorf("handler ran %d times", s.runs-before)
		}
		return nil
	}
	check := func() error {
		before := s.runs
		if err := call(); err != nil {
			return fmt.Errorf("call refused: %v", err)
		}
		return s.verify(before, want)
	}
	return fixture{op: op, check: check}
}

func grpcOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	in := grpcpaseto.New(o.guard, grpcpaseto.Config{})
	return grpcFixture(in.Unary(), "Bearer "+o.token, &seen{}, subject, grpcpaseto.Subject)
}

// connectOurs runs connectpaseto's unary wrapper on a handler-side
// request, as connect-go calls it once the request message is decoded.
func connectOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	in := connectpaseto.New(o.guard, connectpaseto.Config{})
	s := &seen{}
	req := connect.NewRequest(wrapperspb.String("hi"))
	req.Header().Set("Authorization", "Bearer "+o.token)
	resp := connect.NewResponse(wrapperspb.String("ok"))
	call := in.WrapUnary(func(ctx context.Context, _ connect.AnyRequest) (connect.AnyResponse, error) {
		s.ran(connectpaseto.Subject(ctx))
		return resp, nil
	})
	ctx := context.Background()
	return fixture{
		op: func() error {
			before := s.runs
			if _, err := call(ctx, req); err != nil {
				return err
			}
			if s.runs != before+1 {
				return fmt.Errorf("handler ran %d times", s.runs-before)
			}
			return nil
		},
		check: func() error {
			before := s.runs
			if _, err := call(ctx, req); err != nil {
				return fmt.Errorf("call refused: %v", err)
			}
			return s.verify(before, subject)
		},
	}
}

// jwtCtxKey holds the verified JWT the AuthFunc puts in the context.
type jwtCtxKey struct{}

// grpcMiddlewareAuth is go-grpc-middleware/v2's auth.UnaryServerInterceptor
// with the AuthFunc its documentation shows: auth.AuthFromMD for the bearer
// token, then golang-jwt/jwt v5 parses it (signature, exp, nbf, iat, the
// issuer and the algorithm pinned) and the token goes into the context.
func grpcMiddlewareAuth(method jwt.SigningMethod, key any, bearer string) fixture {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{method.Alg()}), jwt.WithIssuer(issuer), jwt.WithExpirationRequired())
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	authFunc := func(ctx context.Context) (context.Context, error) {
		raw, err := auth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, err
		}
		tok, err := parser.Parse(raw, keyFunc)
		if err != nil {
			return nil, status.Error(codes.Unauthenticated, "invalid token")
		}
		return context.WithValue(ctx, jwtCtxKey{}, tok), nil
	}
	return grpcFixture(auth.UnaryServerInterceptor(authFunc), bearer, &seen{}, subject, func(ctx context.Context) string {
		return jwtSubject(ctx.Value(jwtCtxKey{}))
	})
}
