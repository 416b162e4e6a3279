package httppaseto_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		mux := http.NewServeMux()
		mux.Handle("GET "+paseto.KeySetPath, httppaseto.New(g, httppaseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			return w.Result()
		}
	})
}
