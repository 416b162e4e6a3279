package otelpaseto_test

import (
	"context"
	"log/slog"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pasetoauth/pasetoauth/internal/benchcpu"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/otelpaseto"
)

// BenchmarkAuthVerify: an access token verified through the Auth
// (Auth.VerifyAccess, as the Guard does) with its session in the
// MemoryStore, uncached and cached, under three observers:
//
//   - none: Config.Observer unset;
//   - otel: this package on the SDK, metrics into a ManualReader and spans
//     into a SpanRecorder, the request outside any trace (no span is
//     started on the verify path);
//   - otel-traced: the same inside a sampled request span, with the
//     MemoryStore dressed as a remote store (remoteStore), so that the
//     session lookup is timed and gets its own client span, as a Redis
//     lookup would.
//
// Compare with benchstat -col /observer.
func BenchmarkAuthVerify(b *testing.B) {
	for _, cache := range []struct {
		name string
		size int
	}{{"uncached", 0}, {"cached", 10_000}} {
		for _, observer := range []string{"none", "otel", "otel-traced"} {
			b.Run(cache.name+"/observer="+observer, func(b *testing.B) {
				ctx := context.Background()
				cfg := paseto.Config{AccessKeys: mustRing(b), RefreshKeys: mustRing(b), CacheSize: cache.size, Logger: slog.New(slog.DiscardHandler)}
				if observer != "none" {
					mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
					tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
					defer func() { _ = mp.Shutdown(ctx); _ = tp.Shutdown(ctx) }()
					obs, err := otelpaseto.New(otelpaseto.Config{MeterProvider: mp, TracerProvider: tp})
					if err != nil {
						b.Fatal(err)
					}
					cfg.Observer = obs
					if observer == "otel-traced" {
						ctx, _ = tp.Tracer("bench").Start(ctx, "request")
						cfg.Store = remoteStore{paseto.NewMemoryStore(paseto.MemoryStoreConfig{})}
					}
				}
				a, err := paseto.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				pair, err := a.Login(ctx, "user-1234", paseto.LoginOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				stop := benchcpu.Start(b)
				for b.Loop() {
					if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil {
						b.Fatal(err)
					}
				}
				stop()
			})
		}
	}
}
