package main

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pasetoauth/pasetoauth/examples/exampletest"
)

// lockedBuffer is what the exporters write to, read after shutdown.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With PASETO_TELEMETRY=stdout, a login, a verification, two rotations, a
// reuse and the revoked session's access token come out as spans under
// each request's server span and as metrics, flushed at shutdown, and
// nothing exported holds a token. MemoryStore calls are counted only.
func TestTelemetryStdout(t *testing.T) {
	testTelemetry(t, exampletest.LocalKeys(), []string{
		`"Name": "pasetoauth.store.operations"`,
	}, []string{
		`"Name": "pasetoauth.store.session_live"`, `"Name": "pasetoauth.store.operation.duration"`,
	})
}

// On Redis, store calls are spans and timed too (README.md shows this
// run's output).
func TestTelemetryStdoutRedis(t *testing.T) {
	testTelemetry(t, exampletest.With(exampletest.LocalKeys(), "REDIS_URL", exampletest.StartRedis(t)), []string{
		`"Name": "pasetoauth.store.create_session"`, `"Name": "pasetoauth.store.session_live"`,
		`"Name": "pasetoauth.store.rotate"`, `"Name": "pasetoauth.store.operation.duration"`,
	}, nil)
}

// testTelemetry runs the scenario on env and checks the exported output
// for the common spans and metrics, want and not wantNot.
func testTelemetry(t *testing.T, env map[string]string, want, wantNot []string) {
	fastAccounts(t)
	out := &lockedBuffer{}
	telemetryOut = out
	var tokens []string
	// Registered first, so it runs after the server has shut down and
	// flushed the exporters.
	t.Cleanup(func() {
		telemetryOut = nil
		got := out.String()
		// TELEMETRY_DUMP names a file to keep the output in (README.md's
		// was captured so).
		if dump := os.Getenv("TELEMETRY_DUMP"); dump != "" {
			_ = os.WriteFile(dump, []byte(got), 0o644)
		}
		for _, w := range append([]string{
			`"Name": "POST /login"`, `"Name": "pasetoauth.login"`, `"Name": "GET /protected"`,
			`"Name": "POST /refresh"`, `"Name": "pasetoauth.refresh"`,
			`"Name": "pasetoauth.security_event"`, `"Value": "reused_refresh_token"`, `"Value": "revoked_token"`,
			`"Name": "pasetoauth.token.verifications"`, `"Name": "pasetoauth.operation.duration"`,
			`"Name": "pasetoauth.security.events"`,
		}, want...) {
			if !strings.Contains(got, w) {
				t.Errorf("telemetry output lacks %s", w)
			}
		}
		for _, w := range wantNot {
			if strings.Contains(got, w) {
				t.Errorf("telemetry output has %s", w)
			}
		}
		for _, tok := range tokens {
			if strings.Contains(got, tok) {
				t.Errorf("telemetry output holds a token")
			}
		}
		if t.Failed() {
			t.Logf("telemetry output:\n%s", got)
		}
	})
	s := exampletest.Start(t, run, exampletest.With(env, envTelemetry, "stdout"))
	p0 := s.Login(t, "test")
	exampletest.Expect(t, "protected", s.Get(t, "/protected", p0.Access), http.StatusOK, "")
	p1 := pairOf(t, "refresh", s.Refresh(t, p0.Refresh, false))
	p2 := pairOf(t, "second refresh", s.Refresh(t, p1.Refresh, false))
	exampletest.Expect(t, "reuse", s.Refresh(t, p0.Refresh, false), http.StatusUnauthorized, "reused_refresh_token")
	exampletest.Expect(t, "after reuse", s.Get(t, "/protected", p1.Access), http.StatusUnauthorized, "revoked_token")
	tokens = []string{p0.Access, p0.Refresh, p1.Access, p1.Refresh, p2.Access, p2.Refresh}
}

func TestTelemetryBadSetting(t *testing.T) {
	for _, env := range []map[string]string{
		exampletest.With(exampletest.LocalKeys(), envTelemetry, "prometheus"),
		exampletest.With(exampletest.LocalKeys(), envTelemetry, "otlp"),
	} {
		logs, err := exampletest.StartupError(t, run, env)
		if err == nil || !strings.Contains(err.Error(), envTelemetry) {
			t.Errorf("%s=%s: %v, want an error naming the variable; log:\n%s", envTelemetry, env[envTelemetry], err, logs)
		}
	}
}

func pairOf(t *testing.T, what string, r *exampletest.Response) exampletest.Pair {
	t.Helper()
	exampletest.Expect(t, what, r, http.StatusOK, "")
	return exampletest.Pair{Access: r.Member("access_token"), Refresh: r.Member("refresh_token")}
}
