package paseto

import (
	"errors"
	"fmt"
	"testing"
)

// TestRefinedErrors: ErrStoreFull and ErrStoreCorrupt are kinds of
// ErrStoreUnavailable. errors.Is sees both, clients see only the store
// failure (its code and message), and the log text says which.
func TestRefinedErrors(t *testing.T) {
	t.Parallel()
	for _, refined := range []*Error{ErrStoreFull, ErrStoreCorrupt} {
		for _, err := range []error{refined, fmt.Errorf("redisstore: rotate: %w: %w", refined, errors.New("WRONGTYPE")), storeError(refined)} {
			if !errors.Is(err, refined) || !errors.Is(err, ErrStoreUnavailable) {
				t.Errorf("%v: errors.Is refined %v, unavailable %v", err, errors.Is(err, refined), errors.Is(err, ErrStoreUnavailable))
			}
			if got := Code(err); got != "temporarily_unavailable" {
				t.Errorf("Code(%v) = %q, want temporarily_unavailable", err, got)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code() != ErrStoreUnavailable.code || e.text != ErrStoreUnavailable.text {
				t.Errorf("%v: the first *Error would answer clients %q %q", err, e.code, e.text)
			}
		}
		if errors.Is(ErrStoreUnavailable, refined) {
			t.Errorf("ErrStoreUnavailable is a %v", refined)
		}
	}
	if storeError(ErrStoreFull) != ErrStoreFull {
		t.Error("storeError re-wrapped ErrStoreFull")
	}
	if got, want := ErrStoreFull.Error(), "paseto: session store unavailable: memory store is full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if failureKind(ErrStoreFull) != "full" || failureKind(storeError(fmt.Errorf("x: %w", ErrStoreCorrupt))) != "corrupt" {
		t.Error("the store log no longer tells full and corrupt apart")
	}
	if ErrInvalid.Unwrap() != nil {
		t.Error("a plain sentinel unwraps to something")
	}
	if errors.Is(ErrRevoked, ErrStoreUnavailable) || errors.Is(ErrInvalid, ErrInvalidClaims) {
		t.Error("unrelated sentinels match")
	}
}
