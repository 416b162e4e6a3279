package paseto_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) paseto.Store {
			return paseto.NewMemoryStore(paseto.MemoryStoreOptions{Clock: now})
		},
		// Two Auths over one MemoryStore stand for two goroutine pools in
		// one process.
		Twin: func(t *testing.T, s paseto.Store) paseto.Store { return s },
	})
}

func TestMemoryStoreBounded(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	m := paseto.NewMemoryStore(paseto.MemoryStoreOptions{MaxEntries: 3, Clock: clock.Now})
	ctx := context.Background()
	for i, id := range []string{"a", "b", "c"} {
		err := m.RevokeToken(ctx, "sub", id, clock.Now().Add(time.Duration(i+1)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := m.RevokeToken(ctx, "sub", "d", clock.Now().Add(time.Hour)); !errors.Is(err, paseto.ErrStoreFull) {
		t.Fatalf("full store: got %v, want ErrStoreFull", err)
	}
	// Revocations are never dropped to make room: "a" is still denied.
	if revoked, _ := m.Revoked(ctx, &paseto.Claims{ID: "a"}); !revoked {
		t.Fatal("a revocation was dropped")
	}
	clock.Advance(90 * time.Second) // "a" has expired and can be swept
	if err := m.RevokeToken(ctx, "sub", "d", clock.Now().Add(time.Hour)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if m.Len() != 3 {
		t.Fatalf("Len = %d, want 3", m.Len())
	}
}
