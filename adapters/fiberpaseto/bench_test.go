package fiberpaseto_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/valyala/fasthttp"
)

var okBody = []byte(`{"ok":true}`)

// BenchmarkProtectedGET: a GET through fiberpaseto with a valid access
// token (in-memory store), v4.local and v4.public, next to the same route
// without auth. It drives app.Handler() with a fasthttp.RequestCtx, as
// fiber's own benchmarks do.
func BenchmarkProtectedGET(b *testing.B) {
	for _, bc := range []struct {
		name         string
		public, auth bool
	}{{"v4.local", false, true}, {"v4.public", true, true}, {"no-auth", false, false}} {
		b.Run(bc.name, func(b *testing.B) {
			f := adaptertest.New(b, bc.public)
			h := func(c *fiber.Ctx) error {
				c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
				return c.Send(okBody)
			}
			app := fiber.New()
			if bc.auth {
				app.Get("/p", fiberpaseto.New(f.Guard, fiberpaseto.Config{}).Required(), h)
			} else {
				app.Get("/p", h)
			}
			handler := app.Handler()
			fctx := &fasthttp.RequestCtx{}
			fctx.Request.Header.SetMethod(fiber.MethodGet)
			fctx.Request.SetRequestURI("/p")
			fctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer "+f.Login(b, "alice").AccessToken)
			b.ReportAllocs()
			for b.Loop() {
				fctx.Response.Reset()
				handler(fctx)
			}
			if s := fctx.Response.StatusCode(); s != fiber.StatusOK {
				b.Fatalf("status %d", s)
			}
		})
	}
}
