package paseto_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/pasetoauth/pasetoauth/internal/benchcpu"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// BenchmarkAuthVerify: an access token verified through the Auth
// (Auth.VerifyAccess, as the Guard does), with its session checked in the
// default MemoryStore, without and with the verified-token cache. No
// Config.Observer: paseto/otelpaseto has the same benchmark with one.
func BenchmarkAuthVerify(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		cache int
	}{{"uncached", 0}, {"cached", 10_000}} {
		local, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
		refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
		a, err := paseto.New(paseto.Config{AccessKeys: local, RefreshKeys: refresh, CacheSize: c.cache, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		pair, err := a.Login(ctx, "user-1234", paseto.LoginOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
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
