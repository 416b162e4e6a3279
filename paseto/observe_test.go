package paseto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that writes what it is told as lines, and
// checks that End receives the context Begin returned.
type recorder struct {
	mu    sync.Mutex
	lines []string
	timed int // store calls reported with a duration
}

type spanKey struct{}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) Verified(_ context.Context, code string) { r.add("verify %q", code) }
func (r *recorder) CacheLookup(_ context.Context, hit bool) { r.add("cache hit=%v", hit) }
func (r *recorder) Security(_ context.Context, ev SecurityEvent) {
	r.add("security %s", ev.Kind)
}

// Begin nests: a store call begun under an operation's context sees the
// operation as its parent.
func (r *recorder) Begin(ctx context.Context, op Operation) context.Context {
	parent, _ := ctx.Value(spanKey{}).(string)
	if op.StoreCall() {
		r.add("begin store %s parent=%q", op, parent)
	} else {
		r.add("begin %s parent=%q", op, parent)
	}
	return context.WithValue(ctx, spanKey{}, op.String())
}

func (r *recorder) End(ctx context.Context, ev OperationEvent) {
	if span, _ := ctx.Value(spanKey{}).(string); ev.Timed && span != ev.Op.String() {
		r.add("END WITHOUT BEGIN'S CONTEXT %s (%q)", ev.Op, span)
	}
	if ev.Duration < 0 || (!ev.Op.StoreCall() && !ev.Timed) || (!ev.Timed && ev.Duration != 0) {
		r.add("BAD DURATION %s %v %v", ev.Op, ev.Timed, ev.Duration)
	}
	if ev.Op.StoreCall() && ev.Timed {
		r.mu.Lock()
		r.timed++
		r.mu.Unlock()
	}
	prefix := ""
	if ev.Op.StoreCall() {
		prefix = "store "
	}
	r.add("end %s%s %s code=%q kind=%q", prefix, ev.Op, ev.Outcome, ev.Code, ev.Kind)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lines
	r.lines = nil
	return l
}

func newObservedAuth(t *testing.T, cfg Config) (*Auth, *recorder, *testClock) {
	t.Helper()
	rec := &recorder{}
	clock := newTestClock(epoch)
	cfg.AccessKeys, cfg.RefreshKeys = mustLocalRing(t), mustLocalRing(t)
	cfg.Clock, cfg.Observer = clock.now, rec
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, clock
}

func expectLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s reported:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// Every outcome reaches the Observer once, with its code, and store calls
// run under the context of the operation that made them.
func TestObserverOutcomes(t *testing.T) {
	ctx := context.Background()
	a, rec, clock := newObservedAuth(t, Config{CacheSize: 10, GracePeriod: 10 * time.Second, MaxSessions: 1, AtMaxSessions: RefuseNewSession})

	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectLines(t, "login", rec.take(),
		`begin login parent=""`,
		`end store create_session ok code="" kind=""`,
		`end login ok code="" kind=""`)

	if _, err := a.Login(ctx, "alice", LoginOptions{}); !errors.Is(err, ErrSessionLimit) {
		t.Fatalf("second login: %v", err)
	}
	expectLines(t, "login at the cap", rec.take(),
		`begin login parent=""`,
		`end store create_session ok code="too_many_sessions" kind=""`,
		`security refused_by_session_limit`,
		`end login refused code="too_many_sessions" kind=""`)

	for range 2 {
		if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	expectLines(t, "two verifications", rec.take(),
		`cache hit=false`,
		`end store session_live ok code="" kind=""`,
		`verify ""`,
		`cache hit=true`,
		`end store session_live ok code="" kind=""`,
		`verify ""`)

	if _, err := a.VerifyAccess(ctx, "v4.local.garbage"); err == nil {
		t.Fatal("garbage verified")
	}
	expectLines(t, "a malformed token", rec.take(), `cache hit=false`, `verify "malformed_token"`)

	p2, err := a.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	expectLines(t, "refresh", rec.take(),
		`begin refresh parent=""`,
		`end store rotate ok code="" kind=""`,
		`end refresh rotated code="" kind=""`)

	if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatal(err)
	}
	expectLines(t, "retry within the grace period", rec.take(),
		`begin refresh parent=""`,
		`end store rotate ok code="" kind=""`,
		`security retried_refresh_token`,
		`end refresh retried code="" kind=""`)

	clock.add(time.Minute)
	if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	expectLines(t, "reuse", rec.take(),
		`begin refresh parent=""`,
		`end store rotate ok code="" kind=""`,
		`security reused_refresh_token`,
		`end refresh reused code="reused_refresh_token" kind=""`)

	if _, err := a.VerifyAccess(ctx, p2.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("access after reuse: %v", err)
	}
	expectLines(t, "a revoked session", rec.take(),
		`cache hit=false`,
		`end store session_live ok code="" kind=""`,
		`verify "revoked_token"`)

	if _, err := a.Refresh(ctx, p2.AccessToken); err == nil {
		t.Fatal("access token refreshed")
	}
	expectLines(t, "an access token as refresh token", rec.take(),
		`begin refresh parent=""`,
		`end refresh rejected code="invalid_token" kind=""`)

	if err := a.RevokeSession(ctx, "alice", "no-such-session"); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	expectLines(t, "revoking an unknown session", rec.take(),
		`begin revoke_session parent=""`,
		`end store revoke_session ok code="" kind=""`,
		`end revoke_session not_found code="unknown_session" kind=""`)

	p3, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	if err := a.Logout(ctx, p3.Access); err != nil {
		t.Fatal(err)
	}
	expectLines(t, "logout", rec.take(),
		`begin logout parent=""`,
		`end store revoke_session ok code="" kind=""`,
		`end logout ok code="" kind=""`)

	if err := a.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	expectLines(t, "revoke subject", rec.take(),
		`begin revoke_subject parent=""`,
		`end store revoke_subject ok code="" kind=""`,
		`security revoked_subject`,
		`end revoke_subject ok code="" kind=""`)

	if _, err := a.RevokeOtherSessions(ctx, "alice", ""); err != nil {
		t.Fatal(err)
	}
	expectLines(t, "revoke other sessions", rec.take(),
		`begin revoke_other_sessions parent=""`,
		`end store revoke_other_sessions ok code="" kind=""`,
		`end revoke_other_sessions ok code="" kind=""`)

	if _, err := a.FreshLogin(ctx, p3.Access, "alice"); !errors.Is(err, ErrRevoked) {
		t.Fatalf("fresh login on an ended session: %v", err)
	}
	expectLines(t, "fresh login on an ended session", rec.take(),
		`begin fresh_login parent=""`,
		`end store session_live ok code="" kind=""`,
		`end fresh_login rejected code="revoked_token" kind=""`)
	if rec.timed != 0 {
		t.Errorf("%d MemoryStore calls timed, want none", rec.timed)
	}
}

// The refusal of Config.OnRefresh is a denied refresh.
func TestObserverRefreshDenied(t *testing.T) {
	ctx := context.Background()
	a, rec, _ := newObservedAuth(t, Config{OnRefresh: func(context.Context, *Claims) (RefreshUpdate, error) {
		return RefreshUpdate{}, ErrRefreshDenied
	}})
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrRefreshDenied) {
		t.Fatalf("refresh: %v", err)
	}
	expectLines(t, "denied refresh", rec.take(),
		`begin refresh parent=""`,
		`end store revoke_session ok code="" kind=""`,
		`security denied_refresh`,
		`end refresh denied code="denied_refresh" kind=""`)
}

// A hung store is an unavailable store call, of kind timeout, and the
// operation is unavailable; a caller that went away is canceled, not a
// store failure.
func TestObserverStoreFailures(t *testing.T) {
	ctx := context.Background()
	a, rec, _ := newObservedAuth(t, Config{Store: &hungStore{}, StoreTimeout: 10 * time.Millisecond})
	if _, err := a.Login(ctx, "alice", LoginOptions{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("login on a hung store: %v", err)
	}
	expectLines(t, "login on a hung store", rec.take(),
		`begin login parent=""`,
		`begin store create_session parent="login"`,
		`end store create_session unavailable code="temporarily_unavailable" kind="timeout"`,
		`end login unavailable code="temporarily_unavailable" kind="timeout"`)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Login(canceled, "alice", LoginOptions{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("login by a client gone: %v", err)
	}
	expectLines(t, "login by a client gone", rec.take(),
		`begin login parent=""`,
		`begin store create_session parent="login"`,
		`end store create_session canceled code="temporarily_unavailable" kind=""`,
		`end login canceled code="temporarily_unavailable" kind=""`)
	if rec.timed != 2 {
		t.Errorf("%d calls to a store other than the MemoryStore timed, want 2", rec.timed)
	}
}

// Security events go through one log line with the stable keys, the
// Observer, then OnSecurityEvent, in that order; the line names no token.
func TestSecurityEventLogLine(t *testing.T) {
	var logs bytes.Buffer
	var order []string
	rec := &recorder{}
	a, err := New(Config{
		AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Observer: rec,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})),
		OnSecurityEvent: func(context.Context, SecurityEvent) {
			order = append(order, fmt.Sprintf("hook after %d observer line(s)", len(rec.lines)))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatal(err)
	}
	rec.take()
	if _, err := a.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	line := strings.TrimSpace(logs.String())
	want := fmt.Sprintf(`level=WARN msg="pasetoauth security event" event=reused_refresh_token subject=alice session=%s at=`, pair.Access.Session)
	if !strings.HasPrefix(line, want) || strings.Count(line, "\n") != 0 {
		t.Errorf("log:\n%s\nwant one line starting\n%s", line, want)
	}
	for _, secret := range []string{pair.AccessToken, pair.RefreshToken, pair.Access.ID} {
		if strings.Contains(line, secret) {
			t.Errorf("log line holds a token or token ID: %s", line)
		}
	}
	if len(order) != 1 || order[0] != "hook after 3 observer line(s)" {
		t.Errorf("OnSecurityEvent calls: %q, want one after the Observer's", order)
	}
}

// Store failures are logged once per operation and kind in an interval,
// whatever the number of failures, with a count of the lines left out.
func TestStoreFailureLinesPerKind(t *testing.T) {
	var logs bytes.Buffer
	b := newBoundedStore(&failingStore{}, time.Second, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	ctx := context.Background()
	for _, err := range []error{ErrStoreFull, ErrStoreFull, ErrStoreCorrupt, ErrStoreFull, ErrStoreCorrupt} {
		b.Store.(*failingStore).err = err
		if _, err := b.CreateSession(ctx, SessionRecord{}); err == nil {
			t.Fatal("failing store succeeded")
		}
	}
	out := logs.String()
	if strings.Count(out, "operation=create_session error_kind=full suppressed=0") != 1 ||
		strings.Count(out, "operation=create_session error_kind=corrupt suppressed=0") != 1 || strings.Count(out, "\n") != 2 {
		t.Errorf("want one line per kind:\n%s", out)
	}
}

type failingStore struct {
	Store
	err error
}

func (f *failingStore) CreateSession(context.Context, SessionRecord) ([]string, error) {
	return nil, f.err
}

func TestOperationNames(t *testing.T) {
	want := map[Operation]string{
		OpLogin: "login", OpRefresh: "refresh", OpFreshLogin: "fresh_login", OpLogout: "logout",
		OpRevokeSession: "revoke_session", OpRevokeOtherSessions: "revoke_other_sessions", OpRevokeSubject: "revoke_subject",
		OpStoreSessionLive: "session_live", OpStoreCreateSession: "create_session", OpStoreRotate: "rotate",
		OpStoreRevokeSession: "revoke_session", OpStoreRevokeSubject: "revoke_subject",
		OpStoreListSessions: "list_sessions", OpStoreRevokeOtherSessions: "revoke_other_sessions",
		0: "unknown", opEnd: "unknown",
	}
	for op, name := range want {
		if op.String() != name {
			t.Errorf("Operation(%d).String() = %q, want %q", op, op.String(), name)
		}
		if store := op >= OpStoreSessionLive && op < opEnd; op.StoreCall() != store {
			t.Errorf("Operation(%d).StoreCall() = %v", op, op.StoreCall())
		}
	}
}

// With no Observer, a cached verification through the Auth allocates only
// the claims copy it returns.
func TestNoObserverAllocations(t *testing.T) {
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), CacheSize: 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil {
			t.Fatal(err)
		}
	})
	if n != 1 {
		t.Errorf("cached VerifyAccess without an Observer: %v allocations, want 1 (the claims)", n)
	}
}

// RPC verifications reach the Observer like HTTP ones, refusals with
// their code, so metrics and alerts built on them see gRPC and Connect.
func TestObserverRPCVerifications(t *testing.T) {
	ctx := context.Background()
	a, rec, _ := newObservedAuth(t, Config{})
	g, err := NewGuard(a, GuardConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	if _, err := g.AuthenticateRPC(ctx, []string{"Bearer " + pair.AccessToken}, g.Required()); err != nil {
		t.Fatal(err)
	}
	expectLines(t, "an RPC verification", rec.take(),
		`end store session_live ok code="" kind=""`,
		`verify ""`)
	if _, err := g.AuthenticateRPC(ctx, []string{"Bearer " + pair.AccessToken + "x"}, g.Required()); err == nil {
		t.Fatal("a tampered token passed")
	}
	if got := rec.take(); len(got) != 1 || !strings.HasPrefix(got[0], `verify "`) || got[0] == `verify ""` {
		t.Errorf("a refused RPC verification reported %q, want one verify line with its code", got)
	}
}
