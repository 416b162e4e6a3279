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
//	obs, err := otelpaseto.New(otelpaseto.Options{MeterProvider: mp, TracerProvider: tp})
//	...
//	auth, err := paseto.New(paseto.Config{..., Observer: obs})
//
// With zero Options it uses the global providers (otel.GetMeterProvider,
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
//   - pasetoauth.store.operation.duration (s): calls to the session
//     store; pasetoauth.store.operation, pasetoauth.outcome (ok,
//     unavailable, canceled) and, for a failure, error.type (timeout,
//     network, full, corrupt, error).
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
// request's context). Each store call is a client span named
// "pasetoauth.store.<operation>", started only under a span already in
// the context, so a verification outside any trace starts none. Spans of
// failed operations carry error.type, and an Error status when the failure
// is the server's (store unavailable, configuration). A security event is
// a span event "pasetoauth.security_event" with pasetoauth.event; with
// [Options.RecordSubjects] it also carries enduser.id and
// pasetoauth.session.id.
//
// Verifications are counted, not traced: the request's own span covers
// them.
//
// # Cost
//
// Measurements use attribute sets built once, so a verification adds no
// allocation for its counters. docs/benchmarks.md has the measured cost.
package otelpaseto

import (
	"context"
	"fmt"
	"sync"

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
	// with Options.RecordSubjects.
	AttrSession   = attribute.Key("pasetoauth.session.id")
	AttrEnduserID = attribute.Key("enduser.id")
)

// SpanEventSecurity is the name of the span event of a security event.
const SpanEventSecurity = "pasetoauth.security_event"

// durationBuckets suit both a memory store (microseconds) and a remote
// one near its timeout (seconds).
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Options configures an Observer.
type Options struct {
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

// Observer is a [paseto.Observer] on OpenTelemetry. Build it with New; it
// is safe for concurrent use.
type Observer struct {
	tracer         trace.Tracer
	recordSubjects bool

	verifications metric.Int64Counter
	cacheLookups  metric.Int64Counter
	opDuration    metric.Float64Histogram
	storeDuration metric.Float64Histogram
	events        metric.Int64Counter

	cacheHit, cacheMiss []metric.AddOption
	codes               sync.Map // code -> []metric.AddOption
	records             sync.Map // recordKey -> []metric.RecordOption
	kinds               sync.Map // event kind -> []metric.AddOption
	storeOK             [paseto.OpStoreRevokeOtherSessions + 1][]metric.RecordOption
	spanNames           [paseto.OpStoreRevokeOtherSessions + 1]string
}

var _ paseto.Observer = (*Observer)(nil)

// New returns an Observer that reports to o's providers.
func New(o Options) (*Observer, error) {
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	meter := o.MeterProvider.Meter(ScopeName)
	obs := &Observer{tracer: o.TracerProvider.Tracer(ScopeName), recordSubjects: o.RecordSubjects}
	var err error
	if obs.verifications, err = meter.Int64Counter(MetricVerifications, metric.WithUnit("{verification}"),
		metric.WithDescription("Access-token verifications; error.type is the code of a refused token.")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.cacheLookups, err = meter.Int64Counter(MetricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups in the verified-token cache, by result (hit, miss).")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.opDuration, err = meter.Float64Histogram(MetricOperationDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of logins, refreshes, fresh logins, logouts and revocations, by outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.storeDuration, err = meter.Float64Histogram(MetricStoreDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of session-store calls, by operation and outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	if obs.events, err = meter.Int64Counter(MetricSecurityEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Security events, by kind (reused_refresh_token…).")); err != nil {
		return nil, fmt.Errorf("otelpaseto: %w", err)
	}
	obs.cacheHit = addOpts(AttrCacheResult.String("hit"))
	obs.cacheMiss = addOpts(AttrCacheResult.String("miss"))
	for op := paseto.OpLogin; op <= paseto.OpStoreRevokeOtherSessions; op++ {
		if op.StoreCall() {
			obs.storeOK[op] = recordOpts(AttrStoreOperation.String(op.String()), AttrOutcome.String(paseto.OutcomeOK))
			obs.spanNames[op] = "pasetoauth.store." + op.String()
		} else {
			obs.spanNames[op] = "pasetoauth." + op.String()
		}
	}
	return obs, nil
}

// addOpts and recordOpts build the options of one measurement once: the
// variadic slice is then passed as it is, and the SDK reuses the set.
func addOpts(kv ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

func recordOpts(kv ...attribute.KeyValue) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

// Verified counts a verification, with its error code when it failed.
func (o *Observer) Verified(ctx context.Context, code string) {
	if code == "" {
		o.verifications.Add(ctx, 1)
		return
	}
	opts, ok := o.codes.Load(code)
	if !ok {
		opts, _ = o.codes.LoadOrStore(code, addOpts(AttrErrorType.String(code)))
	}
	o.verifications.Add(ctx, 1, opts.([]metric.AddOption)...)
}

// CacheLookup counts a lookup in the verified-token cache.
func (o *Observer) CacheLookup(ctx context.Context, hit bool) {
	if hit {
		o.cacheLookups.Add(ctx, 1, o.cacheHit...)
	} else {
		o.cacheLookups.Add(ctx, 1, o.cacheMiss...)
	}
}

// Begin starts the operation's span: always for an operation of the Auth,
// and for a store call only under a span already in ctx.
func (o *Observer) Begin(ctx context.Context, op paseto.Operation) context.Context {
	if !o.known(op) {
		return ctx
	}
	if op.StoreCall() {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			return ctx
		}
		ctx, _ = o.tracer.Start(ctx, o.spanNames[op], trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(AttrStoreOperation.String(op.String())))
		return ctx
	}
	ctx, _ = o.tracer.Start(ctx, o.spanNames[op], trace.WithAttributes(AttrOperation.String(op.String())))
	return ctx
}

func (o *Observer) known(op paseto.Operation) bool {
	return op >= paseto.OpLogin && op <= paseto.OpStoreRevokeOtherSessions
}

// recordKey names the attribute set of one duration measurement.
type recordKey struct {
	op                 paseto.Operation
	outcome, errorType string
}

// End records the operation's duration and ends its span.
func (o *Observer) End(ctx context.Context, ev paseto.OperationEvent) {
	if !o.known(ev.Op) {
		return
	}
	errorType := ev.Code
	if ev.Op.StoreCall() {
		errorType = ev.Kind // a store call's code is its caller's business
	}
	var opts []metric.RecordOption
	if ev.Op.StoreCall() && ev.Outcome == paseto.OutcomeOK {
		opts = o.storeOK[ev.Op]
	} else {
		key := recordKey{ev.Op, ev.Outcome, errorType}
		v, ok := o.records.Load(key)
		if !ok {
			v, _ = o.records.LoadOrStore(key, o.newRecordOpts(key))
		}
		opts = v.([]metric.RecordOption)
	}
	if ev.Op.StoreCall() {
		o.storeDuration.Record(ctx, ev.Duration.Seconds(), opts...)
		if !trace.SpanContextFromContext(ctx).IsValid() {
			return // Begin started no span
		}
	} else {
		o.opDuration.Record(ctx, ev.Duration.Seconds(), opts...)
	}
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(AttrOutcome.String(ev.Outcome))
		if errorType != "" {
			span.SetAttributes(AttrErrorType.String(errorType))
		}
		if ev.Outcome == paseto.OutcomeUnavailable || ev.Outcome == paseto.OutcomeError {
			span.SetStatus(codes.Error, ev.Outcome)
		}
	}
	span.End()
}

func (o *Observer) newRecordOpts(k recordKey) []metric.RecordOption {
	kv := make([]attribute.KeyValue, 0, 3)
	if k.op.StoreCall() {
		kv = append(kv, AttrStoreOperation.String(k.op.String()))
	} else {
		kv = append(kv, AttrOperation.String(k.op.String()))
	}
	kv = append(kv, AttrOutcome.String(k.outcome))
	if k.errorType != "" {
		kv = append(kv, AttrErrorType.String(k.errorType))
	}
	return recordOpts(kv...)
}

// Security counts a security event and adds it to the span in ctx (the
// refresh's or login's, or the request's).
func (o *Observer) Security(ctx context.Context, ev paseto.SecurityEvent) {
	opts, ok := o.kinds.Load(ev.Kind)
	if !ok {
		opts, _ = o.kinds.LoadOrStore(ev.Kind, addOpts(AttrEvent.String(ev.Kind)))
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
