package paseto

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// hungStore blocks every call until its context ends, as a stopped Redis
// does, and counts the calls that arrived without a deadline.
type hungStore struct {
	Store
	noDeadline int
}

func (h *hungStore) wait(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		h.noDeadline++
		return errors.New("no deadline")
	}
	<-ctx.Done()
	return ctx.Err()
}

func (h *hungStore) SessionLive(ctx context.Context, _, _ string, _ time.Time) (bool, error) {
	return false, h.wait(ctx)
}
func (h *hungStore) CreateSession(ctx context.Context, _ SessionRecord) ([]string, error) {
	return nil, h.wait(ctx)
}
func (h *hungStore) ListSessions(ctx context.Context, _ string, _ time.Time) ([]SessionInfo, error) {
	return nil, h.wait(ctx)
}
func (h *hungStore) RevokeOtherSessions(ctx context.Context, _, _ string, _ time.Time) ([]string, error) {
	return nil, h.wait(ctx)
}
func (h *hungStore) Rotate(ctx context.Context, _ Rotation) (RotationResult, error) {
	return RotationResult{}, h.wait(ctx)
}
func (h *hungStore) RevokeSession(ctx context.Context, _, _ string, _ time.Time) (bool, error) {
	return false, h.wait(ctx)
}
func (h *hungStore) RevokeSubject(ctx context.Context, _ string) error { return h.wait(ctx) }

// Every store call runs under Config.StoreTimeout and a hung store becomes
// ErrStoreUnavailable, logged once per operation however many requests
// fail, with the operation and the kind of failure only.
func TestStoreCallsAreBounded(t *testing.T) {
	var logs bytes.Buffer
	hung := &hungStore{}
	issuing, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{
		AccessKeys: issuing.cfg.AccessKeys, RefreshKeys: issuing.cfg.RefreshKeys, Store: hung,
		StoreTimeout: 20 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pair, err := issuing.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"login":          func() error { _, err := a.Login(ctx, "alice", LoginOptions{}); return err },
		"verify":         func() error { _, err := a.VerifyAccess(ctx, pair.AccessToken); return err },
		"refresh":        func() error { _, err := a.Refresh(ctx, pair.RefreshToken); return err },
		"logout":         func() error { return a.Logout(ctx, pair.Access) },
		"revoke subject": func() error { return a.RevokeSubject(ctx, "alice") },
	}
	for name, call := range calls {
		for range 3 {
			start := time.Now()
			err := call()
			if !errors.Is(err, ErrStoreUnavailable) || Code(err) != "temporarily_unavailable" {
				t.Errorf("%s on a hung store: %v, want ErrStoreUnavailable", name, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s on a hung store took %v", name, d)
			}
		}
	}
	if hung.noDeadline != 0 {
		t.Fatalf("%d store calls without a deadline", hung.noDeadline)
	}
	out := logs.String()
	for _, op := range []string{"session_live", "create_session", "rotate", "revoke_session", "revoke_subject"} {
		if n := strings.Count(out, "operation="+op+" "); n != 1 {
			t.Errorf("op %s logged %d times for 3 failures, want 1:\n%s", op, n, out)
		}
	}
	if !strings.Contains(out, "error_kind=timeout") || strings.Contains(out, "alice") || strings.Contains(out, pair.Access.Session) {
		t.Errorf("failure log must name the kind and nothing of the request:\n%s", out)
	}
}

// A request whose client went away is not a store failure worth a line.
func TestCanceledRequestIsNotLogged(t *testing.T) {
	var logs bytes.Buffer
	b := newBoundedStore(&hungStore{}, time.Second, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.SessionLive(ctx, "alice", "sid", time.Now()); err == nil {
		t.Fatal("canceled call succeeded")
	}
	if logs.Len() != 0 {
		t.Fatalf("logged: %s", logs.String())
	}
}

func TestStoreTimeoutBounds(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, MaxStoreTimeout + time.Second} {
		if _, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), StoreTimeout: d}); !errors.Is(err, ErrConfig) {
			t.Errorf("StoreTimeout %v: %v, want ErrConfig", d, err)
		}
	}
}
