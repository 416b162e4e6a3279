package sqlitestore_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The benchmarks run on a file in the test's temporary directory, with
// the store's settings (WAL, synchronous FULL: every write transaction is
// fsynced before it returns).

var benchDevice = paseto.Device{
	UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	IP:        "203.0.113.0",
	Label:     "Firefox on Linux",
}

// BenchmarkSessionsSQLite: session management through paseto.Auth (see
// storetest.Benchmark): a login with a device, listing 1, 10 and 100
// sessions, revoking one.
func BenchmarkSessionsSQLite(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B, now func() time.Time) paseto.Store {
		return openStore(b, tempDB(b), now)
	})
}

// BenchmarkSessionLiveSQLite: the per-request check alone, for a live
// session of a subject with 10 sessions.
func BenchmarkSessionLiveSQLite(b *testing.B) {
	s := openStore(b, tempDB(b), time.Now)
	a := newAuth(b, s, newKeys(), time.Now, nil)
	var p *paseto.TokenPair
	for range 10 {
		p = login(b, a, "user-1234")
	}
	b.ReportAllocs()
	for b.Loop() {
		if live, err := s.SessionLive(ctx, "user-1234", p.Access.Session, time.Now()); err != nil || !live {
			b.Fatalf("SessionLive: %v, %v", live, err)
		}
	}
}

// BenchmarkVerifyAccessSQLite: Auth.VerifyAccess of a valid access token,
// the cryptography and the store's check.
func BenchmarkVerifyAccessSQLite(b *testing.B) {
	s := openStore(b, tempDB(b), time.Now)
	a := newAuth(b, s, newKeys(), time.Now, nil)
	p := login(b, a, "user-1234")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.VerifyAccess(ctx, p.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRotateSQLite: Store.Rotate alone, a chain of rotations of one
// session.
func BenchmarkRotateSQLite(b *testing.B) {
	s := openStore(b, tempDB(b), time.Now)
	a := newAuth(b, s, newKeys(), time.Now, nil)
	p := login(b, a, "user-1234")
	cur := "0"
	if _, err := s.RevokeSession(ctx, "user-1234", p.Access.Session, time.Now()); err != nil {
		b.Fatal(err)
	}
	rec := paseto.SessionRecord{ID: "bench-session", Subject: "user-1234", Current: cur,
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(24 * time.Hour)}
	if _, err := s.CreateSession(ctx, rec); err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		next := strconv.Itoa(i + 1)
		res, err := s.Rotate(ctx, paseto.Rotation{Subject: "user-1234", Session: "bench-session",
			Presented: cur, Successor: next, WrappedSuccessor: "wrapped", Now: time.Now(), Grace: 5 * time.Second})
		if err != nil || res.Outcome != paseto.Rotated {
			b.Fatalf("Rotate: %v, %v", res, err)
		}
		cur = next
		i++
	}
}

// BenchmarkCreateSessionSQLite: Store.CreateSession alone, with a device,
// for a thousand subjects under the default cap (paseto.DefaultMaxSessions
// is applied by Auth; here 100), so each call counts the subject's
// sessions.
func BenchmarkCreateSessionSQLite(b *testing.B) {
	s := openStore(b, tempDB(b), time.Now)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		if _, err := s.CreateSession(ctx, paseto.SessionRecord{ID: "s" + strconv.Itoa(i), Subject: "user-" + strconv.Itoa(i%1000),
			Current: "c" + strconv.Itoa(i), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour), Device: benchDevice,
			MaxSessions: 100}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRotationClients: refresh throughput through paseto.Auth with 1
// and 8 concurrent clients, each refreshing its own session in a chain
// (each refresh presents the token the previous one returned). Writes take
// turns on the one writer connection, so this is the store's write
// throughput.
func BenchmarkRotationClients(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			s := openStore(b, tempDB(b), time.Now)
			a := newAuth(b, s, newKeys(), time.Now, func(c *paseto.Config) { c.GracePeriod = 5 * time.Second })
			tokens := make([]string, clients)
			for i := range tokens {
				tokens[i] = login(b, a, "user-"+strconv.Itoa(i)).RefreshToken
			}
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rt := tokens[c]
					for i := c; i < b.N; i += clients {
						p, err := a.Refresh(ctx, rt)
						if err != nil {
							b.Error(err)
							return
						}
						rt = p.RefreshToken
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refreshes/s")
		})
	}
}
