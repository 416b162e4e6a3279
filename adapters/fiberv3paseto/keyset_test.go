package fiberv3paseto_test

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		app := fiber.New()
		app.Get(paseto.KeySetPath, fiberv3paseto.New(g, fiberv3paseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			resp, err := app.Test(req, noTimeout)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
	})
}
