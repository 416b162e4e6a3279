package pasetoauth_test

// The conformance suite: one scenario table, run against every adapter.
// Each adapter is mounted in a real server built the framework's way and
// driven by real HTTP requests, so a difference between adapters shows up
// as a failing case, not as a reading of four files.
//
// This file holds the runner. The rest of the suite, one concern a file:
//
//   - conformance_adapters_test.go: the routes of the app under test and
//     each adapter's mount of them
//   - conformance_env_test.go: one case's world (keys, fake clock, store,
//     guard, mounted app) and the helpers rows build requests with
//   - conformance_expect_test.go: what a row wants of a response, checked
//   - rows_*_test.go: the rows, by concern: tokens, cookies, optional,
//     fresh, scopes, refresh, logout, hook, sessions

import (
	"net/http"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

type row struct {
	name string
	// req builds the request, setting up state through e as needed (log
	// in, advance the clock, take the store down).
	req  func(e *env) *http.Request
	want want
	// then, when set, checks more: response details and follow-up requests.
	then func(t *testing.T, e *env, res *result)
	// config, when set, adjusts the Auth's configuration before the case's
	// env is built (a session cap, the IP a session keeps).
	config func(*paseto.Config)
}

// rows is the whole table: the token and how a request carries it, then
// authorization, then the session endpoints.
var rows = concat(
	tokenRows,    // rows_tokens_test.go
	cookieRows,   // rows_cookies_test.go
	optionalRows, // rows_optional_test.go
	freshRows,    // rows_fresh_test.go
	scopeRows,    // rows_scopes_test.go
	refreshRows,  // rows_refresh_test.go
	logoutRows,   // rows_logout_test.go
	hookRows,     // rows_hook_test.go
	sessionRows,  // rows_sessions_test.go
)

func concat(tables ...[]row) []row {
	var all []row
	for _, t := range tables {
		all = append(all, t...)
	}
	return all
}

// TestConformance runs every row against every adapter. Cases run in
// parallel: each has its own env (keys, fake clock, store, Auth, Guard)
// and its own server on its own loopback port, and the package-level
// tables they read (routes, rows, adapters, bannedAccounts) are never
// written.
func TestConformance(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range rows {
				t.Run(r.name, func(t *testing.T) {
					t.Parallel()
					e := newEnv(t, ad, r.config)
					res := e.expect(t, r.req(e), r.want)
					if r.then != nil {
						r.then(t, e, res)
					}
				})
			}
		})
	}
	t.Logf("conformance: %d rows x %d adapters = %d cases", len(rows), len(adapters), len(rows)*len(adapters))
}
