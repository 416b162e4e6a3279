// Package otelpaseto reports what a [paseto.Auth] does to OpenTelemetry:
// metrics for every verification, cache lookup, login, refresh, logout,
// revocation, store call and security event, and spans around logins,
// refreshes and store calls that join the request's trace.
//
// # Use
//
// Build an [Observer] on the application's providers and set it as
// [paseto.Config.Observer]:
//
//	obs, err := otelpaseto.New(otelpaseto.Config{MeterProvider: mp, TracerProvider: tp})
//	...
//	auth, err := paseto.New(paseto.Config{..., Observer: obs})
//
// With a zero Config it uses the global providers (otel.GetMeterProvider,
// otel.GetTracerProvider), which are no-ops until the application installs
// an SDK.
//
// # Metrics
//
// Names and units follow the OpenTelemetry semantic-convention style;
// docs/observability.md has the table and suggested alerts.
//
//   - pasetoauth.token.verifications ({verification}): access-token
//     verifications; error.type is the stable error code of a refused
//     token ("expired_token", "revoked_token", "temporarily_unavailable"…)
//     and is absent for an accepted one.
//   - pasetoauth.token.cache.lookups ({lookup}): lookups in the
//     verified-token cache; pasetoauth.cache.result is hit or miss.
//   - pasetoauth.operation.duration (s): logins, refreshes, fresh logins,
//     logouts and revocations; pasetoauth.operation, pasetoauth.outcome
//     (paseto.OutcomeOK, OutcomeRotated, OutcomeRetried, OutcomeReused…)
//     and, on failure, error.type (the error code).
//   - pasetoauth.store.operations ({call}): calls to the session store;
//     pasetoauth.store.operation, pasetoauth.outcome (ok, unavailable,
//     canceled) and, for a failure, error.type (timeout, network, full,
//     corrupt, error).
//   - pasetoauth.store.operation.duration (s): the same calls, timed,
//     with the same attributes, for every store but the MemoryStore
//     (whose calls answer in-process in well under a microsecond).
//   - pasetoauth.security.events ({event}): security events;
//     pasetoauth.event is the paseto.SecurityEvent's Kind.
//
// No metric carries a subject, a session ID or anything else per user:
// their cardinality stays fixed.
//
// # Traces
//
// Each operation of the Auth (login, refresh, fresh login, logout,
// revocations) is a span named "pasetoauth.<operation>", a child of the
// span in the request's context when there is one (the adapters pass the
// request's context). Each call to a store other than the MemoryStore is
// a client span named "pasetoauth.store.<operation>", started only under a
// recording span already in the context, so a verification outside any
// trace starts none. MemoryStore calls, in-process map lookups, are
// counted only. Spans of
// failed operations carry error.type, and an Error status when the failure
// is the server's (store unavailable, configuration). A security event is
// a span event "pasetoauth.security_event" with pasetoauth.event; with
// [Config.RecordSubjects] it also carries enduser.id and
// pasetoauth.session.id.
//
// Verifications are counted, not traced: the request's own span covers
// them.
//
// # Cost
//
// The counters on the verify path (verifications, cache lookups, store
// calls) are atomic integers in the Observer, reported through
// asynchronous (observable) counters when the SDK collects: a verification
// adds a few atomic increments and no allocation (synchronous SDK
// measurements added more than twice the instructions). The
// histograms and the security-event counter, off the hot path, are
// synchronous, with attribute sets built once. docs/benchmarks.md has the
// measured cost.
package otelpaseto

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/pasetoauth/pasetoauth/paseto/otelpaseto"

// Metric names.
const (
	MetricVerifications     = "pasetoauth.token.verifications"
	MetricCacheLookups      = "pasetoauth.token.cache.lookups"
	MetricOperationDuration = "pasetoauth.operation.duration"
	MetricStoreOperations   = "pasetoauth.store.operations"
	MetricStoreDuration     = "pasetoauth.store.operation.duration"
	MetricSecurityEvents    = "pasetoauth.security.events"
)

// Attribute keys.
const (
	// AttrErrorType is the semantic conventions' error.type: the error
	// code of a refused token or a failed operation, or the kind of a
	// store failure.
	AttrErrorType      = attribute.Key("error.type")
	AttrCacheResult    = attribute.Key("pasetoauth.cache.result")
	AttrOperation      = attribute.Key("pasetoauth.operation")
	AttrStoreOperation = attribute.Key("pasetoauth.store.operation")
	AttrOutcome        = attribute.Key("pasetoauth.outcome")
	AttrEvent          = attribute.Key("pasetoauth.event")
	// AttrSession and AttrEnduserID are set on security span events only
	// with Config.RecordSubjects.
	AttrSession   = attribute.Key("pasetoauth.session.id")
	AttrEnduserID = attribute.Key("enduser.id")
)

// SpanEventSecurity is the name of the span event of a security event.
const SpanEventSecurity = "pasetoauth.security_event"

// durationBuckets suit both a memory store (microseconds) and a remote
// one near its timeout (seconds).
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Config configures an Observer.
type Config struct {
	// MeterProvider makes the meter. Default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// TracerProvider makes the tracer. Default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// RecordSubjects adds the subject (enduser.id) and the session ID
	// (pasetoauth.session.id) to the span event of each security event,
	// for audit. Off by default: they identify users. Metrics never carry
	// them.
	RecordSubjects bool
}

const (
	firstStoreOp = paseto.OpStoreSessionLive
	lastOp       = paseto.OpStoreRevokeOtherSessions
	nStoreOps    = int(lastOp-firstStoreOp) + 1
)

// Store-call outcomes as counted: ok, canceled, and unavailable by kind.
var storeOutcomes = []struct{ outcome, kind string }{
	{paseto.OutcomeOK, ""}, {paseto.OutcomeCanceled, ""},
	{paseto.OutcomeUnavailable, "timeout"}, {paseto.OutcomeUnavailable, "network"}, {paseto.OutcomeUnavailable, "full"},
	{paseto.OutcomeUnavailable, "corrupt"}, {paseto.OutcomeUnavailable, "error"},
}

const nStoreOutcomes = 7

// counted is a cumulative count and the attributes it is reported with.
type counted struct {
	n    atomic.Int64
	opts []metric.ObserveOption
}

func newCounted(kv ...attribute.KeyValue) *counted {
	return &counted{opts: []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kv...))}}
}

// Observer is a [paseto.Observer] on OpenTelemetry. Build it with New; it
// is safe for concurrent use.
type Observer struct {
	tracer         trace.Tracer
	recordSubjects bool

	verifications metric.Int64ObservableCounter
	cacheLookups  metric.Int64ObservableCounter
	storeCalls    metric.Int64ObservableCounter
	opDuration    metric.Float64Histogram
	storeDuration metric.Float64Histogram
	events        metric.Int64Counter

	verifiedOK          *counted
	verifyCodes         sync.Map // code -> *counted
	cacheHit, cacheMiss *counted
	store               [nStoreOps][nStoreOutcomes]*counted

	records   sync.Map // recordKey -> []metric.RecordOption
	kinds     sync.Map // event kind -> []metric.AddOption
	spanNames [lastOp + 1]string
}

var _ paseto.Observer = (*Observer)(nil)

// New returns an Observer that reports to o's providers.
func New(o Config) (*Observer, error) {
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	meter := o.MeterProvider.Meter(ScopeName)
	obs := &Observer{tracer: o.TracerProvider.Tracer(ScopeName), recordSubjects: o.RecordSubjects}
	var err error
	if obs.verifications, err = meter.Int64ObservableCounter(MetricVerifications, metric.WithUnit("{verification}"),
		metric.WithDescription("Access-token verifications; error.type is the code of a refused token.")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.cacheLookups, err = meter.Int64ObservableCounter(MetricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups in the verified-token cache, by result (hit, miss).")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.storeCalls, err = meter.Int64ObservableCounter(MetricStoreOperations, metric.WithUnit("{call}"),
		metric.WithDescription("Calls to the session store, by operation and outcome.")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.opDuration, err = meter.Float64Histogram(MetricOperationDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of logins, refreshes, fresh logins, logouts and revocations, by outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.storeDuration, err = meter.Float64Histogram(MetricStoreDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to the session store (all but the MemoryStore), by operation and outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.events, err = meter.Int64Counter(MetricSecurityEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Security events, by kind (reused_refresh_token…).")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	obs.verifiedOK = newCounted()
	obs.cacheHit = newCounted(AttrCacheResult.String("hit"))
	obs.cacheMiss = newCounted(AttrCacheResult.String("miss"))
	for op := paseto.OpLogin; op <= lastOp; op++ {
		if !op.StoreCall() {
			obs.spanNames[op] = "pasetoauth." + op.String()
			continue
		}
		obs.spanNames[op] = "pasetoauth.store." + op.String()
		for i, so := range storeOutcomes {
			kv := []attribute.KeyValue{AttrStoreOperation.String(op.String()), AttrOutcome.String(so.outcome)}
			if so.kind != "" {
				kv = append(kv, AttrErrorType.String(so.kind))
			}
			obs.store[op-firstStoreOp][i] = newCounted(kv...)
		}
	}
	if _, err := meter.RegisterCallback(obs.collect, obs.verifications, obs.cacheLookups, obs.storeCalls); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	return obs, nil
}

// collect reports the cumulative counts, leaving out those never counted.
func (o *Observer) collect(_ context.Context, m metric.Observer) error {
	report := func(inst metric.Int64Observable, c *counted) {
		if n := c.n.Load(); n > 0 {
			m.ObserveInt64(inst, n, c.opts...)
		}
	}
	report(o.verifications, o.verifiedOK)
	o.verifyCodes.Range(func(_, v any) bool {
		report(o.verifications, v.(*counted))
		return true
	})
	report(o.cacheLookups, o.cacheHit)
	report(o.cacheLookups, o.cacheMiss)
	for i := range o.store {
		for _, c := range o.store[i] {
			report(o.storeCalls, c)
		}
	}
	return nil
}

// Verified counts a verification, with its error code when it failed.
func (o *Observer) Verified(_ context.Context, code string) {
	if code == "" {
		o.verifiedOK.n.Add(1)
		return
	}
	c, ok := o.verifyCodes.Load(code)
	if !ok {
		c, _ = o.verifyCodes.LoadOrStore(code, newCounted(AttrErrorType.String(code)))
	}
	c.(*counted).n.Add(1)
}

// CacheLookup counts a lookup in the verified-token cache.
func (o *Observer) CacheLookup(_ context.Context, hit bool) {
	if hit {
		o.cacheHit.n.Add(1)
	} else {
		o.cacheMiss.n.Add(1)
	}
}

// Begin starts the operation's span: always for an operation of the Auth,
// and for a store call only under a recording span already in ctx (a
// child of a span that is not recorded would not be either).
func (o *Observer) Begin(ctx context.Context, op paseto.Operation) context.Context {
	if !known(op) {
		return ctx
	}
	if op.StoreCall() {
		if !trace.SpanFromContext(ctx).IsRecording() {
			return ctx
		}
		ctx, _ = o.tracer.Start(ctx, o.spanNames[op], trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(AttrStoreOperation.String(op.String())))
		return ctx
	}
	ctx, _ = o.tracer.Start(ctx, o.spanNames[op], trace.WithAttributes(AttrOperation.String(op.String())))
	return ctx
}

func known(op paseto.Operation) bool { return op >= paseto.OpLogin && op <= lastOp }

// recordKey names the attribute set of one duration measurement.
type recordKey struct {
	op                 paseto.Operation
	outcome, errorType string
}

// End counts the operation, records its duration and ends its span.
func (o *Observer) End(ctx context.Context, ev paseto.OperationEvent) {
	if !known(ev.Op) {
		return
	}
	errorType := ev.Code
	if ev.Op.StoreCall() {
		errorType = ev.Kind // a store call's code is its caller's business
		o.storeCounted(ev).n.Add(1)
		if !ev.Timed {
			return // a MemoryStore call: no Begin, no span, no duration
		}
		o.storeDuration.Record(ctx, ev.Duration.Seconds(), o.recordOpts(ev.Op, ev.Outcome, errorType)...)
	} else if ev.Timed {
		o.opDuration.Record(ctx, ev.Duration.Seconds(), o.recordOpts(ev.Op, ev.Outcome, errorType)...)
	}
	// For a store call, a span that does not record is the request's
	// (Begin started none) or one that needs no End.
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(AttrOutcome.String(ev.Outcome))
		if errorType != "" {
			span.SetAttributes(AttrErrorType.String(errorType))
		}
		if ev.Outcome == paseto.OutcomeUnavailable || ev.Outcome == paseto.OutcomeError {
			span.SetStatus(codes.Error, ev.Outcome)
		}
	} else if ev.Op.StoreCall() {
		return
	}
	span.End()
}

// storeCounted returns the count of a store call's operation and outcome.
func (o *Observer) storeCounted(ev paseto.OperationEvent) *counted {
	row := &o.store[ev.Op-firstStoreOp]
	switch ev.Outcome {
	case paseto.OutcomeOK:
		return row[0]
	case paseto.OutcomeCanceled:
		return row[1]
	}
	for i := 2; i < nStoreOutcomes; i++ {
		if storeOutcomes[i].kind == ev.Kind {
			return row[i]
		}
	}
	return row[nStoreOutcomes-1] // an unknown kind counts as "error"
}

// recordOpts returns the options of a duration measurement, built once
// per attribute set.
func (o *Observer) recordOpts(op paseto.Operation, outcome, errorType string) []metric.RecordOption {
	key := recordKey{op, outcome, errorType}
	if v, ok := o.records.Load(key); ok {
		return v.([]metric.RecordOption)
	}
	kv := make([]attribute.KeyValue, 0, 3)
	if op.StoreCall() {
		kv = append(kv, AttrStoreOperation.String(op.String()))
	} else {
		kv = append(kv, AttrOperation.String(op.String()))
	}
	kv = append(kv, AttrOutcome.String(outcome))
	if errorType != "" {
		kv = append(kv, AttrErrorType.String(errorType))
	}
	v, _ := o.records.LoadOrStore(key, []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))})
	return v.([]metric.RecordOption)
}

// Security counts a security event and adds it to the span in ctx (the
// refresh's or login's, or the request's).
func (o *Observer) Security(ctx context.Context, ev paseto.SecurityEvent) {
	opts, ok := o.kinds.Load(ev.Kind)
	if !ok {
		opts, _ = o.kinds.LoadOrStore(ev.Kind, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrEvent.String(ev.Kind)))})
	}
	o.events.Add(ctx, 1, opts.([]metric.AddOption)...)
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{AttrEvent.String(ev.Kind)}
	if o.recordSubjects {
		attrs = append(attrs, AttrEnduserID.String(ev.Subject))
		if ev.Session != "" {
			attrs = append(attrs, AttrSession.String(ev.Session))
		}
	}
	span.AddEvent(SpanEventSecurity, trace.WithAttributes(attrs...))
}
