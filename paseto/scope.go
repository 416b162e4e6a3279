package paseto

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInsufficientScope means the token authenticated but lacks a scope the
// route requires (403, RFC 6750 §3.1).
var ErrInsufficientScope = newError("insufficient_scope", "token lacks the required scope")

// Scopes travel in the "scope" claim as one space-separated string, as in
// OAuth 2.0 (RFC 6749 §3.3, RFC 9068). A granted scope ending in ":*"
// covers every scope under that prefix: "admin:*" covers "admin:users" and
// "admin:users:read", but not "admin" itself and never "administrator". A
// bare "*" is not special.

// validScope reports whether s is a scope-token per RFC 6749 §3.3.
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
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
	return func(c *Claims, _ time.Time) error {
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
	return func(c *Claims, _ time.Time) error {
		for _, s := range scopes {
			if ScopeGranted(c.Scopes, s) {
				return nil
			}
		}
		return fmt.Errorf("%w: one of %q", ErrInsufficientScope, scopes)
	}
}
