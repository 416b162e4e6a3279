package exampletest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// hungAnswerWithin bounds how long a request may wait on a hung Redis: the
// library's default store timeout (1 s) plus slack for the rest of the
// request on a loaded machine, and well under the examples' 10 s write
// timeout, past which the server would drop the connection.
const hungAnswerWithin = 2500 * time.Millisecond

// recoverWithin bounds how long after Redis resumes the same requests may
// keep failing.
const recoverWithin = 5 * time.Second

// RedisHung checks what a client sees while Redis hangs (stopped with
// SIGSTOP: connections stay open, nothing is answered). A protected route
// and a refresh are each answered 503 temporarily_unavailable with Retry-After
// within hungAnswerWithin, never a dropped connection, and the failure is
// logged. Once Redis resumes, the same access and refresh tokens work
// again: a stall ends no session.
func RedisHung(t *testing.T, run RunFunc) {
	rs := StartRedisServer(t)
	s := Start(t, run, With(LocalKeys(), "REDIS_URL", rs.URL))
	p := s.Login(t, "test")
	Expect(t, "protected before the stall", s.Get(t, "/protected", p.Access), http.StatusOK, "")

	logged := len(s.Logs())
	rs.Pause(t)
	expectPrompt503(t, "GET /protected, Redis hung", func() *Response { return s.Get(t, "/protected", p.Access) })
	expectPrompt503(t, "refresh, Redis hung", func() *Response { return s.Refresh(t, p.Refresh, false) })
	if !loggedStoreError(s.Logs()[logged:]) {
		t.Errorf("the store failures were not logged at error level; log:\n%s", s.Logs())
	}
	rs.Resume(t)

	Expect(t, "GET /protected, Redis back", untilNot503(t, func() *Response { return s.Get(t, "/protected", p.Access) }), http.StatusOK, "")
	r := untilNot503(t, func() *Response { return s.Refresh(t, p.Refresh, false) })
	Expect(t, "refresh, Redis back", r, http.StatusOK, "")
	next := tokenResponse(t, "refresh, Redis back", r)
	Expect(t, "refreshed access token, Redis back", s.Get(t, "/protected", next.Access), http.StatusOK, "")
}

// expectPrompt503 sends a request with the store hung and fails the test
// unless it is answered 503 temporarily_unavailable with Retry-After: 1 within
// hungAnswerWithin. A dropped connection fails the test in Do.
func expectPrompt503(t *testing.T, what string, send func() *Response) {
	t.Helper()
	start := time.Now()
	r := send()
	took := time.Since(start)
	Expect(t, what, r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if ra := r.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("%s: Retry-After %q, want 1", what, ra)
	}
	if took > hungAnswerWithin {
		t.Errorf("%s: answered after %v, want within %v", what, took.Round(time.Millisecond), hungAnswerWithin)
	}
	t.Logf("%s: 503 after %v", what, took.Round(time.Millisecond))
}

// untilNot503 sends a request until it is answered with anything but 503,
// for at most recoverWithin, and returns the last answer.
func untilNot503(t *testing.T, send func() *Response) *Response {
	t.Helper()
	deadline := time.Now().Add(recoverWithin)
	for {
		r := send()
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loggedStoreError reports whether logs has an error-level line about the
// session store.
func loggedStoreError(logs string) bool {
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "store") {
			return true
		}
	}
	return false
}
