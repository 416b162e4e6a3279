package adaptertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// StallingStore is a Store that can be made to hang: while stalled, every
// call waits until its context is done, as a call to a stopped Redis does,
// and never reaches the store behind it. Only the Auth's deadline
// (Config.StoreTimeout) ends the wait; a call still waiting after
// stallCap fails on its own, so that a missing deadline fails the test
// instead of hanging it.
type StallingStore struct {
	paseto.Store
	stalled atomic.Bool
}

const stallCap = 10 * time.Second

var errNoDeadline = errors.New("adaptertest: store call still waiting after 10s: no deadline on the store call")

// Stall makes every call hang (on) or pass through (off).
func (s *StallingStore) Stall(on bool) { s.stalled.Store(on) }

func (s *StallingStore) wait(ctx context.Context) error {
	if !s.stalled.Load() {
		return nil
	}
	t := time.NewTimer(stallCap)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errNoDeadline
	}
}

// SessionLive implements paseto.Store.
func (s *StallingStore) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	if err := s.wait(ctx); err != nil {
		return false, err
	}
	return s.Store.SessionLive(ctx, subject, sid, now)
}

// CreateSession implements paseto.Store.
func (s *StallingStore) CreateSession(ctx context.Context, r paseto.SessionRecord) ([]string, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.CreateSession(ctx, r)
}

// Rotate implements paseto.Store.
func (s *StallingStore) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	if err := s.wait(ctx); err != nil {
		return paseto.RotationResult{}, err
	}
	return s.Store.Rotate(ctx, r)
}

// RevokeSession implements paseto.Store.
func (s *StallingStore) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	if err := s.wait(ctx); err != nil {
		return false, err
	}
	return s.Store.RevokeSession(ctx, subject, sid, now)
}

// ListSessions implements paseto.Store.
func (s *StallingStore) ListSessions(ctx context.Context, subject string, now time.Time) ([]paseto.SessionInfo, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.ListSessions(ctx, subject, now)
}

// RevokeOtherSessions implements paseto.Store.
func (s *StallingStore) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.RevokeOtherSessions(ctx, subject, keep, now)
}

// RevokeSubject implements paseto.Store.
func (s *StallingStore) RevokeSubject(ctx context.Context, subject string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.RevokeSubject(ctx, subject)
}

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
func CheckStoreStall(t *testing.T, f *Fixture, s *StallingStore, timeout time.Duration, ran *atomic.Int64, do Do) {
	t.Helper()
	pair := f.Login(t, "alice")
	cookie, csrf := f.CookieLogin(t, "alice")
	names := f.Guard.Config().Cookies

	s.Stall(true)
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

	s.Stall(false)
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
