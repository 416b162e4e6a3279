package connectpaseto_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/connectpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// call runs in's unary wrapper on a handler-side request carrying the
// authorization values, and reports whether the handler ran and the
// subject it saw.
func call(in *connectpaseto.Interceptor, auth ...string) (ran bool, sub string, err error) {
	req := connect.NewRequest(wrapperspb.String("hi"))
	for _, v := range auth {
		req.Header().Add("Authorization", v)
	}
	_, err = in.WrapUnary(func(ctx context.Context, _ connect.AnyRequest) (connect.AnyResponse, error) {
		ran, sub = true, connectpaseto.Subject(ctx)
		return connect.NewResponse(wrapperspb.String("ok")), nil
	})(context.Background(), req)
	return ran, sub, err
}

func TestZeroConfigIsRequired(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	in := connectpaseto.New(kit.Guard, connectpaseto.Config{})
	if ran, _, err := call(in); ran || connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("no token: ran %v, err %v", ran, err)
	}
	if ran, sub, err := call(in, "Bearer "+kit.AccessToken(t, "alice")); !ran || sub != "alice" || err != nil {
		t.Fatalf("token: ran %v, subject %q, err %v", ran, sub, err)
	}
}

func TestErrorMetadataAndDetails(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	e := connectpaseto.Error(kit.Guard.RPCProblemFor(paseto.ErrStoreUnavailable, nil))
	if e.Code() != connect.CodeUnavailable || e.Message() != "temporarily_unavailable: session store unavailable" {
		t.Fatalf("error %v %q", e.Code(), e.Message())
	}
	if ra := e.Meta().Values("Retry-After"); len(ra) != 1 || ra[0] != "1" {
		t.Errorf("Retry-After %q, want exactly 1", ra)
	}
	var reason string
	var retry time.Duration
	for _, d := range e.Details() {
		v, err := d.Value()
		if err != nil {
			t.Fatal(err)
		}
		switch v := v.(type) {
		case *errdetails.ErrorInfo:
			reason = v.GetReason()
		case *errdetails.RetryInfo:
			retry = v.GetRetryDelay().AsDuration()
		}
	}
	if reason != "temporarily_unavailable" || retry != time.Second {
		t.Errorf("details: reason %q, retry %v", reason, retry)
	}
}

func TestErrorHandler(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	custom := connect.NewError(connect.CodeUnauthenticated, errors.New("log in first"))
	var seen error
	in := connectpaseto.New(kit.Guard, connectpaseto.Config{
		ErrorHandler: func(_ context.Context, _ string, _ paseto.RPCProblem, err error) error {
			seen = err
			return custom
		},
	})
	if ran, _, err := call(in, "Bearer nope"); ran || err != custom {
		t.Fatalf("ran %v, err %v; want the handler's error", ran, err)
	}
	if !errors.Is(seen, paseto.ErrMalformed) {
		t.Errorf("the handler saw %v", seen)
	}
	in = connectpaseto.New(kit.Guard, connectpaseto.Config{
		ErrorHandler: func(context.Context, string, paseto.RPCProblem, error) error { return nil },
	})
	if ran, _, err := call(in); ran || connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("nil from the ErrorHandler: ran %v, err %v; want the default refusal", ran, err)
	}
}

// On a client the interceptor does nothing: a client built with it calls
// an unprotected server without a token.
func TestClientSideIsUntouched(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	in := connectpaseto.New(kit.Guard, connectpaseto.Config{})
	const proc = "/t.v1.T/Open"
	mux := http.NewServeMux()
	mux.Handle(proc, connect.NewUnaryHandler(proc, func(context.Context, *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
		return connect.NewResponse(wrapperspb.String("open")), nil
	}))
	mux.Handle(proc+"Stream", connect.NewServerStreamHandler(proc+"Stream", func(_ context.Context, _ *connect.Request[wrapperspb.StringValue], s *connect.ServerStream[wrapperspb.StringValue]) error {
		return s.Send(wrapperspb.String("open"))
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+proc, connect.WithInterceptors(in))
	resp, err := c.CallUnary(ctx, connect.NewRequest(wrapperspb.String("hi")))
	if err != nil || resp.Msg.GetValue() != "open" {
		t.Fatalf("unary: %v", err)
	}
	cs := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+proc+"Stream", connect.WithInterceptors(in))
	st, err := cs.CallServerStream(ctx, connect.NewRequest(wrapperspb.String("hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Receive() || st.Msg().GetValue() != "open" {
		t.Fatalf("stream: %v", st.Err())
	}
}

func TestClaimsOutsideTheInterceptor(t *testing.T) {
	if c, ok := connectpaseto.Claims(context.Background()); c != nil || ok {
		t.Fatal("claims outside the interceptor")
	}
	if c, ok := connectpaseto.FromContext(context.Background()); c != nil || ok || connectpaseto.Subject(context.Background()) != "" {
		t.Fatal("claims outside the interceptor")
	}
}

func TestNewPanicsOnNilGuard(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(nil) did not panic")
		}
	}()
	connectpaseto.New(nil, connectpaseto.Config{})
}
