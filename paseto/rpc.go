// RPC calls: the policy the gRPC and Connect interceptors share. A call
// carries its access token in the authorization metadata, is matched to a
// policy by its full method name (MethodPolicies), is verified
// (Guard.AuthenticateRPC) and, when refused, answered with a canonical RPC
// status code (Guard.RPCProblemFor). The interceptors only translate.

package paseto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// RPCCode is a canonical RPC status code, numbered as gRPC numbers them
// (google.rpc.Code), which Connect shares: an adapter converts it with
// codes.Code(c) or connect.Code(c).
type RPCCode uint32

// The RPC status codes RPCProblemFor answers with.
const (
	RPCNotFound         RPCCode = 5
	RPCPermissionDenied RPCCode = 7
	RPCInternal         RPCCode = 13
	RPCUnavailable      RPCCode = 14
	RPCUnauthenticated  RPCCode = 16
)

// String returns the code's canonical name, as gRPC spells it.
func (c RPCCode) String() string {
	switch c {
	case RPCNotFound:
		return "NotFound"
	case RPCPermissionDenied:
		return "PermissionDenied"
	case RPCInternal:
		return "Internal"
	case RPCUnavailable:
		return "Unavailable"
	case RPCUnauthenticated:
		return "Unauthenticated"
	}
	return fmt.Sprintf("Code(%d)", uint32(c))
}

// RPCProblem is how an error is answered on an RPC: a status code and the
// stable error code and message of the HTTP answer (ErrorBody), with no
// library internals. The interceptors put Error in the status message and
// in a google.rpc.ErrorInfo detail (its reason), and RetryAfter, when set,
// in a google.rpc.RetryInfo detail.
type RPCProblem struct {
	Code RPCCode
	// Error is the stable machine code, such as "expired_token" or
	// "insufficient_scope"; Message the matching human text.
	Error, Message string
	// RetryAfter is how long a client should wait before retrying a call
	// refused because the session store is unavailable; 0 otherwise.
	RetryAfter time.Duration
	// Scopes are the scopes the method requires, on an insufficient_scope
	// refusal; MaxAge the freshness bound on an
	// insufficient_user_authentication one. Nil and 0 otherwise.
	Scopes []string
	MaxAge time.Duration
}

// StatusMessage is the status message of the answer: "code: message", such
// as "expired_token: token has expired". It holds only the package's own
// constant strings.
func (p RPCProblem) StatusMessage() string { return p.Error + ": " + p.Message }

// RPCProblemFor maps err to its RPC answer for a method with policy p (p
// may be nil). It follows ProblemFor, status for status:
//
//   - no token, and every refusal of the token itself (malformed, invalid,
//     expired, not yet valid, wrong issuer, audience or type, revoked):
//     Unauthenticated;
//   - insufficient scope, and a token that is not fresh enough for a
//     FreshRequired method (which HTTP answers 401 per RFC 9470; on an RPC
//     the credentials are valid and the call is not permitted with them):
//     PermissionDenied, with the method's Scopes or MaxAge;
//   - a login refused at Config.MaxSessions: PermissionDenied
//     "too_many_sessions"; a session to revoke that is none of the
//     subject's: NotFound "unknown_session";
//   - store unavailable (down, hung past Config.StoreTimeout, full or
//     corrupt): Unavailable, RetryAfter one second;
//   - anything else (an application error, such as a Requirement's own
//     error): Internal, "server_error", with no detail.
func (g *Guard) RPCProblemFor(err error, p *Policy) RPCProblem {
	hp := g.ProblemFor(err, p)
	out := RPCProblem{Error: hp.Body.Error, Message: hp.Body.Message}
	switch {
	case errors.Is(err, ErrNotFresh):
		out.Code = RPCPermissionDenied
		if p != nil {
			out.MaxAge = p.MaxAge
		}
	case hp.Status == http.StatusUnauthorized:
		out.Code = RPCUnauthenticated
	case hp.Status == http.StatusForbidden:
		out.Code = RPCPermissionDenied
		if errors.Is(err, ErrInsufficientScope) && p != nil {
			out.Scopes = p.Scopes
		}
	case hp.Status == http.StatusNotFound:
		out.Code = RPCNotFound
	case hp.Status == http.StatusServiceUnavailable:
		out.Code = RPCUnavailable
		out.RetryAfter = storeRetryDelay
	default:
		out.Code = RPCInternal
	}
	return out
}

// storeRetryDelay is storeRetryAfter as a duration.
const storeRetryDelay = time.Second

// AuthenticateRPC applies policy p to an RPC whose authorization metadata
// holds the values authorization (gRPC's incoming metadata, Connect's
// request header). Only "Bearer <token>" is read: RPCs carry no cookies
// and no query, and refresh tokens are exchanged over HTTP. Several values
// are malformed, as two Authorization headers are; another scheme counts
// as no token. On success it returns the access token's claims, or nil for
// an anonymous call to an Optional method; on failure, answer with
// RPCProblemFor(err, p): the method's handler must not run.
func (g *Guard) AuthenticateRPC(ctx context.Context, authorization []string, p *Policy) (*Claims, error) {
	if err := rpcPolicyError(p); err != nil {
		return nil, err
	}
	token, err := bearerValues(authorization)
	if err == nil && token == "" {
		err = ErrMissingToken
	}
	if err != nil {
		if p.optional && (err == ErrMissingToken || p.anonymousOnInvalid) {
			return nil, nil
		}
		return nil, err
	}
	return g.verifyFor(ctx, token, p, p.reqs)
}

// rpcPolicyError refuses the policies an RPC cannot apply.
func rpcPolicyError(p *Policy) error {
	switch {
	case p == nil:
		return fmt.Errorf("%w: nil policy", ErrConfig)
	case p.refresh:
		return fmt.Errorf("%w: RefreshRequired is an HTTP policy: refresh tokens are exchanged over HTTP", ErrConfig)
	case p.allowQuery:
		return fmt.Errorf("%w: WithQueryToken has no meaning on an RPC, which has no query string", ErrConfig)
	}
	return nil
}

// MethodPolicies is the policy table of an RPC server: a policy per full
// method name ("/package.Service/Method", as gRPC's FullMethod and
// Connect's Procedure spell it), per service ("/package.Service/*") and a
// default for every method the table does not name. Build it with
// NewMethodPolicies; it is read-only and safe for concurrent use. A nil
// *MethodPolicies is the empty table: every method is Required().
type MethodPolicies struct {
	def      *Policy
	methods  map[string]*Policy // by full method name
	services map[string]*Policy // by "/package.Service/", from the "/…/*" keys
}

// NewMethodPolicies returns the table of methods, keyed by full method
// name or by "/package.Service/*" for every method of a service, with def
// for every other method. A nil def is Required(): a method left out of
// the table needs a valid access token, so forgetting a method fails
// closed. The map is copied.
//
// It refuses (ErrConfig) a key that is not "/service/method" or
// "/service/*", a nil policy, and the policies an RPC cannot apply:
// RefreshRequired (refresh tokens are exchanged over HTTP) and
// WithQueryToken.
func NewMethodPolicies(def *Policy, methods map[string]*Policy) (*MethodPolicies, error) {
	if def == nil {
		def = &Policy{} // Required(), with no option
	}
	if err := rpcPolicyError(def); err != nil {
		return nil, fmt.Errorf("default policy: %w", err)
	}
	t := &MethodPolicies{def: def, methods: map[string]*Policy{}, services: map[string]*Policy{}}
	for name, p := range methods {
		if !validMethodName(name) {
			return nil, fmt.Errorf("%w: method %q: want \"/package.Service/Method\" or \"/package.Service/*\"", ErrConfig, name)
		}
		if err := rpcPolicyError(p); err != nil {
			return nil, fmt.Errorf("method %q: %w", name, err)
		}
		if svc, ok := strings.CutSuffix(name, "/*"); ok {
			t.services[svc+"/"] = p
		} else {
			t.methods[name] = p
		}
	}
	return t, nil
}

// validMethodName reports whether name is "/service/method", neither part
// empty nor holding another slash.
func validMethodName(name string) bool {
	rest, ok := strings.CutPrefix(name, "/")
	if !ok {
		return false
	}
	svc, method, ok := strings.Cut(rest, "/")
	return ok && svc != "" && method != "" && !strings.Contains(method, "/")
}

// For returns the policy of the method fullMethod: its own entry, else its
// service's "/package.Service/*" entry, else the default. A name that is
// not "/service/method" gets the default.
func (t *MethodPolicies) For(fullMethod string) *Policy {
	if t == nil {
		return requiredEverywhere
	}
	if p, ok := t.methods[fullMethod]; ok {
		return p
	}
	if i := strings.LastIndexByte(fullMethod, '/'); i > 0 {
		if p, ok := t.services[fullMethod[:i+1]]; ok {
			return p
		}
	}
	return t.def
}

// Default returns the policy of the methods the table does not name.
func (t *MethodPolicies) Default() *Policy {
	if t == nil {
		return requiredEverywhere
	}
	return t.def
}

// requiredEverywhere is the policy of every method of a nil table.
var requiredEverywhere = &Policy{}

// Check compares the table with the full method names the server serves
// ("/package.Service/Method"; grpcpaseto and connectpaseto collect them)
// and refuses, with ErrConfig naming them, the entries that match none: a
// method the server does not have, or a "/package.Service/*" with no
// method of that service. Such an entry is almost always a misspelling
// (method names are case-sensitive), and the method it meant to protect
// gets the default instead, which is dangerous when the default is
// weaker than the entry. Call it at start-up, after registering services.
func (t *MethodPolicies) Check(served ...string) error {
	if t == nil {
		return nil
	}
	methods := make(map[string]bool, len(served))
	services := make(map[string]bool)
	for _, m := range served {
		methods[m] = true
		if i := strings.LastIndexByte(m, '/'); i > 0 {
			services[m[:i+1]] = true
		}
	}
	var unknown []string
	for name := range t.methods {
		if !methods[name] {
			unknown = append(unknown, name)
		}
	}
	for svc := range t.services {
		if !services[svc] {
			unknown = append(unknown, svc+"*")
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("%w: the method table names what the server does not serve (misspelt? names are case-sensitive): %s", ErrConfig, strings.Join(unknown, ", "))
}
