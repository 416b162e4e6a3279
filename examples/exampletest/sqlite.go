package exampletest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SQLiteURL returns a DATABASE_URL naming a new SQLite file in the test's
// temporary directory: sqlite:// followed by its absolute path.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "sessions.db")
}

// SQLiteRestart checks DATABASE_URL with a SQLite file: the server says
// which store it uses (the memory store without the variable), and
// sessions and revocations survive a restart on the same file with the
// same keys. A token pair refreshed before the restart refreshes after it,
// a browser session goes on, and a logged-out session stays refused. A
// file that is not a database stops the server with an error naming the
// variable.
func SQLiteRestart(t *testing.T, run RunFunc) {
	mem := Start(t, run, LocalKeys())
	if logs := mem.Logs(); !strings.Contains(logs, "in-memory session store") || !strings.Contains(logs, "DATABASE_URL") {
		t.Fatalf("without REDIS_URL or DATABASE_URL the log does not say the memory store is used:\n%s", logs)
	}

	survivesRestart(t, run, With(LocalKeys(), "DATABASE_URL", SQLiteURL(t)), "SQLite session store")

	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := StartupError(t, run, With(LocalKeys(), "DATABASE_URL", "sqlite://"+notDB))
	if !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("a file that is not a database: %v", err)
	}
}

// survivesRestart starts the example with env (a DATABASE_URL), whose
// start-up log must name store, makes sessions, a refresh, a logout and a
// browser session, stops it, and checks that a new server with the same
// env honours every one of them.
func survivesRestart(t *testing.T, run RunFunc, env map[string]string, store string) {
	t.Helper()
	a, stop := StartStoppable(t, run, env)
	if logs := a.Logs(); !strings.Contains(logs, store) || strings.Contains(logs, "in-memory") {
		t.Fatalf("DATABASE_URL is set, but the log does not say %q:\n%s", store, logs)
	}
	p0 := a.Login(t, "test")
	r := a.Refresh(t, p0.Refresh, false)
	Expect(t, "refresh before the restart", r, http.StatusOK, "")
	p1 := tokenResponse(t, "refresh before the restart", r)
	out := a.Login(t, "user1")
	ExpectLoggedOut(t, "logout before the restart", a.Post(t, "/logout", out.Access))
	jar := NewJar()
	csrf := a.cookieLogin(t, jar, "test")
	stop()

	b := Start(t, run, env)
	Expect(t, "access token after the restart", b.Get(t, "/protected", p1.Access), http.StatusOK, "")
	Expect(t, "logged-out access token after the restart", b.Get(t, "/protected", out.Access), http.StatusUnauthorized, "revoked_token")
	Expect(t, "logged-out refresh token after the restart", b.Refresh(t, out.Refresh, false), http.StatusUnauthorized, "revoked_token")
	Expect(t, "refresh token after the restart", b.Refresh(t, p1.Refresh, false), http.StatusOK, "")
	Expect(t, "cookie session after the restart", b.Do(t, Request{Method: "GET", Path: "/cookie/protected", Jar: jar}), http.StatusOK, "")
	Expect(t, "cookie refresh after the restart", b.Do(t, CSRFRequest("POST", CookieRefresh, jar, csrf)), http.StatusOK, "")
}
