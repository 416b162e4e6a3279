package benchmarks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pasetoauth/pasetoauth/paseto"
)

const (
	issuer  = "https://api.example.com"
	subject = "user-1234"
	// cacheSize is the VerifierConfig.CacheSize of the +cache rows; one token is
	// repeated, so any size would do.
	cacheSize = 10_000
)

var okBody = []byte(`{"ok":true}`)

// A row is one benchmark: setup builds it (and fails the benchmark if it
// cannot), check proves once, before timing, that the setup does the real
// work, and op is the timed operation, which reports any iteration that did
// not succeed.
type row struct {
	name  string
	setup func(tb testing.TB) fixture
}

type fixture struct {
	op    func() error
	check func() error
}

// runRows runs rows as sub-benchmarks of b.
func runRows(b *testing.B, rows []row) {
	for _, r := range rows {
		b.Run(r.name, func(b *testing.B) {
			f := r.setup(b)
			if err := f.check(); err != nil {
				b.Fatalf("setup check: %v", err)
			}
			b.ReportAllocs()
			// cpu-ns/op: the thread's CPU time per operation, which a
			// busy machine inflates far less than ns/op (it leaves out
			// waiting for a CPU, and the GC's background work).
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start, ok := threadCPU()
			for b.Loop() {
				if err := f.op(); err != nil {
					b.Fatal(err)
				}
			}
			if end, ok2 := threadCPU(); ok && ok2 && b.N > 0 {
				b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// unavailable skips a row that cannot be measured, saying why in a line that
// cmd/chart reads back from the raw output (and benchstat ignores).
func unavailable(tb testing.TB, reason string) {
	tb.Helper()
	if _, ok := tb.(*testing.B); ok {
		fmt.Printf("UNAVAILABLE\t%s\t%s\n", tb.Name(), reason)
	}
	tb.Skip(reason)
}

// enableAccessCache turns on the verified-token cache of the Auth that cfg
// builds (paseto.Config.CacheSize).
func enableAccessCache(cfg *paseto.Config, size int) error {
	cfg.CacheSize = size
	return nil
}

// ours is this library set up as an application would: an Auth over fresh
// keys with the default in-memory store (so every verification includes the
// session lookup), a header-only Guard, and one logged-in user.
type ours struct {
	auth   *paseto.Auth
	guard  *paseto.Guard
	sym    paseto.SymmetricKey // access key, v4.local
	secret paseto.SecretKey    // access key, v4.public
	token  string              // access token of subject
}

func newOurs(tb testing.TB, public, cached bool) *ours {
	tb.Helper()
	o := &ours{sym: paseto.GenerateSymmetricKey(), secret: paseto.GenerateSecretKey()}
	var access *paseto.KeyRing
	var err error
	if public {
		access, err = paseto.NewPublicKeyRing(o.secret)
	} else {
		access, err = paseto.NewLocalKeyRing(o.sym)
	}
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Issuer: issuer,
		Logger: slog.New(slog.DiscardHandler),
	}
	if cached {
		if err := enableAccessCache(&cfg, cacheSize); err != nil {
			unavailable(tb, err.Error())
		}
	}
	if o.auth, err = paseto.New(cfg); err != nil {
		tb.Fatal(err)
	}
	if o.guard, err = paseto.NewGuard(o.auth, paseto.GuardConfig{}); err != nil {
		tb.Fatal(err)
	}
	pair, err := o.auth.Login(context.Background(), subject, paseto.LoginOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	o.token = pair.AccessToken
	return o
}

// cachedVerifier is a Verifier with the same checks as the Auth's access
// verifier (issuer, type, the store's session check) plus a cache (VerifierConfig.CacheSize).
func (o *ours) cachedVerifier(tb testing.TB) *paseto.Verifier {
	tb.Helper()
	v, err := paseto.NewVerifier(o.auth.Config().AccessKeys, paseto.TypeAccess, paseto.VerifierConfig{Issuer: issuer, Sessions: o.auth.Store(), CacheSize: cacheSize})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// checkClaims reports whether c is the claims of our logged-in user.
func checkClaims(c *paseto.Claims) error {
	if c == nil || c.Subject != subject || c.Type != paseto.TypeAccess {
		return fmt.Errorf("unexpected claims %+v", c)
	}
	return nil
}

// jwtKeys are the peers' keys and one token each, carrying the same claims
// as our access token (iss, sub, exp, nbf, iat, jti, type, sid, fresh,
// auth_time), with numeric dates as JWT has them.
type jwtKeys struct {
	hmac     []byte
	edPriv   ed25519.PrivateKey
	edPub    ed25519.PublicKey
	hs256    string
	eddsa    string
	bearerHS string
	bearerEd string
}

func newJWTKeys(tb testing.TB) *jwtKeys {
	tb.Helper()
	k := &jwtKeys{hmac: make([]byte, 32)}
	rand.Read(k.hmac)
	var err error
	if k.edPub, k.edPriv, err = ed25519.GenerateKey(rand.Reader); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": issuer, "sub": subject, "jti": randomID(), "type": "access",
		"sid": randomID(), "fresh": true, "auth_time": now.Unix(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(paseto.DefaultAccessLifetime).Unix(),
	}
	if k.hs256, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(k.hmac); err != nil {
		tb.Fatal(err)
	}
	if k.eddsa, err = jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(k.edPriv); err != nil {
		tb.Fatal(err)
	}
	k.bearerHS, k.bearerEd = "Bearer "+k.hs256, "Bearer "+k.eddsa
	return k
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtSubject returns the sub of a verified golang-jwt token, as the
// handlers behind the peer middlewares read it.
func jwtSubject(t any) string {
	tok, ok := t.(*jwt.Token)
	if !ok || tok == nil || !tok.Valid {
		return ""
	}
	s, _ := tok.Claims.GetSubject()
	return s
}

// seen counts the runs of a protected handler and remembers the subject it
// saw last, so a check can tell that the request got through the middleware
// to the handler with the token's claims. Requests run one at a time on the
// benchmark's goroutine, so plain fields do (and recording allocates nothing).
type seen struct {
	runs    int64
	subject string
}

func (s *seen) ran(sub string) {
	s.runs++
	s.subject = sub
}

// verify checks the handler ran once since runs was before and saw want.
func (s *seen) verify(before int64, want string) error {
	if s.runs != before+1 {
		return fmt.Errorf("handler ran %d times, want 1", s.runs-before)
	}
	if s.subject != want {
		return fmt.Errorf("handler saw subject %q, want %q", s.subject, want)
	}
	return nil
}

// discard is the ResponseWriter of the timed loop: it keeps the status and
// nothing else, so the loop measures the router, the middleware and the
// handler, not a recorder's buffers. The check before timing uses an
// httptest.ResponseRecorder and looks at the whole response.
type discard struct {
	h      http.Header
	status int
}

func (w *discard) Header() http.Header { return w.h }
func (w *discard) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
func (w *discard) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discard) reset() {
	clear(w.h)
	w.status = 0
}

// serveLoop returns the op of a net/http-style row: one request through h,
// failing unless it answered 200 and the handler ran.
func serveLoop(h http.Handler, req *http.Request, s *seen) func() error {
	w := &discard{h: http.Header{}}
	return func() error {
		w.reset()
		before := s.runs
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || s.runs != before+1 {
			return fmt.Errorf("status %d, handler runs %d", w.status, s.runs-before)
		}
		return nil
	}
}

// getRequest is GET /p with the Authorization header set when auth is not "".
func getRequest(auth string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, "/p", nil)
	if err != nil {
		panic(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

// body is a helper for checks: the first 200 bytes of a response body.
func body(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}

// serveCheck returns the check of a net/http-style row: one request through
// h into an httptest.ResponseRecorder, which must be a 200 with the
// handler's body, the handler having run once and seen want.
func serveCheck(h http.Handler, req *http.Request, s *seen, want string) func() error {
	return func() error {
		before := s.runs
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != string(okBody) {
			return fmt.Errorf("status %d, body %q", rec.Code, body(rec.Body.Bytes()))
		}
		return s.verify(before, want)
	}
}

// serveFixture is the fixture of a row that drives an http.Handler.
func serveFixture(h http.Handler, auth string, s *seen, want string) fixture {
	req := getRequest(auth)
	return fixture{op: serveLoop(h, req, s), check: serveCheck(h, req, s, want)}
}
