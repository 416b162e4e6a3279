package grpcpaseto_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// call runs the unary interceptor in on a call to method carrying the
// authorization values, and reports whether the handler ran and the
// subject it saw.
func call(in *grpcpaseto.Interceptor, method string, auth ...string) (ran bool, sub string, err error) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": auth})
	_, err = in.Unary()(ctx, "req", &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
		ran, sub = true, grpcpaseto.Subject(ctx)
		return "resp", nil
	})
	return ran, sub, err
}

// fakeStream is the ServerStream of a stream the interceptor is given.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s fakeStream) Context() context.Context { return s.ctx }

func TestZeroConfigIsRequiredEverywhere(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	in := grpcpaseto.New(kit.Guard, grpcpaseto.Config{})
	for _, m := range []string{"/a.v1.A/B", "/grpc.health.v1.Health/Check", ""} {
		if ran, _, err := call(in, m); ran || status.Code(err) != codes.Unauthenticated {
			t.Errorf("%q without a token: ran %v, err %v; want Unauthenticated", m, ran, err)
		}
	}
	tok := kit.AccessToken(t, "alice")
	if ran, sub, err := call(in, "/a.v1.A/B", "Bearer "+tok); !ran || sub != "alice" || err != nil {
		t.Errorf("with a token: ran %v, subject %q, err %v", ran, sub, err)
	}
}

func TestStreamContextCarriesClaims(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	in := grpcpaseto.New(kit.Guard, grpcpaseto.Config{})
	tok := kit.AccessToken(t, "alice")
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	var sub string
	var ran bool
	err := in.Stream()(nil, fakeStream{ctx: ctx}, &grpc.StreamServerInfo{FullMethod: "/a.v1.A/Watch", IsServerStream: true}, func(_ any, ss grpc.ServerStream) error {
		ran, sub = true, grpcpaseto.Subject(ss.Context())
		return nil
	})
	if err != nil || !ran || sub != "alice" {
		t.Fatalf("ran %v, subject %q, err %v", ran, sub, err)
	}

	ran = false
	err = in.Stream()(nil, fakeStream{ctx: context.Background()}, &grpc.StreamServerInfo{FullMethod: "/a.v1.A/Watch"}, func(any, grpc.ServerStream) error {
		ran = true
		return nil
	})
	if ran || status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no metadata at all: ran %v, err %v", ran, err)
	}
}

func TestStatusDetails(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	p := kit.Guard.RPCProblemFor(paseto.ErrStoreUnavailable, nil)
	st := grpcpaseto.Status(p)
	if st.Code() != codes.Unavailable || st.Message() != "temporarily_unavailable: session store unavailable" {
		t.Fatalf("status %v %q", st.Code(), st.Message())
	}
	var info *errdetails.ErrorInfo
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.RetryInfo:
			retry = d
		}
	}
	if info == nil || info.GetReason() != "temporarily_unavailable" || info.GetDomain() != "pasetoauth" {
		t.Errorf("ErrorInfo %v", info)
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != time.Second {
		t.Errorf("RetryInfo %v", retry)
	}
}

func TestErrorHandler(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	custom := status.Error(codes.Unauthenticated, "log in first")
	var seen error
	var seenMethod string
	in := grpcpaseto.New(kit.Guard, grpcpaseto.Config{
		ErrorHandler: func(_ context.Context, method string, p paseto.RPCProblem, err error) error {
			seen, seenMethod = err, method
			return custom
		},
	})
	if ran, _, err := call(in, "/a.v1.A/B", "Bearer not-a-paseto"); ran || err != custom {
		t.Fatalf("ran %v, err %v; want the handler's error", ran, err)
	}
	if !errors.Is(seen, paseto.ErrMalformed) || seenMethod != "/a.v1.A/B" {
		t.Errorf("the handler saw %v for %q", seen, seenMethod)
	}

	// A handler that returns nil still refuses the call.
	in = grpcpaseto.New(kit.Guard, grpcpaseto.Config{
		ErrorHandler: func(context.Context, string, paseto.RPCProblem, error) error { return nil },
	})
	if ran, _, err := call(in, "/a.v1.A/B"); ran || status.Code(err) != codes.Unauthenticated {
		t.Fatalf("nil from the ErrorHandler: ran %v, err %v; want the default refusal", ran, err)
	}
}

func TestClaimsOutsideTheInterceptor(t *testing.T) {
	if c, ok := grpcpaseto.Claims(context.Background()); c != nil || ok {
		t.Fatal("claims outside the interceptor")
	}
	if c, ok := grpcpaseto.FromContext(context.Background()); c != nil || ok || grpcpaseto.Subject(context.Background()) != "" {
		t.Fatal("claims outside the interceptor")
	}
}

func TestNewPanicsOnNilGuard(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(nil) did not panic")
		}
	}()
	grpcpaseto.New(nil, grpcpaseto.Config{})
}
