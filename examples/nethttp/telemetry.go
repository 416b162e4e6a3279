package main

// This file wires OpenTelemetry, when PASETO_TELEMETRY asks for it: the
// Auth reports to paseto/otelpaseto (docs/observability.md), every request
// gets a server span from otelhttp, and the logins, refreshes and store
// calls of a request are spans under it. Delete the file, the lines that
// call it in run (tel, and tel.observer passed to newBackend) to drop
// OpenTelemetry.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/otelpaseto"
)

// envTelemetry turns OpenTelemetry on: "stdout" (or "1") writes spans and
// metrics to standard output as JSON, "otlp" sends them over OTLP/HTTP to
// OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_EXPORTER_OTLP_*
// variables the exporters read). Unset or "off", nothing is set up and the
// Auth has no Observer. The metric export interval is
// OTEL_METRIC_EXPORT_INTERVAL (milliseconds, default 60000); everything
// pending is exported at shutdown.
const envTelemetry = "PASETO_TELEMETRY"

// envOTLPEndpoint, when set, makes "1" mean "otlp" rather than "stdout".
const envOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"

// telemetryOut is where the stdout exporters write; tests replace it.
var telemetryOut io.Writer = os.Stdout

// telemetry is what run needs of OpenTelemetry: the middleware that gives
// each request its server span, and shutdown, which flushes the
// exporters.
type telemetry struct {
	observer paseto.Observer // the Auth's Config.Observer; nil when off
	wrap     func(http.Handler) http.Handler
	shutdown func(context.Context) error
}

// setupTelemetry reads PASETO_TELEMETRY and, when it is on, installs the
// SDK's providers and builds the observer that newBackend gives the Auth
// as Config.Observer. Off, it returns a telemetry that does nothing.
func setupTelemetry(ctx context.Context, getenv func(string) string) (telemetry, error) {
	off := telemetry{wrap: func(h http.Handler) http.Handler { return h }, shutdown: func(context.Context) error { return nil }}
	mode := strings.ToLower(strings.TrimSpace(getenv(envTelemetry)))
	switch mode {
	case "", "0", "off", "false":
		return off, nil
	case "1", "on", "true":
		mode = "stdout"
		if getenv(envOTLPEndpoint) != "" {
			mode = "otlp"
		}
	case "stdout", "otlp":
	default:
		return off, fmt.Errorf("%s=%q: want stdout, otlp or off", envTelemetry, getenv(envTelemetry))
	}
	var (
		spans   trace.SpanExporter
		metrics metric.Exporter
		err     error
	)
	if mode == "otlp" {
		if getenv(envOTLPEndpoint) == "" {
			return off, fmt.Errorf("%s=otlp needs %s (such as http://localhost:4318)", envTelemetry, envOTLPEndpoint)
		}
		if spans, err = otlptracehttp.New(ctx); err == nil {
			metrics, err = otlpmetrichttp.New(ctx)
		}
	} else {
		if spans, err = stdouttrace.New(stdouttrace.WithWriter(telemetryOut), stdouttrace.WithPrettyPrint()); err == nil {
			metrics, err = stdoutmetric.New(stdoutmetric.WithWriter(telemetryOut), stdoutmetric.WithPrettyPrint())
		}
	}
	if err != nil {
		return off, fmt.Errorf("%s: %w", envTelemetry, err)
	}
	res := resource.NewSchemaless(semconv.ServiceName("pasetoauth-example-nethttp"))
	tp := trace.NewTracerProvider(trace.WithBatcher(spans), trace.WithResource(res))
	mp := metric.NewMeterProvider(metric.WithReader(metric.NewPeriodicReader(metrics)), metric.WithResource(res))
	obs, err := otelpaseto.New(otelpaseto.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		return off, err
	}
	return telemetry{
		observer: obs,
		wrap: func(h http.Handler) http.Handler {
			return otelhttp.NewHandler(h, "http.server", otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp),
				otelhttp.WithSpanNameFormatter(spanName))
		},
		shutdown: func(ctx context.Context) error {
			return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
		},
	}, nil
}

// shutdownTelemetry flushes the exporters once the server has stopped,
// within shutdownTimeout.
func shutdownTelemetry(tel telemetry, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := tel.shutdown(ctx); err != nil {
		logger.Warn("telemetry shutdown", "err", err)
	}
}

// spanName names a request's server span by its route: the ServeMux
// pattern ("POST /login"), known once the mux has matched it, else the
// method alone (the full path could hold IDs).
func spanName(_ string, r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method
}
