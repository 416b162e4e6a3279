// Package claimsctx keeps verified claims in a context.Context, for the
// adapters whose handlers receive one (httppaseto, grpcpaseto,
// connectpaseto). Each adapter has its own Key, so that its getters read
// only what its own middleware or interceptor verified.
package claimsctx

import (
	"context"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Key is an unexported pointer key: no other package can read or
// overwrite the value.
type Key struct{ name string }

// NewKey returns the key of one adapter; name shows in String.
func NewKey(name string) *Key { return &Key{name} }

func (k *Key) String() string { return k.name + " context value claims" }

// With returns ctx carrying c.
func (k *Key) With(ctx context.Context, c *paseto.Claims) context.Context {
	return context.WithValue(ctx, k, c)
}

// Claims returns the claims With stored; false when there are none.
func (k *Key) Claims(ctx context.Context) (*paseto.Claims, bool) {
	c, _ := ctx.Value(k).(*paseto.Claims)
	return c, c != nil
}

// Subject returns the stored claims' subject, or "" when there are none.
func (k *Key) Subject(ctx context.Context) string {
	if c, ok := k.Claims(ctx); ok {
		return c.Subject
	}
	return ""
}
