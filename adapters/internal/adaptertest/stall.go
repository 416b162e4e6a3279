package adaptertest

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// stallSlack is how much later than the store timeout an answer may come:
// the work around the store call, on a loaded machine under the race
// detector.
const stallSlack = time.Second

// CheckStoreStall drives an app built by an adapter test over a Fixture
// from NewStalling(t, timeout): GET /p must be a Required route whose
// handler increments ran and answers 200, POST /refresh the adapter's
// RefreshHandler, POST /logout its LogoutHandler, all with the adapter's
// default error handling.
//
// With the store hung, an access token, a refresh token and a cookie
// logout are each answered 503 temporarily_unavailable with Retry-After: 1 and a
// JSON body, no sooner than the store timeout and not much later, and the
// handler never runs; the logout keeps the session cookies, so that the
// browser can retry it (the session may still be alive). Once
// the store answers again, the same access and refresh tokens work: the
// stalled calls changed nothing.
func CheckStoreStall(t *testing.T, f *Fixture, s *pasetotest.FaultyStore, timeout time.Duration, ran *atomic.Int64, do Do) {
	t.Helper()
	pair := f.Login(t, "alice")
	cookie, csrf := f.CookieLogin(t, "alice")
	names := f.Guard.Config().Cookies

	s.Set(pasetotest.Hang)
	for _, tc := range []struct {
		name string
		req  *http.Request
	}{
		{"access token", bearerRequest("GET", "/p", pair.AccessToken)},
		{"refresh", bearerRequest("POST", "/refresh", pair.RefreshToken)},
		{"cookie logout", func() *http.Request {
			r := httptestRequest("POST", "/logout", cookie)
			r.Header.Set(names.CSRFHeader, csrf)
			return r
		}()},
	} {
		before := ran.Load()
		start := time.Now()
		resp := do(tc.req)
		body := readAll(t, resp)
		took := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"error":"temporarily_unavailable"`) {
			t.Errorf("%s, store hung: status %d, body %s; want 503 temporarily_unavailable", tc.name, resp.StatusCode, body)
		}
		if ra := resp.Header.Values("Retry-After"); len(ra) != 1 || ra[0] != "1" {
			t.Errorf("%s, store hung: Retry-After %q, want exactly \"1\"", tc.name, ra)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s, store hung: Content-Type %q, want application/json", tc.name, ct)
		}
		if took < timeout || took > timeout+stallSlack {
			t.Errorf("%s, store hung: answered after %v, want between the store timeout %v and %v later", tc.name, took, timeout, stallSlack)
		}
		if ran.Load() != before {
			t.Errorf("%s, store hung: the protected handler ran", tc.name)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s, store hung: Set-Cookie %q; the cookies must stay for a retry", tc.name, sc)
		}
	}

	s.Set(pasetotest.NoFault)
	before := ran.Load()
	resp := do(bearerRequest("GET", "/p", pair.AccessToken))
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || ran.Load() != before+1 {
		t.Errorf("access token, store back: status %d, body %s, handler ran %d times; want 200 and one run", resp.StatusCode, body, ran.Load()-before)
	}
	resp = do(bearerRequest("POST", "/refresh", pair.RefreshToken))
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Errorf("refresh, store back: status %d, body %s; want 200", resp.StatusCode, body)
	}
}

func bearerRequest(method, path, token string) *http.Request {
	r := httptestRequest(method, path, "")
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}
