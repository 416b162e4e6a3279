package connectpaseto_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/connectpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// A Connect handler behind the interceptor, with a policy table, called by
// a Connect client over a loopback server. Generated handlers take the
// interceptor the same way: greeterv1connect.NewGreeterHandler(svc,
// connect.WithInterceptors(in)).
func Example() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})

	const hello = "/greeter.v1.Greeter/Hello"
	policies, err := paseto.NewMethodPolicies(guard.Required(), map[string]*paseto.Policy{
		"/greeter.v1.Greeter/Public": guard.Optional(),
	})
	if err != nil {
		log.Fatal(err)
	}
	in := connectpaseto.New(guard, connectpaseto.Config{Policies: policies})
	mux := http.NewServeMux()
	mux.Handle(hello, connect.NewUnaryHandler(hello,
		func(ctx context.Context, _ *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			return connect.NewResponse(wrapperspb.String("hello " + connectpaseto.Subject(ctx))), nil
		},
		connect.WithInterceptors(in),
	))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](srv.Client(), srv.URL+hello)
	pair, _ := auth.Login(context.Background(), "alice", paseto.LoginOptions{})
	for _, authorization := range []string{"", "Bearer not-a-token", "Bearer " + pair.AccessToken} {
		req := connect.NewRequest(wrapperspb.String("hi"))
		if authorization != "" {
			req.Header().Set("Authorization", authorization)
		}
		resp, err := client.CallUnary(context.Background(), req)
		if err != nil {
			fmt.Println(connect.CodeOf(err), err.(*connect.Error).Message())
			continue
		}
		fmt.Println(resp.Msg.GetValue())
	}
	// Output:
	// unauthenticated missing_token: no token
	// unauthenticated malformed_token: malformed token
	// hello alice
}

// Check compares the table with the procedures the server serves (the
// generated …Procedure constants): here an entry for a procedure the
// server does not have.
func ExampleInterceptor_Check() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	policies, _ := paseto.NewMethodPolicies(guard.Optional(), map[string]*paseto.Policy{
		"/greeter.v1.Greeter/Admin": guard.Required(),
	})
	in := connectpaseto.New(guard, connectpaseto.Config{Policies: policies})
	if err := in.Check("/greeter.v1.Greeter/Hello", "/greeter.v1.Greeter/admin"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// paseto: invalid configuration: the method table names what the server does not serve (misspelt? names are case-sensitive): /greeter.v1.Greeter/Admin
}
