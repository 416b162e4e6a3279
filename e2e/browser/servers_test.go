package browser

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/examples/webapp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// startReference starts the test's reference server and returns its base
// URL on localhost: the page and the cookie routes it calls, as the
// examples serve them, in as few lines as net/http allows, with the demo
// user test only. It tells a fault of the page from one of the examples.
// accessLifetime 0 is the default.
func startReference(t *testing.T, accessLifetime time.Duration) string {
	t.Helper()
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys:     access,
		RefreshKeys:    refresh,
		AccessLifetime: accessLifetime,
		GracePeriod:    5 * time.Second,
		KeepIP:         paseto.IPTruncated,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := paseto.NewGuard(auth, paseto.GuardConfig{Cookies: &paseto.CookieConfig{RefreshPath: refreshPath}})
	if err != nil {
		t.Fatal(err)
	}
	m := httppaseto.New(g, httppaseto.Config{})

	mux := http.NewServeMux()
	mux.Handle("GET /app", webapp.Page)
	mux.Handle("GET /app/app.js", webapp.Script)
	mux.HandleFunc("POST /cookie/login", func(w http.ResponseWriter, r *http.Request) {
		user, ok := checkCredentials(w, r)
		if !ok {
			return
		}
		s, err := m.LoginWithCookies(w, r, user, paseto.LoginOptions{Device: httppaseto.Device(r)})
		if err != nil {
			httppaseto.DefaultErrorHandler(w, r, g.ProblemFor(err, nil), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"user": user, "csrf_token": s.CSRF, "expires_in": s.Pair.ExpiresIn})
	})
	mux.Handle("GET /cookie/protected", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httppaseto.Claims(r.Context())
		writeJSON(w, http.StatusOK, map[string]any{"user": c.Subject, "scopes": []string{}, "fresh": c.Fresh, "expires_at": c.Expiration})
	})))
	mux.Handle("POST /cookie/fresh", m.FreshRequired(paseto.WithMaxAge(5*time.Minute))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"user": httppaseto.Subject(r.Context()), "message": "fresh login confirmed"})
	})))
	mux.Handle("POST /cookie/fresh-login", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok := checkCredentials(w, r)
		if !ok {
			return
		}
		c, _ := httppaseto.FromContext(r.Context())
		tok, err := g.FreshLogin(r.Context(), header(w.Header()), c, user)
		if err != nil {
			httppaseto.DefaultErrorHandler(w, r, g.ProblemFor(err, nil), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"token_type": tok.TokenType, "expires_in": tok.ExpiresIn})
	})))
	mux.Handle("POST /cookie/session/refresh", m.RefreshHandler())
	mux.Handle("POST /cookie/session/logout", m.LogoutHandler())
	mux.Handle("GET /cookie/sessions", m.SessionsHandler())
	mux.Handle("DELETE /cookie/sessions/{id}", m.RevokeSessionHandler("id"))
	mux.Handle("POST /cookie/sessions/revoke-others", m.RevokeOtherSessionsHandler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port
}

// checkCredentials reads a JSON login body and accepts the demo user test
// only, answering the request itself when it fails.
func checkCredentials(w http.ResponseWriter, r *http.Request) (string, bool) {
	var cr struct{ Username, Password string }
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, paseto.ErrorBody{Error: "unsupported_media_type", Message: "send JSON"})
		return "", false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&cr); err != nil || cr.Username != "test" || cr.Password != "test" {
		writeJSON(w, http.StatusUnauthorized, paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"})
		return "", false
	}
	return cr.Username, true
}

// header lets paseto.Guard.FreshLogin set the access cookie.
type header http.Header

func (h header) AddHeader(name, value string) { http.Header(h).Add(name, value) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// forger is another site: pages on 127.0.0.1, a different site from the
// servers on localhost, with a form that posts to a server's route. It
// stands for any site the user visits while signed in.
type forger struct{ base string }

var forgeryPage = template.Must(template.New("forge").Parse(`<!doctype html>
<title>another site</title>
<form method="post" action="{{.}}"><input type="hidden" name="csrf_token" value="guessed"><button id="go">Win a prize</button></form>`))

func startForger(t *testing.T) *forger {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = forgeryPage.Execute(w, r.URL.Query().Get("to"))
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the other site is at %s, want 127.0.0.1: another site than localhost", srv.URL)
	}
	return &forger{base: srv.URL}
}

// device is a session opened from outside the browser (another device),
// with a plain HTTP client: its cookies are kept by hand, since Go's
// cookie jar sends no Secure cookie over plain HTTP.
type device struct {
	base    string
	cookies map[string]string
}

// signInDevice logs the demo user test in from another device, whose
// User-Agent is ua.
func signInDevice(t *testing.T, base, ua string) *device {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/cookie/login", strings.NewReader(`{"username":"test","password":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	resp := do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in from another device: status %d", resp.StatusCode)
	}
	d := &device{base: base, cookies: map[string]string{}}
	for _, c := range resp.Cookies() {
		d.cookies[c.Name] = c.Value
	}
	if d.cookies[accessCookie] == "" {
		t.Fatalf("sign in from another device: no %s cookie", accessCookie)
	}
	return d
}

// status is the status and error code of GET /cookie/protected for the
// device.
func (d *device) status(t *testing.T) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", d.base+"/cookie/protected", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: accessCookie, Value: d.cookies[accessCookie]})
	resp := do(t, req)
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(resp.body, &e)
	return resp.StatusCode, e.Error
}

type httpResponse struct {
	*http.Response
	body []byte
}

var client = &http.Client{
	Timeout: stepTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func do(t *testing.T, req *http.Request) httpResponse {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: body: %v", req.Method, req.URL, err)
	}
	return httpResponse{resp, body}
}

func get(t *testing.T, url string) httpResponse {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// bodyOf is a short form of a response body for messages.
func bodyOf(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
