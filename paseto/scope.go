package paseto

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scopes travel in the "scope" claim as one space-separated string, as in
// OAuth 2.0 (RFC 6749 §3.3, RFC 9068). A granted scope ending in ":*"
// covers every scope under that prefix: "admin:*" covers "admin:users" and
// "admin:users:read", but not "admin" itself and never "administrator". A
// bare "*" is not special.

// validScope reports whether s is a scope-token per RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !scopeChar(s[i]) {
			return false
		}
	}
	return true
}

// scopeChar reports whether c may appear in a scope-token: printable ASCII
// other than space, '"' and '\\'.
func scopeChar(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }

// errScope is the detail of a scope claim that is not RFC 6749 scope
// syntax. It never quotes the claim.
var errScope = errors.New(`"scope" must be scope-tokens separated by single spaces (RFC 6749 §3.3)`)

// parseScope splits a scope claim into its scope-tokens, per RFC 6749 §3.3:
// scope = scope-token *( SP scope-token ). Only U+0020 separates tokens, and
// exactly one: a tab, line break, NBSP or other Unicode space, an empty
// claim and a leading, trailing or doubled space all make the claim invalid
// (ErrInvalidClaims) rather than being read some lenient way.
func parseScope(s string) ([]string, error) {
	n := 1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				return nil, fmt.Errorf("%w: %w", ErrInvalidClaims, errScope)
			}
			n++
		case !scopeChar(c):
			return nil, fmt.Errorf("%w: %w", ErrInvalidClaims, errScope)
		}
	}
	if s == "" {
		return nil, fmt.Errorf("%w: %w", ErrInvalidClaims, errScope)
	}
	scopes := make([]string, 0, n)
	for tok := range strings.SplitSeq(s, " ") {
		scopes = append(scopes, tok)
	}
	return scopes, nil
}

func joinScopes(scopes []string) (string, error) {
	for _, s := range scopes {
		if !validScope(s) {
			return "", fmt.Errorf("%w: invalid scope %q", ErrConfig, s)
		}
	}
	return strings.Join(scopes, " "), nil
}

// ScopeGranted reports whether the granted scopes cover required, with the
// wildcard rule above.
func ScopeGranted(granted []string, required string) bool {
	for _, g := range granted {
		if g == required {
			return true
		}
		if prefix, ok := strings.CutSuffix(g, "*"); ok && strings.HasSuffix(prefix, ":") &&
			len(required) > len(prefix) && strings.HasPrefix(required, prefix) {
			return true
		}
	}
	return false
}

// RequireScopes demands every one of scopes (ErrInsufficientScope).
func RequireScopes(scopes ...string) Requirement {
	scopes = slices.Clone(scopes)
	return func(_ context.Context, c *Claims, _ time.Time) error {
		for _, s := range scopes {
			if !ScopeGranted(c.Scopes, s) {
				return fmt.Errorf("%w: %q", ErrInsufficientScope, s)
			}
		}
		return nil
	}
}

// RequireAnyScope demands at least one of scopes (ErrInsufficientScope).
func RequireAnyScope(scopes ...string) Requirement {
	scopes = slices.Clone(scopes)
	return func(_ context.Context, c *Claims, _ time.Time) error {
		for _, s := range scopes {
			if ScopeGranted(c.Scopes, s) {
				return nil
			}
		}
		return fmt.Errorf("%w: one of %q", ErrInsufficientScope, scopes)
	}
}
