// Command grpc is a gRPC server protected by pasetoauth through
// adapters/grpcpaseto: a policy table by full method name, unary and
// server-streaming methods, and login, refresh and logout as gRPC methods
// of their own. See README.md.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the server at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Getenv, nil, logger); err != nil {
		logger.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// shutdownTimeout bounds how long calls in flight (streams included) may
// take to finish once a shutdown signal arrives.
const shutdownTimeout = 10 * time.Second

// run configures the server from getenv and serves on ln (when nil, on
// PORT) until ctx is done, then stops gracefully. It closes ln.
func run(ctx context.Context, getenv func(string) string, ln net.Listener, logger *slog.Logger) (err error) {
	if ln != nil {
		defer func() {
			if err != nil {
				_ = ln.Close() // not served: Serve closes it otherwise
			}
		}()
	}
	b, err := newBackend(ctx, getenv, logger, nil)
	if err != nil {
		return err
	}
	defer b.close()
	srv, err := newServer(b, logger)
	if err != nil {
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", b.addr); err != nil {
			return err
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(shutdownTimeout):
		srv.Stop() // cancels the calls still running
		<-stopped
	}
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// adminScope is what AdminStats requires. The user test holds "admin:*",
// which covers it; user1 does not.
const adminScope = "admin:read"

// freshMaxAge is how recently a user must have typed their password to
// call DeleteAccount.
const freshMaxAge = 5 * time.Minute

// policies is the server's policy table: what each method demands. A
// method missing from it gets the default, Required: a method added to the
// API later is protected until someone decides otherwise.
func policies(g *paseto.Guard) (*paseto.MethodPolicies, error) {
	// Login and Refresh carry no access token: the caller has none yet, or
	// an expired one. A token sent anyway is ignored when bad.
	open := g.Optional(paseto.WithAnonymousOnInvalid())
	return paseto.NewMethodPolicies(g.Required(), map[string]*paseto.Policy{
		AuthService_Login_FullMethodName:         open,
		AuthService_Refresh_FullMethodName:       open,
		AuthService_Logout_FullMethodName:        g.Required(),
		AuthService_FreshLogin_FullMethodName:    g.Required(),
		DemoService_WhoAmI_FullMethodName:        g.Required(),
		DemoService_Ticks_FullMethodName:         g.Required(),
		DemoService_AdminStats_FullMethodName:    g.Required(paseto.WithScopes(adminScope)),
		DemoService_DeleteAccount_FullMethodName: g.FreshRequired(paseto.WithMaxAge(freshMaxAge)),
		// Load balancers probe health without a token.
		"/grpc.health.v1.Health/*": open,
	})
}

// newServer builds the gRPC server: the interceptors over the policy
// table, the two services and the standard health service.
func newServer(b *backend, logger *slog.Logger) (*grpc.Server, error) {
	guard, err := paseto.NewGuard(b.auth, paseto.GuardConfig{})
	if err != nil {
		return nil, err
	}
	table, err := policies(guard)
	if err != nil {
		return nil, err
	}
	in := grpcpaseto.New(guard, grpcpaseto.Config{
		Policies: table,
		// The client sees the stable code only; the cause goes to the log.
		ErrorHandler: func(ctx context.Context, method string, p paseto.RPCProblem, err error) error {
			level := slog.LevelInfo
			if p.Code == paseto.RPCUnavailable || p.Code == paseto.RPCInternal {
				level = slog.LevelError
			}
			logger.Log(ctx, level, "call refused", "method", method, "code", p.Error, "err", err)
			return grpcpaseto.DefaultErrorHandler(ctx, method, p, err)
		},
	})
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(in.Unary()),
		grpc.ChainStreamInterceptor(in.Stream()),
		grpc.ConnectionTimeout(10*time.Second),
	)
	h := &handlers{auth: b.auth, guard: guard, users: b.users}
	RegisterAuthServiceServer(srv, h)
	RegisterDemoServiceServer(srv, h)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	// Every entry of the table must name a method served: a misspelt one
	// would leave its method under the default.
	if err := in.CheckServer(srv); err != nil {
		return nil, err
	}
	return srv, nil
}

// handlers implements both services.
type handlers struct {
	UnimplementedAuthServiceServer
	UnimplementedDemoServiceServer
	auth  *paseto.Auth
	guard *paseto.Guard
	users userTable
}

// refused is the gRPC error of a library error: the status the guard maps
// it to (Unavailable when the store is down, ...), with the stable code.
func (h *handlers) refused(err error) error {
	return grpcpaseto.Status(h.guard.RPCProblemFor(err, nil)).Err()
}

// errBadCredentials answers a wrong user name or password.
var errBadCredentials = status.Error(codes.Unauthenticated, "invalid_credentials: wrong username or password")

func (h *handlers) Login(ctx context.Context, req *LoginRequest) (*TokenPair, error) {
	acct, ok := h.users.authenticate(req.GetUsername(), req.GetPassword())
	if !ok {
		return nil, errBadCredentials
	}
	pair, err := h.auth.Login(ctx, acct.name, paseto.LoginOptions{Scopes: acct.scopes})
	if err != nil {
		return nil, h.refused(err)
	}
	return tokenPair(pair), nil
}

func (h *handlers) Refresh(ctx context.Context, req *RefreshRequest) (*TokenPair, error) {
	pair, err := h.auth.Refresh(ctx, req.GetRefreshToken())
	if err != nil {
		return nil, h.refused(err)
	}
	return tokenPair(pair), nil
}

func (h *handlers) Logout(ctx context.Context, _ *LogoutRequest) (*LogoutResponse, error) {
	c, _ := grpcpaseto.Claims(ctx) // Required: always there
	if err := h.auth.Logout(ctx, c); err != nil {
		return nil, h.refused(err)
	}
	return &LogoutResponse{}, nil
}

func (h *handlers) FreshLogin(ctx context.Context, req *LoginRequest) (*AccessToken, error) {
	acct, ok := h.users.authenticate(req.GetUsername(), req.GetPassword())
	if !ok {
		return nil, errBadCredentials
	}
	c, _ := grpcpaseto.Claims(ctx)
	tok, err := h.auth.FreshLogin(ctx, c, acct.name)
	if err != nil {
		return nil, h.refused(err) // another user's password: Unauthenticated mismatched_subject
	}
	return &AccessToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn}, nil
}

func (h *handlers) WhoAmI(ctx context.Context, _ *WhoAmIRequest) (*WhoAmIResponse, error) {
	c, _ := grpcpaseto.Claims(ctx)
	return &WhoAmIResponse{Subject: c.Subject, Scopes: c.Scopes, Fresh: c.Fresh}, nil
}

// maxTicks bounds a Ticks stream.
const maxTicks = 100

func (h *handlers) Ticks(req *TicksRequest, stream grpc.ServerStreamingServer[Tick]) error {
	// The interceptor checked the token before this ran; the stream's
	// context carries the claims.
	sub := grpcpaseto.Subject(stream.Context())
	n := req.GetCount()
	if n < 1 || n > maxTicks {
		return status.Errorf(codes.InvalidArgument, "count must be between 1 and %d", maxTicks)
	}
	for i := range n {
		if err := stream.Send(&Tick{N: i + 1, Subject: sub}); err != nil {
			return err
		}
	}
	return nil
}

func (h *handlers) AdminStats(context.Context, *AdminStatsRequest) (*AdminStatsResponse, error) {
	return &AdminStatsResponse{Users: int64(len(h.users))}, nil
}

// DeleteAccount signs the user out everywhere (a real application would
// delete the account too).
func (h *handlers) DeleteAccount(ctx context.Context, _ *DeleteAccountRequest) (*DeleteAccountResponse, error) {
	sub := grpcpaseto.Subject(ctx)
	if err := h.auth.RevokeSubject(ctx, sub); err != nil {
		return nil, h.refused(err)
	}
	return &DeleteAccountResponse{Deleted: sub}, nil
}

func tokenPair(p *paseto.TokenPair) *TokenPair {
	return &TokenPair{
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: p.TokenType,
		ExpiresIn: p.ExpiresIn, RefreshExpiresIn: p.RefreshExpiresIn,
	}
}
