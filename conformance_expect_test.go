package pasetoauth_test

// Expectations: what a row wants of a response, and the one check every
// request goes through (env.expect).

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type want struct {
	status int
	// challenge is the exact WWW-Authenticate value; "" means no header.
	challenge string
	// code is the JSON body's "error"; "" on success.
	code string
	// ran: the app's handler ran. Never on a rejection, except one the
	// app's login handler answers itself; the adapters' complete refresh,
	// logout and session endpoints have no app handler.
	ran bool
	// user is the subject the app's handler saw; "" means anonymous.
	user string
	// clears: a rejection that expires the session cookies (a logout whose
	// access cookie is already dead); other rejections set no cookie.
	clears bool
}

func ok(user string) want      { return want{status: 200, ran: true, user: user} }
func endpoint(status int) want { return want{status: status} }
func deny(status int, challenge, code string) want {
	return want{status: status, challenge: challenge, code: code}
}

const realm = `Bearer realm="api"`

func invalid(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

const (
	notFresh  = realm + `, error="insufficient_user_authentication", error_description="fresh token required"`
	needScope = realm + `, error="insufficient_scope", error_description="token lacks the required scope", scope="admin:users"`
	needAny   = realm + `, error="insufficient_scope", error_description="token lacks the required scope", scope="reports:read admin:users"`
	needOwn   = realm + `, error="insufficient_scope", error_description="token lacks the required scope"`
)

// result is a response, read.
type result struct {
	status int
	header http.Header
	body   []byte
	reply  struct {
		Error        string  `json:"error"`
		User         *string `json:"user"`
		Pair         bool    `json:"pair"`
		AccessToken  string  `json:"access_token"`
		RefreshToken string  `json:"refresh_token"`
		TokenType    string  `json:"token_type"`
		ExpiresIn    int64   `json:"expires_in"`
	}
}

// cookies returns the Set-Cookie cookies by name.
func (r *result) cookies() map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// expect sends q and checks the response against w.
func (e *env) expect(t *testing.T, q *http.Request, w want) *result {
	t.Helper()
	e.ran.Store(0)
	resp, err := e.do(q)
	if err != nil {
		t.Fatalf("%s %s: %v", q.Method, q.URL, err)
	}
	defer resp.Body.Close()
	res := &result{status: resp.StatusCode, header: resp.Header}
	if res.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if res.status != w.status {
		t.Errorf("status = %d, want %d; body %s", res.status, w.status, res.body)
	}
	got := resp.Header.Values("WWW-Authenticate")
	switch {
	case w.challenge == "" && len(got) > 0:
		t.Errorf("WWW-Authenticate = %q, want none", got)
	case w.challenge != "" && (len(got) != 1 || got[0] != w.challenge):
		t.Errorf("WWW-Authenticate = %q\n                         want %q", got, w.challenge)
	}
	if len(res.body) > 0 {
		if err := json.Unmarshal(res.body, &res.reply); err != nil {
			t.Errorf("body is not JSON: %q", res.body)
		}
	}
	switch ra := resp.Header.Values("Retry-After"); {
	case w.status == http.StatusServiceUnavailable && (len(ra) != 1 || ra[0] != "1"):
		t.Errorf("Retry-After = %q on a 503, want \"1\"", ra)
	case w.status != http.StatusServiceUnavailable && len(ra) > 0:
		t.Errorf("Retry-After = %q on a %d", ra, w.status)
	}
	if res.reply.Error != w.code {
		t.Errorf("body error = %q, want %q; body %s", res.reply.Error, w.code, res.body)
	}
	if w.code != "" {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 && !w.clears {
			t.Errorf("a rejection sets cookies: %q", sc)
		}
	}
	if ran := e.ran.Load() > 0; ran != w.ran {
		t.Errorf("handler ran = %v, want %v", ran, w.ran)
	}
	if w.ran {
		switch u := res.reply.User; {
		case w.user == "" && u != nil:
			t.Errorf("handler saw user %q, want anonymous", *u)
		case w.user != "" && (u == nil || *u != w.user):
			t.Errorf("handler saw user %v, want %q", u, w.user)
		}
	}
	return res
}
