package ginpaseto_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		r := gin.New()
		r.GET(paseto.KeySetPath, ginpaseto.New(g, ginpaseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			return w.Result()
		}
	})
}
