package httppaseto_test

import (
	"net/http"
	"testing"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the mux, the middleware and the handler.
type discard struct {
	h      http.Header
	status int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(status int)      { w.status = status }

var okBody = []byte(`{"ok":true}`)

// BenchmarkProtectedGET: a GET through httppaseto with a valid access
// token (in-memory store), v4.local and v4.public, next to the same route
// without auth, on a http.ServeMux.
func BenchmarkProtectedGET(b *testing.B) {
	for _, bc := range []struct {
		name         string
		public, auth bool
	}{{"v4.local", false, true}, {"v4.public", true, true}, {"no-auth", false, false}} {
		b.Run(bc.name, func(b *testing.B) {
			f := adaptertest.New(b, bc.public)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				w.Write(okBody)
			})
			if bc.auth {
				h = httppaseto.New(f.Guard, httppaseto.Config{}).Required()(h)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /p", h)
			req := get("/p", f.Login(b, "alice").AccessToken)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				mux.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}
