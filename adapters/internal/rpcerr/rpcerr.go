// Package rpcerr turns a paseto.RPCProblem into the google.rpc error
// details the gRPC and Connect adapters attach to a refusal, so that both
// answer alike.
package rpcerr

import (
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Domain is the ErrorInfo domain of every refusal: the reasons are this
// library's stable codes.
const Domain = "pasetoauth"

// Details returns the error details of p: a google.rpc.ErrorInfo whose
// reason is p's stable code (with the method's scopes under "scope" and its
// freshness bound in seconds under "max_age", when the refusal names them)
// and, when p has a retry delay, a google.rpc.RetryInfo.
func Details(p paseto.RPCProblem) []proto.Message {
	info := &errdetails.ErrorInfo{Reason: p.Error, Domain: Domain}
	if len(p.Scopes) > 0 || p.MaxAge > 0 {
		info.Metadata = map[string]string{}
		if len(p.Scopes) > 0 {
			info.Metadata["scope"] = strings.Join(p.Scopes, " ")
		}
		if p.MaxAge > 0 {
			info.Metadata["max_age"] = strconv.FormatInt(int64(p.MaxAge.Seconds()), 10)
		}
	}
	out := []proto.Message{info}
	if p.RetryAfter > 0 {
		out = append(out, &errdetails.RetryInfo{RetryDelay: durationpb.New(p.RetryAfter)})
	}
	return out
}
