package otelpaseto_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/otelpaseto"
)

// An Auth that reports to OpenTelemetry. The application builds its
// providers as usual (with a periodic reader and an exporter in
// production; a ManualReader here, to print what was measured).
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp := sdktrace.NewTracerProvider()
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())

	obs, err := otelpaseto.New(otelpaseto.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh, Observer: obs})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	pair, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := auth.VerifyAccess(ctx, pair.AccessToken); err != nil {
		log.Fatal(err)
	}
	_, err = auth.VerifyAccess(ctx, pair.RefreshToken) // the wrong token: invalid_token
	fmt.Println(paseto.Code(err))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		names = append(names, m.Name+" "+m.Unit)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Println(n)
	}
	// Output:
	// invalid_token
	// pasetoauth.operation.duration s
	// pasetoauth.store.operations {call}
	// pasetoauth.token.verifications {verification}
}
