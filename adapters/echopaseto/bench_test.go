package echopaseto_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the router, the middleware and the handler.
type discard struct {
	h      http.Header
	status int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(status int)      { w.status = status }

var okBody = []byte(`{"ok":true}`)

// BenchmarkProtectedGET: a GET through echopaseto with a valid access token
// (in-memory store), v4.local and v4.public, next to the same route without
// auth.
func BenchmarkProtectedGET(b *testing.B) {
	for _, bc := range []struct {
		name         string
		public, auth bool
	}{{"v4.local", false, true}, {"v4.public", true, true}, {"no-auth", false, false}} {
		b.Run(bc.name, func(b *testing.B) {
			f := adaptertest.New(b, bc.public)
			h := func(c echo.Context) error { return c.JSONBlob(http.StatusOK, okBody) }
			e := echo.New()
			if bc.auth {
				e.GET("/p", h, echopaseto.New(f.Guard, echopaseto.Config{}).Required())
			} else {
				e.GET("/p", h)
			}
			req := get("/p", f.Login(b, "alice").AccessToken)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				e.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}
