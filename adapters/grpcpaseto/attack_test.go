package grpcpaseto_test

// Attacks on a real gRPC server (grpc-go on a loopback listener) whose
// table is the dangerous kind: an Optional default, so that any call that
// escapes its method's entry would run with less than it should.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

const attackSvc = "attack.v1.Svc"

// attackServer serves attackSvc behind grpcpaseto over g: the unary
// methods Admin (Required, scope admin:users) and Public (the Optional
// default), and the client-streaming Upload (Required). ran counts the
// handlers that ran, by method.
type attackServer struct {
	conn *grpc.ClientConn
	ran  map[string]*atomic.Int32
	srv  *grpc.Server
	in   *grpcpaseto.Interceptor
}

func serveAttack(t *testing.T, g *paseto.Guard) *attackServer {
	t.Helper()
	pol, err := paseto.NewMethodPolicies(g.Optional(), map[string]*paseto.Policy{
		"/" + attackSvc + "/Admin":  g.Required(paseto.WithScopes("admin:users")),
		"/" + attackSvc + "/Upload": g.Required(),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := grpcpaseto.New(g, grpcpaseto.Config{Policies: pol})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(in.Unary()), grpc.ChainStreamInterceptor(in.Stream()))
	as := &attackServer{ran: map[string]*atomic.Int32{"Admin": {}, "Public": {}, "Upload": {}}, srv: srv, in: in}
	desc := grpc.ServiceDesc{ServiceName: attackSvc, HandlerType: (*any)(nil)}
	for _, m := range []string{"Admin", "Public"} {
		full := "/" + attackSvc + "/" + m
		desc.Methods = append(desc.Methods, grpc.MethodDesc{MethodName: m,
			Handler: func(srv any, ctx context.Context, dec func(any) error, icp grpc.UnaryServerInterceptor) (any, error) {
				req := new(wrapperspb.StringValue)
				if err := dec(req); err != nil {
					return nil, err
				}
				return icp(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, func(ctx context.Context, _ any) (any, error) {
					as.ran[m].Add(1)
					return wrapperspb.String(grpcpaseto.Subject(ctx)), nil
				})
			}})
	}
	desc.Streams = append(desc.Streams, grpc.StreamDesc{StreamName: "Upload", ClientStreams: true,
		Handler: func(_ any, ss grpc.ServerStream) error {
			as.ran["Upload"].Add(1)
			n := 0
			for {
				if err := ss.RecvMsg(new(wrapperspb.StringValue)); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					return err
				}
				n++
			}
			return ss.SendMsg(wrapperspb.Int32(int32(n)))
		}})
	srv.RegisterService(&desc, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	if as.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { as.conn.Close() })
	return as
}

func attackCtx(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// TestAttackMethodNameTricks: spellings of the Admin method that a
// string-keyed table might not match (no leading slash, case, extra
// slashes, a query) never run Admin's handler, and never under the
// Optional default.
func TestAttackMethodNameTricks(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	as := serveAttack(t, kit.Guard)
	for _, m := range []string{
		attackSvc + "/Admin",
		"/" + attackSvc + "/admin",
		"/attack.v1.svc/Admin",
		"/" + attackSvc + "/Admin/",
		"//" + attackSvc + "/Admin",
		"/" + attackSvc + "//Admin",
		"/" + attackSvc + "/Admin?x=1",
		"/" + attackSvc + "/Admin%00",
		"/" + attackSvc + "/*",
		"/" + attackSvc + "/",
	} {
		err := as.conn.Invoke(attackCtx(t), m, wrapperspb.String("hi"), new(wrapperspb.StringValue))
		if status.Code(err) == codes.OK {
			t.Errorf("%q without a token: OK", m)
		}
	}
	if n := as.ran["Admin"].Load(); n != 0 {
		t.Errorf("Admin's handler ran %d times without a token", n)
	}
	// The real name is refused without a token, and runs with one that
	// has the scope.
	err := as.conn.Invoke(attackCtx(t), "/"+attackSvc+"/Admin", wrapperspb.String("hi"), new(wrapperspb.StringValue))
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("Admin without a token: %v", err)
	}
	tok := kit.AccessToken(t, "alice", pasetotest.Scopes("admin:users"))
	out := new(wrapperspb.StringValue)
	if err := as.conn.Invoke(attackCtx(t, "authorization", "Bearer "+tok), "/"+attackSvc+"/Admin", wrapperspb.String("hi"), out); err != nil || out.GetValue() != "alice" {
		t.Errorf("Admin with the scope: %q, %v", out.GetValue(), err)
	}
}

// TestAttackAuthorizationVariants: the token under a key that is not
// "authorization" (authorization-bin, a prefix, a suffix) is no token;
// two values, even one good and one bad, are refused.
func TestAttackAuthorizationVariants(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	as := serveAttack(t, kit.Guard)
	tok := kit.AccessToken(t, "alice", pasetotest.Scopes("admin:users"))
	for _, tc := range []struct {
		name string
		kv   []string
		want codes.Code
	}{
		{"authorization-bin", []string{"authorization-bin", "Bearer " + tok}, codes.Unauthenticated},
		{"x-authorization", []string{"x-authorization", "Bearer " + tok}, codes.Unauthenticated},
		{"authorization2", []string{"authorization2", "Bearer " + tok}, codes.Unauthenticated},
		{"good then bad", []string{"authorization", "Bearer " + tok, "authorization", "Bearer x"}, codes.Unauthenticated},
		{"bad then good", []string{"authorization", "Bearer x", "authorization", "Bearer " + tok}, codes.Unauthenticated},
		{"two tokens in one value", []string{"authorization", "Bearer " + tok + ", Bearer " + tok}, codes.Unauthenticated},
		{"Authorization (gRPC lowercases the key)", []string{"Authorization", "Bearer " + tok}, codes.OK},
	} {
		err := as.conn.Invoke(attackCtx(t, tc.kv...), "/"+attackSvc+"/Admin", wrapperspb.String("hi"), new(wrapperspb.StringValue))
		if status.Code(err) != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := as.ran["Admin"].Load(); n != 1 {
		t.Errorf("Admin's handler ran %d times, want 1", n)
	}
}

// TestAttackClientStreamBeforeCheck: a client stream that sends its
// messages at once, without a token, is refused and its handler never
// runs (nor reads a message).
func TestAttackClientStreamBeforeCheck(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	as := serveAttack(t, kit.Guard)
	cs, err := as.conn.NewStream(attackCtx(t), &grpc.StreamDesc{ClientStreams: true}, "/"+attackSvc+"/Upload")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := cs.SendMsg(wrapperspb.String("chunk")); err != nil {
			break // the server may have answered already
		}
	}
	_ = cs.CloseSend()
	err = cs.RecvMsg(new(wrapperspb.Int32Value))
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("Upload without a token: %v, want Unauthenticated", err)
	}
	if n := as.ran["Upload"].Load(); n != 0 {
		t.Errorf("Upload's handler ran %d times", n)
	}
}

// TestAttackKeysUnavailableIsUnavailable: a verify-only Auth whose key set
// cannot be fetched answers Unavailable with a RetryInfo (the token may be
// good), never Unauthenticated, and the handler does not run.
func TestAttackKeysUnavailableIsUnavailable(t *testing.T) {
	issuer := pasetotest.New(t, pasetotest.Config{Public: true})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + lis.Addr().String() + paseto.KeySetPath
	lis.Close() // nothing listens there any more
	src, err := remotekeys.New(remotekeys.Config{URL: dead, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := paseto.New(paseto.Config{AccessKeySource: src, Store: issuer.Store, Clock: issuer.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	g, err := paseto.NewGuard(auth, paseto.GuardConfig{})
	if err != nil {
		t.Fatal(err)
	}
	as := serveAttack(t, g)
	tok := issuer.AccessToken(t, "alice", pasetotest.Scopes("admin:users"))
	for _, m := range []string{"Admin", "Public"} {
		err := as.conn.Invoke(attackCtx(t, "authorization", "Bearer "+tok), "/"+attackSvc+"/"+m, wrapperspb.String("hi"), new(wrapperspb.StringValue))
		st := status.Convert(err)
		if st.Code() != codes.Unavailable {
			t.Errorf("%s with the key set down: %v, want Unavailable", m, err)
		}
		if !strings.HasPrefix(st.Message(), "temporarily_unavailable: ") || strings.Contains(st.Message()+fmt.Sprint(st.Details()), "127.0.0.1") {
			t.Errorf("%s: the refusal says more than its code: %q %v", m, st.Message(), st.Details())
		}
		var retry bool
		for _, d := range st.Details() {
			if _, ok := d.(*errdetails.RetryInfo); ok {
				retry = true
			}
		}
		if !retry {
			t.Errorf("%s: no RetryInfo in %v", m, st.Details())
		}
	}
	if n := as.ran["Admin"].Load() + as.ran["Public"].Load(); n != 0 {
		t.Errorf("handlers ran %d times with the key set down", n)
	}
}

// TestAttackMisspeltTableEntry: an operator's table that spells Admin
// "admin" leaves Admin under the Optional default, where a call without a
// token runs it; CheckServer finds the entry at start-up, and passes the
// table that spells it right.
func TestAttackMisspeltTableEntry(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	as := serveAttack(t, kit.Guard)
	if err := as.in.CheckServer(as.srv); err != nil {
		t.Errorf("the right table: %v", err)
	}
	bad, err := paseto.NewMethodPolicies(kit.Guard.Optional(), map[string]*paseto.Policy{
		"/" + attackSvc + "/admin":  kit.Guard.Required(paseto.WithScopes("admin:users")),
		"/" + attackSvc + "/Upload": kit.Guard.Required(),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := grpcpaseto.New(kit.Guard, grpcpaseto.Config{Policies: bad})
	if err := in.CheckServer(as.srv); !errors.Is(err, paseto.ErrConfig) || !strings.Contains(err.Error(), "/"+attackSvc+"/admin") {
		t.Errorf("CheckServer with Admin misspelt: %v, want ErrConfig naming it", err)
	}
}
