package grpcpaseto_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// A policy table, the two interceptors on a grpc.Server, and what a
// client sees of a refusal. The calls go straight to the unary
// interceptor, as grpc-go makes them; examples/grpc serves the same over a
// real listener.
func Example() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})

	policies, err := paseto.NewMethodPolicies(guard.Required(), map[string]*paseto.Policy{
		"/greeter.v1.Greeter/Hello":  guard.Optional(),
		"/admin.v1.Admin/DeleteUser": guard.FreshRequired(paseto.WithScopes("admin:users"), paseto.WithMaxAge(5*time.Minute)),
		"/grpc.health.v1.Health/*":   guard.Optional(paseto.WithAnonymousOnInvalid()),
	})
	if err != nil {
		log.Fatal(err)
	}
	in := grpcpaseto.New(guard, grpcpaseto.Config{Policies: policies})
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(in.Unary()),
		grpc.ChainStreamInterceptor(in.Stream()),
	)
	defer srv.Stop()

	pair, _ := auth.Login(context.Background(), "alice", paseto.LoginOptions{})
	call := func(method, authorization string) {
		ctx := context.Background()
		if authorization != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", authorization))
		}
		handler := func(ctx context.Context, _ any) (any, error) {
			return "hello " + grpcpaseto.Subject(ctx), nil
		}
		resp, err := in.Unary()(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, handler)
		if err != nil {
			st := status.Convert(err)
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					fmt.Printf("%s: %v, reason %s, metadata %v\n", method, st.Code(), info.GetReason(), info.GetMetadata())
				}
			}
			return
		}
		fmt.Printf("%s: %q\n", method, resp)
	}
	call("/greeter.v1.Greeter/Hello", "")
	call("/greeter.v1.Greeter/Goodbye", "")
	call("/greeter.v1.Greeter/Goodbye", "Bearer "+pair.AccessToken)
	call("/admin.v1.Admin/DeleteUser", "Bearer "+pair.AccessToken)
	// Output:
	// /greeter.v1.Greeter/Hello: "hello "
	// /greeter.v1.Greeter/Goodbye: Unauthenticated, reason missing_token, metadata map[]
	// /greeter.v1.Greeter/Goodbye: "hello alice"
	// /admin.v1.Admin/DeleteUser: PermissionDenied, reason insufficient_scope, metadata map[scope:admin:users]
}

// A table entry that names no method the server serves (here "hello" for
// "Hello") is refused at start-up: the method it meant would otherwise get
// the default.
func ExampleInterceptor_CheckServer() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	policies, _ := paseto.NewMethodPolicies(guard.Optional(), map[string]*paseto.Policy{
		"/greeter.v1.Greeter/hello": guard.Required(),
	})
	in := grpcpaseto.New(guard, grpcpaseto.Config{Policies: policies})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(in.Unary()), grpc.ChainStreamInterceptor(in.Stream()))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "greeter.v1.Greeter",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Hello", Handler: func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
			return nil, nil
		}}},
	}, struct{}{})
	if err := in.CheckServer(srv); err != nil {
		fmt.Println(err)
	}
	// Output:
	// paseto: invalid configuration: the method table names what the server does not serve (misspelt? names are case-sensitive): /greeter.v1.Greeter/hello
}
