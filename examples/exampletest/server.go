// Package exampletest is the contract test kit of the example servers under
// examples/: it drives the HTTP contract they all implement (the routes of
// each example's README, specified by Contract and the other checks here)
// over real HTTP on a loopback port. Each
// example's main_test.go hands its run function to Start and calls Contract
// and the other checks here, so the examples are held to one specification
// and a new example passes by serving the same contract.
//
// It is public only so that an example copied out of this repository into a
// module of its own still builds and passes its tests with nothing but the
// pasetoauth requirement in go.mod. It is not a stable API: it follows the
// examples, and may change in any release along with them. A copy that
// changes the contract (its routes, its demo users) edits or drops the
// tests that check it; an application's own tests should not build on this
// package.
package exampletest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// RunFunc is an example's run function: it configures the server from
// getenv, serves on ln until ctx is done, shuts down and returns nil, or
// returns the error that kept it from serving.
type RunFunc func(ctx context.Context, getenv func(string) string, ln net.Listener, logger *slog.Logger) error

// Server is an example server started by Start.
type Server struct {
	// URL is the base URL, such as "http://127.0.0.1:41234".
	URL    string
	client *http.Client
	logs   *syncBuffer
}

// Logs returns what the server has logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Start runs the example on a free loopback port with the environment env
// (nothing else from the process environment) until the test ends, then
// checks that it shut down cleanly.
func Start(t testing.TB, run RunFunc, env map[string]string) *Server {
	t.Helper()
	s, _ := StartStoppable(t, run, env)
	return s
}

// StartStoppable is Start, and returns a function that shuts the server
// down and checks that it stopped cleanly, for a test that starts it
// again (a restart). The server is also stopped when the test ends.
func StartStoppable(t testing.TB, run RunFunc, env map[string]string) (*Server, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, Getenv(env), ln, logger(logs)) }()
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		client: &http.Client{Timeout: 20 * time.Second},
		logs:   logs,
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			s.client.CloseIdleConnections()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v after shutdown; log:\n%s", err, logs)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("run did not return within 20s of shutdown; log:\n%s", logs)
			}
		})
	}
	t.Cleanup(stop)
	// The listener is bound already, so this waits until the server
	// serves, and its start-up log is written.
	if r := s.Get(t, "/", ""); r.Status != http.StatusOK {
		t.Fatalf("GET / right after start: status %d; log:\n%s", r.Status, logs)
	}
	return s, stop
}

// StartupError runs the example with env and returns what it logged and
// the error it stopped with, failing the test if it serves instead.
func StartupError(t testing.TB, run RunFunc, env map[string]string) (logs string, err error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	buf := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = run(ctx, Getenv(env), ln, logger(buf))
	if err == nil {
		t.Fatalf("run with %v served until the deadline; want a start-up error", keysOf(env))
	}
	return buf.String(), err
}

func keysOf(env map[string]string) []string {
	var ks []string
	for k := range env {
		ks = append(ks, k)
	}
	return ks
}

// Getenv returns a getenv function over env only.
func Getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LocalKeys returns a new environment for v4.local access tokens.
func LocalKeys() map[string]string {
	return map[string]string{
		"PASETO_LOCAL_KEY":   paseto.GenerateSymmetricKey().PASERK(),
		"PASETO_REFRESH_KEY": paseto.GenerateSymmetricKey().PASERK(),
	}
}

// PublicKeys returns a new environment for v4.public access tokens.
func PublicKeys() map[string]string {
	return map[string]string{
		"PASETO_SECRET_KEY":  paseto.GenerateSecretKey().PASERK(),
		"PASETO_REFRESH_KEY": paseto.GenerateSymmetricKey().PASERK(),
	}
}

// With returns a copy of env with the pairs kv (key, value, key, value…)
// added.
func With(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// DemoPasswords are the documented demo users' passwords.
var DemoPasswords = map[string]string{"test": "test", "user1": "password1"}

// FastHash returns a bcrypt hash of password at the minimum cost. The
// examples' hashes have bcrypt's default cost, which takes about a second
// per login under the race detector; tests swap in these.
func FastHash(tb testing.TB, password string) string {
	tb.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	return string(h)
}

// Request is one request to a Server.
type Request struct {
	Method string
	Path   string
	// Bearer, when set, is sent as Authorization: Bearer.
	Bearer string
	// JSON, when not nil, is marshalled as the body, with Content-Type
	// application/json. Otherwise Body is sent with ContentType.
	JSON        any
	Body        string
	ContentType string
	Header      map[string]string
	// Jar, when set, supplies the request's cookies and takes the
	// response's Set-Cookie headers.
	Jar *Jar
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	// JSON is the body decoded as a JSON object; nil if it is not one.
	JSON    map[string]any
	Cookies []*http.Cookie
}

// Code is the body's "error" member, the library's machine code.
func (r *Response) Code() string {
	s, _ := r.JSON["error"].(string)
	return s
}

// Member is the body's member name as a string ("" when absent).
func (r *Response) Member(name string) string {
	s, _ := r.JSON[name].(string)
	return s
}

// Do sends req and reads the whole response.
func (s *Server) Do(t testing.TB, req Request) *Response {
	t.Helper()
	var body io.Reader
	ctype := req.ContentType
	switch {
	case req.JSON != nil:
		b, err := json.Marshal(req.JSON)
		if err != nil {
			t.Fatal(err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	case req.Body != "":
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequest(req.Method, s.URL+req.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if req.Bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Bearer)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	if req.Jar != nil {
		req.Jar.addTo(hr)
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.Path, err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Cookies: resp.Cookies()}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.JSON)
	}
	if req.Jar != nil {
		req.Jar.update(out.Cookies)
	}
	return out
}

// Jar keeps cookies for one browser. Unlike net/http/cookiejar it sends
// Secure cookies over plain HTTP, as browsers do for localhost.
type Jar struct {
	cookies map[string]*http.Cookie
}

// NewJar returns an empty Jar.
func NewJar() *Jar { return &Jar{cookies: map[string]*http.Cookie{}} }

// Get returns the value of the named cookie, or "".
func (j *Jar) Get(name string) string {
	if c, ok := j.cookies[name]; ok {
		return c.Value
	}
	return ""
}

// Set stores a cookie by hand, with Path "/".
func (j *Jar) Set(name, value string) {
	j.cookies[name] = &http.Cookie{Name: name, Value: value, Path: "/"}
}

// Delete drops the named cookie, as a browser does when it expires.
func (j *Jar) Delete(name string) { delete(j.cookies, name) }

// Clone copies the jar.
func (j *Jar) Clone() *Jar {
	c := NewJar()
	for k, v := range j.cookies {
		cp := *v
		c.cookies[k] = &cp
	}
	return c
}

func (j *Jar) update(cs []*http.Cookie) {
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c
	}
}

func (j *Jar) addTo(r *http.Request) {
	for _, c := range j.cookies {
		p := c.Path
		if p == "" {
			p = "/"
		}
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, strings.TrimSuffix(p, "/")+"/") {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}
