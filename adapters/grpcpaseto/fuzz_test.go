package grpcpaseto_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// FuzzAuthorization sends arbitrary authorization metadata (one value, or
// several separated by NUL) through the unary interceptor of a Required
// method. It must never panic, never let the handler run unless the call
// carried exactly one value holding the one valid token as
// "Bearer <token>", and refuse everything else with Unauthenticated and a
// stable code in the ErrorInfo, never with another status.
func FuzzAuthorization(f *testing.F) {
	kit := pasetotest.New(f, pasetotest.Config{Seed: "FuzzAuthorization"})
	pair := kit.Login(f, "alice")
	valid := pair.AccessToken
	in := grpcpaseto.New(kit.Guard, grpcpaseto.Config{})

	f.Add("Bearer " + valid)
	f.Add("bearer  " + valid)
	f.Add("Bearer " + valid + "\x00Bearer " + valid)
	f.Add("Bearer " + pair.RefreshToken)
	f.Add("Bearer " + valid[:len(valid)-4])
	f.Add("Bearer " + valid + "A")
	f.Add("Bearer " + strings.Replace(valid, "v4.local.", "v4.public.", 1))
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("Bearer")
	f.Add("")
	f.Add("Bearer a, b")
	f.Add("Bearer v4.local.\x00")

	f.Fuzz(func(t *testing.T, raw string) {
		var vals []string
		if raw != "" {
			vals = strings.Split(raw, "\x00")
		}
		ran, sub, err := call(in, "/fuzz.v1.Fuzz/Call", vals...)
		if ran {
			if err != nil || sub != "alice" {
				t.Fatalf("handler ran with err %v, subject %q", err, sub)
			}
			f := strings.Fields(vals[0])
			if len(vals) != 1 || len(f) != 2 || !strings.EqualFold(f[0], "Bearer") || f[1] != valid {
				t.Fatalf("accepted %q, which is not exactly the valid token", vals)
			}
			return
		}
		st := status.Convert(err)
		if st.Code() != codes.Unauthenticated {
			t.Fatalf("refused %q with %v %q, want Unauthenticated", vals, st.Code(), st.Message())
		}
		reason := strings.SplitN(st.Message(), ":", 2)[0]
		switch reason {
		case "missing_token", "malformed_token", "invalid_token", "invalid_claims",
			// A token of the seed's keys from an earlier run, in the
			// fuzz cache: its session is unknown to this run's store.
			"revoked_token", "expired_token", "not_yet_valid_token", "wrong_token_type":
		default:
			t.Fatalf("refused %q with the reason %q", vals, reason)
		}
	})
}
