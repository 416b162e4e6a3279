package otelpaseto_test

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/otelpaseto"
)

// env is an Auth observed by an Observer on the SDK's in-memory metric
// reader and span recorder.
type env struct {
	auth   *paseto.Auth
	clock  *fakeclock.Clock
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tracer trace.Tracer
}

// remoteStore hides the MemoryStore behind another type, so that the Auth
// treats it as it treats Redis: calls timed, and traced.
type remoteStore struct{ paseto.Store }

// newEnv builds the env; with remote, its store is a MemoryStore on the
// env's clock dressed as a remote store.
func newEnv(t *testing.T, o otelpaseto.Config, cfg paseto.Config, remote bool) *env {
	t.Helper()
	e := &env{clock: fakeclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), reader: sdkmetric.NewManualReader(),
		spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	e.tracer = tp.Tracer("test")
	o.MeterProvider, o.TracerProvider = mp, tp
	obs, err := otelpaseto.New(o)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccessKeys, cfg.RefreshKeys = mustRing(t), mustRing(t)
	if remote {
		cfg.Store = remoteStore{paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: e.clock.Now})}
	}
	cfg.Clock, cfg.Observer, cfg.Logger = e.clock.Now, obs, slog.New(slog.DiscardHandler)
	if e.auth, err = paseto.New(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

func mustRing(t testing.TB) *paseto.KeyRing {
	r, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// points collects every data point as "metric{k=v,…}" → count (a sum's
// value, a histogram's count).
func (e *env) points(t *testing.T) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelpaseto.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s: not monotonic", m.Name)
				}
				for _, p := range d.DataPoints {
					out[m.Name+attrs(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s: unit %q, want s", m.Name, m.Unit)
				}
				for _, p := range d.DataPoints {
					out[m.Name+attrs(p.Attributes)] += int64(p.Count)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func attrs(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	sort.Strings(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// expectPoints checks that want is a subset of got, and that no data point
// names the subject.
func expectPoints(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %s = %d, want %d; all:\n%s", what, k, got[k], n, dump(got))
		}
	}
	for k := range got {
		if strings.Contains(k, "alice") {
			t.Errorf("%s: a metric names the subject: %s", what, k)
		}
	}
}

func dump(m map[string]int64) string {
	var l []string
	for k, v := range m {
		l = append(l, "\t"+k+" "+strconv.FormatInt(v, 10))
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// spanTree renders the ended spans as "parent > name" lines.
func (e *env) spanTree() []string {
	ended := e.spans.Ended()
	names := map[trace.SpanID]string{}
	for _, s := range ended {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var out []string
	for _, s := range ended {
		parent := names[s.Parent().SpanID()]
		if parent == "" {
			parent = "-"
		}
		out = append(out, parent+" > "+s.Name())
	}
	return out
}

func (e *env) span(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range e.spans.Ended() {
		if s.Name() == name {
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no span %q in %q", name, e.spanTree())
	}
	return found
}

func spanAttr(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	for _, a := range s.Attributes() {
		if a.Key == k {
			return a.Value.String()
		}
	}
	return ""
}

// Each outcome of a session's life produces its metric with the right
// attributes, and the spans nest under the request's.
func TestOutcomes(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{}, paseto.Config{CacheSize: 100, GracePeriod: 10 * time.Second}, true)
	ctx, req := e.tracer.Start(context.Background(), "request")

	pair, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.auth.VerifyAccess(ctx, pair.RefreshToken); err == nil { // another key: invalid_token
		t.Fatal("refresh token accepted as access token")
	}
	p2, err := e.auth.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.auth.Refresh(ctx, pair.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := e.auth.VerifyAccess(ctx, p2.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("after reuse: %v", err)
	}
	e.clock.Advance(time.Hour)
	// A cache hit: expiry is checked on every hit.
	if _, err := e.auth.VerifyAccess(ctx, pair.AccessToken); !errors.Is(err, paseto.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	p3, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.Logout(ctx, p3.Access); err != nil {
		t.Fatal(err)
	}
	if err := e.auth.RevokeSession(ctx, "alice", "gone"); !errors.Is(err, paseto.ErrSessionNotFound) {
		t.Fatalf("revoke: %v", err)
	}
	if err := e.auth.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	req.End()

	expectPoints(t, "session life", e.points(t), map[string]int64{
		"pasetoauth.token.verifications{}":                                                                                           2,
		"pasetoauth.token.verifications{error.type=invalid_token}":                                                                   1,
		"pasetoauth.token.verifications{error.type=revoked_token}":                                                                   1,
		"pasetoauth.token.verifications{error.type=expired_token}":                                                                   1,
		"pasetoauth.token.cache.lookups{pasetoauth.cache.result=hit}":                                                                2,
		"pasetoauth.token.cache.lookups{pasetoauth.cache.result=miss}":                                                               3,
		"pasetoauth.operation.duration{pasetoauth.operation=login,pasetoauth.outcome=ok}":                                            2,
		"pasetoauth.operation.duration{pasetoauth.operation=refresh,pasetoauth.outcome=rotated}":                                     1,
		"pasetoauth.operation.duration{pasetoauth.operation=refresh,pasetoauth.outcome=retried}":                                     1,
		"pasetoauth.operation.duration{error.type=reused_refresh_token,pasetoauth.operation=refresh,pasetoauth.outcome=reused}":      1,
		"pasetoauth.operation.duration{pasetoauth.operation=logout,pasetoauth.outcome=ok}":                                           1,
		"pasetoauth.operation.duration{error.type=unknown_session,pasetoauth.operation=revoke_session,pasetoauth.outcome=not_found}": 1,
		"pasetoauth.operation.duration{pasetoauth.operation=revoke_subject,pasetoauth.outcome=ok}":                                   1,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=create_session}":                               2,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=session_live}":                                 3,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=rotate}":                                       3,
		"pasetoauth.security.events{pasetoauth.event=retried_refresh_token}":                                                         1,
		"pasetoauth.security.events{pasetoauth.event=reused_refresh_token}":                                                          1,
		"pasetoauth.security.events{pasetoauth.event=revoked_subject}":                                                               1,
	})

	tree := strings.Join(e.spanTree(), "\n")
	for _, want := range []string{
		"request > pasetoauth.login", "pasetoauth.login > pasetoauth.store.create_session",
		"request > pasetoauth.store.session_live",
		"request > pasetoauth.refresh", "pasetoauth.refresh > pasetoauth.store.rotate",
		"request > pasetoauth.logout", "pasetoauth.logout > pasetoauth.store.revoke_session",
		"request > pasetoauth.revoke_subject", "- > request",
	} {
		if !strings.Contains(tree, want+"\n") && !strings.HasSuffix(tree, want) {
			t.Errorf("no span %q in:\n%s", want, tree)
		}
	}
	store := e.span(t, "pasetoauth.store.rotate")
	if store.SpanKind() != trace.SpanKindClient || spanAttr(store, otelpaseto.AttrStoreOperation) != "rotate" {
		t.Errorf("store span: kind %v, attributes %v", store.SpanKind(), store.Attributes())
	}
	// The last refresh span is the reuse: its outcome, its code and the
	// security event, without the subject by default.
	reuse := e.span(t, "pasetoauth.refresh")
	if spanAttr(reuse, otelpaseto.AttrOutcome) != "reused" || spanAttr(reuse, otelpaseto.AttrErrorType) != "reused_refresh_token" ||
		reuse.Status().Code == codes.Error {
		t.Errorf("reuse span: %v, status %v", reuse.Attributes(), reuse.Status())
	}
	ev := reuse.Events()
	if len(ev) != 1 || ev[0].Name != otelpaseto.SpanEventSecurity || len(ev[0].Attributes) != 1 ||
		ev[0].Attributes[0] != otelpaseto.AttrEvent.String(paseto.EventRefreshReused) {
		t.Errorf("reuse span events: %+v", ev)
	}
}

// With RecordSubjects, security span events carry the subject and the
// session; metrics still do not.
func TestRecordSubjects(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{RecordSubjects: true}, paseto.Config{}, false)
	ctx, req := e.tracer.Start(context.Background(), "request")
	pair, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.Refresh(ctx, pair.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.Refresh(ctx, pair.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	req.End()
	ev := e.span(t, "pasetoauth.refresh").Events()
	want := []attribute.KeyValue{otelpaseto.AttrEvent.String(paseto.EventRefreshReused),
		otelpaseto.AttrEnduserID.String("alice"), otelpaseto.AttrSession.String(pair.Access.Session)}
	ws := attribute.NewSet(want...)
	if len(ev) != 1 || attrs(attribute.NewSet(ev[0].Attributes...)) != attrs(ws) {
		t.Errorf("security span event: %+v, want %v", ev, want)
	}
	expectPoints(t, "with subjects on spans", e.points(t), map[string]int64{
		"pasetoauth.security.events{pasetoauth.event=reused_refresh_token}": 1,
	})
}

// A hung store: the store call is unavailable with kind timeout, the
// login unavailable with its code, and both spans have an Error status.
func TestStoreUnavailable(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{}, paseto.Config{Store: hungStore{}, StoreTimeout: 10 * time.Millisecond}, false)
	ctx, req := e.tracer.Start(context.Background(), "request")
	if _, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("login: %v", err)
	}
	req.End()
	expectPoints(t, "hung store", e.points(t), map[string]int64{
		"pasetoauth.store.operations{error.type=timeout,pasetoauth.outcome=unavailable,pasetoauth.store.operation=create_session}":         1,
		"pasetoauth.store.operation.duration{error.type=timeout,pasetoauth.outcome=unavailable,pasetoauth.store.operation=create_session}": 1,
		"pasetoauth.operation.duration{error.type=temporarily_unavailable,pasetoauth.operation=login,pasetoauth.outcome=unavailable}":      1,
	})
	for _, name := range []string{"pasetoauth.login", "pasetoauth.store.create_session"} {
		if s := e.span(t, name); s.Status().Code != codes.Error {
			t.Errorf("%s: status %v, want Error", name, s.Status())
		}
	}
}

// Outside any trace, a login is a root span and its store call its child,
// but a verification starts no span at all: store calls are traced only
// under a recording span.
func TestNoTraceNoStoreSpan(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{}, paseto.Config{}, true)
	ctx := context.Background()
	pair, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	if tree := strings.Join(e.spanTree(), "; "); tree != "pasetoauth.login > pasetoauth.store.create_session; - > pasetoauth.login" {
		t.Errorf("spans: %s, want only the login's and its store call", tree)
	}
	expectPoints(t, "outside a trace", e.points(t), map[string]int64{
		"pasetoauth.token.verifications{}": 1,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=session_live}":         1,
		"pasetoauth.store.operation.duration{pasetoauth.outcome=ok,pasetoauth.store.operation=session_live}": 1,
	})
}

// Calls to the MemoryStore are counted, but neither timed nor traced,
// even inside a trace.
func TestMemoryStoreCountedOnly(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{}, paseto.Config{}, false)
	ctx, req := e.tracer.Start(context.Background(), "request")
	pair, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
		t.Fatal(err)
	}
	req.End()
	if tree := strings.Join(e.spanTree(), "; "); tree != "request > pasetoauth.login; - > request" {
		t.Errorf("spans: %s, want the request's and the login's", tree)
	}
	got := e.points(t)
	for k := range got {
		if strings.HasPrefix(k, otelpaseto.MetricStoreDuration) {
			t.Errorf("a MemoryStore call was timed: %s", k)
		}
	}
	expectPoints(t, "memory store", got, map[string]int64{
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=create_session}": 1,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=session_live}":   1,
	})
}

// hungStore blocks every call until its context ends, as a stopped Redis
// does.
type hungStore struct{ paseto.Store }

func (hungStore) CreateSession(ctx context.Context, _ paseto.SessionRecord) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Verifications from many goroutines are all counted (run with -race).
func TestConcurrentCounts(t *testing.T) {
	e := newEnv(t, otelpaseto.Config{}, paseto.Config{CacheSize: 10}, false)
	ctx := context.Background()
	pair, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := e.auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
					t.Error(err)
					return
				}
				_, _ = e.auth.VerifyAccess(ctx, "v4.local.nope")
			}
		}()
	}
	wg.Wait()
	got := e.points(t)
	expectPoints(t, "concurrent", got, map[string]int64{
		"pasetoauth.token.verifications{}":                                                           workers * each,
		"pasetoauth.token.verifications{error.type=malformed_token}":                                 workers * each,
		"pasetoauth.store.operations{pasetoauth.outcome=ok,pasetoauth.store.operation=session_live}": workers * each,
	})
	if hits, misses := got["pasetoauth.token.cache.lookups{pasetoauth.cache.result=hit}"], got["pasetoauth.token.cache.lookups{pasetoauth.cache.result=miss}"]; hits+misses != 2*workers*each {
		t.Errorf("cache lookups %d + %d, want %d", hits, misses, 2*workers*each)
	}
}
