package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/examples/exampletest"
)

// productionAccounts keeps the real demo table for TestDemoPasswords.
var productionAccounts = demoAccounts

// TestMain runs the tests with exampletest.RunTests, which stops the
// PostgreSQL cluster StartPostgres shares among them.
func TestMain(m *testing.M) { os.Exit(exampletest.RunTests(m)) }

// fastAccounts swaps in minimum-cost hashes of the same demo passwords for
// the test: bcrypt's default cost takes about a second per login under the
// race detector.
func fastAccounts(t *testing.T) {
	fast := userTable{}
	for name, a := range productionAccounts {
		a.passwordHash = exampletest.FastHash(t, exampletest.DemoPasswords[name])
		fast[name] = a
	}
	demoAccounts = fast
	t.Cleanup(func() { demoAccounts = productionAccounts })
}

func TestContract(t *testing.T) {
	fastAccounts(t)
	exampletest.Contract(t, exampletest.Start(t, run, exampletest.LocalKeys()), "v4.local")
}

func TestContractPublicKeys(t *testing.T) {
	fastAccounts(t)
	exampletest.Contract(t, exampletest.Start(t, run, exampletest.PublicKeys()), "v4.public")
}

func TestContractRedis(t *testing.T) {
	fastAccounts(t)
	env := exampletest.With(exampletest.LocalKeys(), "REDIS_URL", exampletest.StartRedis(t))
	exampletest.Contract(t, exampletest.Start(t, run, env), "v4.local")
}

// TestContractSQLite: the whole contract on the SQLite store
// (DATABASE_URL=sqlite://…).
func TestContractSQLite(t *testing.T) {
	fastAccounts(t)
	env := exampletest.With(exampletest.LocalKeys(), "DATABASE_URL", exampletest.SQLiteURL(t))
	exampletest.Contract(t, exampletest.Start(t, run, env), "v4.local")
}

// TestSQLiteRestart: with DATABASE_URL=sqlite://…, sessions and
// logouts survive a restart of the server on the same file.
func TestSQLiteRestart(t *testing.T) {
	fastAccounts(t)
	exampletest.SQLiteRestart(t, run)
}

// TestContractPostgres: the whole contract on the PostgreSQL store
// (DATABASE_URL=postgres://…), on a database of its own.
func TestContractPostgres(t *testing.T) {
	fastAccounts(t)
	env := exampletest.With(exampletest.LocalKeys(), "DATABASE_URL", exampletest.StartPostgres(t))
	exampletest.Contract(t, exampletest.Start(t, run, env), "v4.local")
}

// TestPostgresRestart: with DATABASE_URL=postgres://…, sessions and
// logouts survive a restart of the server on the same database.
func TestPostgresRestart(t *testing.T) {
	fastAccounts(t)
	exampletest.PostgresRestart(t, run)
}

func TestSessions(t *testing.T) {
	fastAccounts(t)
	exampletest.Sessions(t, run, exampletest.LocalKeys())
}

func TestSessionsRedis(t *testing.T) {
	fastAccounts(t)
	exampletest.Sessions(t, run, exampletest.With(exampletest.LocalKeys(), "REDIS_URL", exampletest.StartRedis(t)))
}

// TestCookieFresh: the browser session's fresh-only route, and its fresh
// re-login after a refresh, with the CSRF header.
func TestCookieFresh(t *testing.T) {
	fastAccounts(t)
	exampletest.CookieFresh(t, exampletest.Start(t, run, exampletest.LocalKeys()))
}

func TestCookieFreshRedis(t *testing.T) {
	fastAccounts(t)
	env := exampletest.With(exampletest.LocalKeys(), "REDIS_URL", exampletest.StartRedis(t))
	exampletest.CookieFresh(t, exampletest.Start(t, run, env))
}

// TestCookieSessions: the browser session's session list, and signing
// sessions out from it, with the CSRF header.
func TestCookieSessions(t *testing.T) {
	fastAccounts(t)
	exampletest.CookieSessions(t, run, exampletest.LocalKeys())
}

func TestCookieSessionsRedis(t *testing.T) {
	fastAccounts(t)
	exampletest.CookieSessions(t, run, exampletest.With(exampletest.LocalKeys(), "REDIS_URL", exampletest.StartRedis(t)))
}

func TestSharedRedis(t *testing.T) {
	fastAccounts(t)
	exampletest.SharedRedis(t, run)
}

func TestSharedRedisLiveCache(t *testing.T) {
	fastAccounts(t)
	exampletest.SharedRedisLiveCache(t, run)
}

func TestRedisDown(t *testing.T) {
	fastAccounts(t)
	exampletest.StoreDown(t, run)
}

func TestRedisHung(t *testing.T) {
	fastAccounts(t)
	exampletest.RedisHung(t, run)
}

func TestEphemeralKeys(t *testing.T) {
	fastAccounts(t)
	exampletest.EphemeralKeys(t, run)
}

func TestKeysFromEnv(t *testing.T) {
	fastAccounts(t)
	t.Run("local", func(t *testing.T) { exampletest.KeysFromEnv(t, run, exampletest.LocalKeys()) })
	t.Run("public", func(t *testing.T) { exampletest.KeysFromEnv(t, run, exampletest.PublicKeys()) })
}

// TestKeyRotation rotates the access and refresh keys in a rolling deploy
// with the _PREVIOUS variables, as README.md describes.
func TestKeyRotation(t *testing.T) {
	fastAccounts(t)
	t.Run("local", func(t *testing.T) { exampletest.KeyRotation(t, run, "v4.local") })
	t.Run("public", func(t *testing.T) { exampletest.KeyRotation(t, run, "v4.public") })
}

func TestBadEnvironment(t *testing.T) {
	exampletest.BadEnvironment(t, run)
}

// TestDemoPasswords checks the real bcrypt hashes against the documented
// passwords.
func TestDemoPasswords(t *testing.T) {
	for name, pw := range exampletest.DemoPasswords {
		if _, ok := productionAccounts.authenticate(name, pw); !ok {
			t.Errorf("%s/%s does not log in", name, pw)
		}
	}
	if _, ok := productionAccounts.authenticate("test", "password1"); ok {
		t.Error("test logs in with user1's password")
	}
	if _, ok := productionAccounts.authenticate("nobody", "test"); ok {
		t.Error("an unknown user logs in")
	}
}

func TestParseAccessLifetime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration // 0: the library's default
		ok   bool
	}{
		{"", 0, true},
		{"15m", 15 * time.Minute, true},
		{" 2s ", 2 * time.Second, true},
		{"24h", 24 * time.Hour, true},
		{"1s", 0, false},     // the access cookie would be set already expired
		{"1999ms", 0, false}, // Max-Age rounds down to 1s
		{"24h1s", 0, false},
		{"-5m", 0, false},
		{"0", 0, false},
		{"15", 0, false}, // no unit
		{"soon", 0, false},
	} {
		got, err := parseAccessLifetime(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseAccessLifetime(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), envAccessLifetime) {
			t.Errorf("parseAccessLifetime(%q): error %q does not name %s", tc.in, err, envAccessLifetime)
		}
	}
}
