package fiberpaseto_test

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		app := fiber.New()
		app.Get(paseto.KeySetPath, fiberpaseto.New(g, fiberpaseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
	})
}
