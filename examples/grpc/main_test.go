package main

// End-to-end tests: the server runs as main runs it, on a real loopback
// listener, and a grpc-go client calls it with the generated stubs.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// client is a connection to a running server with both services' stubs.
type client struct {
	auth AuthServiceClient
	demo DemoServiceClient
	conn *grpc.ClientConn
}

// start runs the server on 127.0.0.1 with nothing in the environment
// (ephemeral keys, the memory store) until the test ends.
func start(t *testing.T) *client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(string) string { return "" }, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Error("the server did not stop")
		}
	})
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{auth: NewAuthServiceClient(conn), demo: NewDemoServiceClient(conn), conn: conn}
}

// ctxWith is a call context bounded in time, carrying the access token
// when tok is not "".
func ctxWith(t *testing.T, tok string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if tok != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	return ctx
}

// reason returns the status code of err and the stable code of its
// google.rpc.ErrorInfo detail, as a client reads them.
func reason(err error) (codes.Code, string) {
	st := status.Convert(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return st.Code(), info.GetReason()
		}
	}
	return st.Code(), ""
}

// wantRefused fails t unless err is the status code with the reason.
func wantRefused(t *testing.T, what string, err error, code codes.Code, want string) {
	t.Helper()
	if got, r := reason(err); got != code || r != want {
		t.Errorf("%s: got %v %q (%v), want %v %q", what, got, r, err, code, want)
	}
}

func (c *client) login(t *testing.T, user, pw string) *TokenPair {
	t.Helper()
	pair, err := c.auth.Login(ctxWith(t, ""), &LoginRequest{Username: user, Password: pw})
	if err != nil {
		t.Fatalf("login of %s: %v", user, err)
	}
	return pair
}

// ticks calls Ticks and returns the subjects of the ticks received, and
// the stream's error.
func (c *client) ticks(t *testing.T, tok string, n int32) ([]string, error) {
	t.Helper()
	stream, err := c.demo.Ticks(ctxWith(t, tok), &TicksRequest{Count: n})
	if err != nil {
		return nil, err
	}
	var subs []string
	for {
		tick, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return subs, nil
		}
		if err != nil {
			return subs, err
		}
		subs = append(subs, tick.GetSubject())
	}
}

func TestProtectedMethods(t *testing.T) {
	c := start(t)

	_, err := c.demo.WhoAmI(ctxWith(t, ""), &WhoAmIRequest{})
	wantRefused(t, "WhoAmI without a token", err, codes.Unauthenticated, "missing_token")
	_, err = c.demo.WhoAmI(ctxWith(t, "not-a-paseto"), &WhoAmIRequest{})
	wantRefused(t, "WhoAmI with a malformed token", err, codes.Unauthenticated, "malformed_token")
	_, err = c.auth.Login(ctxWith(t, ""), &LoginRequest{Username: "test", Password: "wrong"})
	if code, _ := reason(err); code != codes.Unauthenticated || !strings.HasPrefix(status.Convert(err).Message(), "invalid_credentials") {
		t.Errorf("login with a wrong password: %v", err)
	}

	pair := c.login(t, "test", "test")
	me, err := c.demo.WhoAmI(ctxWith(t, pair.AccessToken), &WhoAmIRequest{})
	if err != nil || me.GetSubject() != "test" || !me.GetFresh() {
		t.Fatalf("WhoAmI: %v, %v", me, err)
	}

	// The stream is checked before the handler runs: no tick without a
	// token, every tick with one.
	subs, err := c.ticks(t, "", 3)
	wantRefused(t, "Ticks without a token", err, codes.Unauthenticated, "missing_token")
	if len(subs) != 0 {
		t.Errorf("Ticks without a token received %d ticks", len(subs))
	}
	subs, err = c.ticks(t, pair.AccessToken, 3)
	if err != nil || strings.Join(subs, ",") != "test,test,test" {
		t.Fatalf("Ticks: %q, %v", subs, err)
	}

	// Scopes: test holds admin:*, user1 does not.
	if _, err := c.demo.AdminStats(ctxWith(t, pair.AccessToken), &AdminStatsRequest{}); err != nil {
		t.Errorf("AdminStats as test: %v", err)
	}
	user1 := c.login(t, "user1", "password1")
	_, err = c.demo.AdminStats(ctxWith(t, user1.AccessToken), &AdminStatsRequest{})
	wantRefused(t, "AdminStats as user1", err, codes.PermissionDenied, "insufficient_scope")

	// Health answers anonymous probes, and a caller with a stale token.
	hc := healthpb.NewHealthClient(c.conn)
	for _, tok := range []string{"", "expired-or-garbage"} {
		if resp, err := hc.Check(ctxWith(t, tok), &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health check with token %q: %v, %v", tok, resp, err)
		}
	}
}

func TestRefreshLogoutAndReuse(t *testing.T) {
	c := start(t)
	first := c.login(t, "user1", "password1")

	second, err := c.auth.Refresh(ctxWith(t, ""), &RefreshRequest{RefreshToken: first.GetRefreshToken()})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	me, err := c.demo.WhoAmI(ctxWith(t, second.AccessToken), &WhoAmIRequest{})
	if err != nil || me.GetSubject() != "user1" || me.GetFresh() {
		t.Fatalf("WhoAmI with the refreshed token: %v, %v (a refreshed token is not fresh)", me, err)
	}
	// A refresh with a stale access token in the metadata still works:
	// Refresh is open, and a bad token there is ignored.
	third, err := c.auth.Refresh(ctxWith(t, "stale"), &RefreshRequest{RefreshToken: second.GetRefreshToken()})
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}

	// The first refresh token again, two rotations old (the grace period
	// covers only a retry of the latest one): reuse, and the whole
	// session ends.
	_, err = c.auth.Refresh(ctxWith(t, ""), &RefreshRequest{RefreshToken: first.GetRefreshToken()})
	wantRefused(t, "reused refresh token", err, codes.Unauthenticated, "reused_refresh_token")
	_, err = c.demo.WhoAmI(ctxWith(t, third.AccessToken), &WhoAmIRequest{})
	wantRefused(t, "access token of a session ended by reuse", err, codes.Unauthenticated, "revoked_token")

	// Logout ends the session of the token that calls it.
	p := c.login(t, "user1", "password1")
	if _, err := c.auth.Logout(ctxWith(t, p.AccessToken), &LogoutRequest{}); err != nil {
		t.Fatalf("logout: %v", err)
	}
	_, err = c.demo.WhoAmI(ctxWith(t, p.AccessToken), &WhoAmIRequest{})
	wantRefused(t, "WhoAmI after logout", err, codes.Unauthenticated, "revoked_token")
	_, err = c.ticks(t, p.AccessToken, 1)
	wantRefused(t, "Ticks after logout", err, codes.Unauthenticated, "revoked_token")
	_, err = c.auth.Logout(ctxWith(t, ""), &LogoutRequest{})
	wantRefused(t, "logout without a token", err, codes.Unauthenticated, "missing_token")
}

func TestDeleteAccountNeedsAFreshToken(t *testing.T) {
	c := start(t)
	pair := c.login(t, "user1", "password1")
	refreshed, err := c.auth.Refresh(ctxWith(t, ""), &RefreshRequest{RefreshToken: pair.GetRefreshToken()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.demo.DeleteAccount(ctxWith(t, refreshed.AccessToken), &DeleteAccountRequest{})
	wantRefused(t, "DeleteAccount with a refreshed token", err, codes.PermissionDenied, "insufficient_user_authentication")

	// Typing the password again gives a fresh token in the same session.
	_, err = c.auth.FreshLogin(ctxWith(t, refreshed.AccessToken), &LoginRequest{Username: "test", Password: "test"})
	wantRefused(t, "fresh login with another user's password", err, codes.Unauthenticated, "mismatched_subject")
	fresh, err := c.auth.FreshLogin(ctxWith(t, refreshed.AccessToken), &LoginRequest{Username: "user1", Password: "password1"})
	if err != nil {
		t.Fatalf("fresh login: %v", err)
	}
	del, err := c.demo.DeleteAccount(ctxWith(t, fresh.AccessToken), &DeleteAccountRequest{})
	if err != nil || del.GetDeleted() != "user1" {
		t.Fatalf("DeleteAccount: %v, %v", del, err)
	}
	// Every session of the user has ended.
	_, err = c.demo.WhoAmI(ctxWith(t, fresh.AccessToken), &WhoAmIRequest{})
	wantRefused(t, "WhoAmI after DeleteAccount", err, codes.Unauthenticated, "revoked_token")
}

func TestTicksBoundsItsCount(t *testing.T) {
	c := start(t)
	pair := c.login(t, "user1", "password1")
	for _, n := range []int32{0, maxTicks + 1} {
		_, err := c.ticks(t, pair.AccessToken, n)
		if code, _ := reason(err); code != codes.InvalidArgument {
			t.Errorf("Ticks(%d): %v, want InvalidArgument", n, err)
		}
	}
}
