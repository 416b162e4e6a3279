package benchmarks

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	jwtware "github.com/gofiber/contrib/jwt"
	pasetoware "github.com/gofiber/contrib/paseto"
	"github.com/gofiber/fiber/v2"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/valyala/fasthttp"
)

// BenchmarkFiber: GET /p on a fiber v2 App, driven in-process through
// app.Handler() with a fasthttp.RequestCtx (no network, unlike app.Test),
// bare, through fiberpaseto, through gofiber/contrib jwt (HS256, EdDSA) and
// through gofiber/contrib paseto, which speaks PASETO v2 (o1egl/paseto) only.
func BenchmarkFiber(b *testing.B) { runRows(b, fiberRows) }

var fiberRows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		app := fiber.New()
		app.Get("/p", fiberHandler(s, func(*fiber.Ctx) string { return "" }))
		return fiberFixture(app, "", s, "")
	}},
	{"fiberpaseto.v4.local", func(tb testing.TB) fixture { return fiberOurs(tb, false, false) }},
	{"fiberpaseto.v4.local+cache", func(tb testing.TB) fixture { return fiberOurs(tb, false, true) }},
	{"fiberpaseto.v4.public", func(tb testing.TB) fixture { return fiberOurs(tb, true, false) }},
	{"fiberpaseto.v4.public+cache", func(tb testing.TB) fixture { return fiberOurs(tb, true, true) }},
	{"contrib-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return fiberJWT(jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: k.hmac}, k.bearerHS)
	}},
	{"contrib-jwt.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return fiberJWT(jwtware.SigningKey{JWTAlg: "EdDSA", Key: k.edPub}, k.bearerEd)
	}},
	{"contrib-paseto.v2.local", func(tb testing.TB) fixture {
		key := make([]byte, 32)
		copy(key, randomID())
		tok, err := pasetoware.CreateToken(key, subject, 15*time.Minute, pasetoware.PurposeLocal)
		if err != nil {
			tb.Fatal(err)
		}
		return fiberPaseto(pasetoware.Config{SymmetricKey: key, TokenPrefix: "Bearer"}, tok)
	}},
	{"contrib-paseto.v2.public", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		tok, err := pasetoware.CreateToken(k.edPriv, subject, 15*time.Minute, pasetoware.PurposePublic)
		if err != nil {
			tb.Fatal(err)
		}
		// contrib paseto's public mode wants the private key too.
		return fiberPaseto(pasetoware.Config{PrivateKey: k.edPriv, PublicKey: ed25519.PublicKey(k.edPub), TokenPrefix: "Bearer"}, tok)
	}},
}

func fiberHandler(s *seen, user func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s.ran(user(c))
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(okBody)
	}
}

// fiberFixture drives app.Handler() with one reused fasthttp.RequestCtx, as
// fiber's own benchmarks do.
func fiberFixture(app *fiber.App, auth string, s *seen, want string) fixture {
	handler := app.Handler()
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodGet)
	fctx.Request.SetRequestURI("/p")
	if auth != "" {
		fctx.Request.Header.Set(fiber.HeaderAuthorization, auth)
	}
	op := func() error {
		fctx.Response.Reset()
		before := s.runs
		handler(fctx)
		if st := fctx.Response.StatusCode(); st != fiber.StatusOK || s.runs != before+1 {
			return fmt.Errorf("status %d, handler runs %d", st, s.runs-before)
		}
		return nil
	}
	check := func() error {
		fctx.Response.Reset()
		before := s.runs
		handler(fctx)
		if st, b := fctx.Response.StatusCode(), fctx.Response.Body(); st != fiber.StatusOK || !bytes.Equal(b, okBody) {
			return fmt.Errorf("status %d, body %q", st, body(b))
		}
		return s.verify(before, want)
	}
	return fixture{op: op, check: check}
}

func fiberOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	app := fiber.New()
	app.Get("/p", fiberpaseto.New(o.guard, fiberpaseto.Config{}).Required(), fiberHandler(s, fiberpaseto.Subject))
	return fiberFixture(app, "Bearer "+o.token, s, subject)
}

func fiberJWT(key jwtware.SigningKey, auth string) fixture {
	s := &seen{}
	app := fiber.New()
	app.Get("/p", jwtware.New(jwtware.Config{SigningKey: key}), fiberHandler(s, func(c *fiber.Ctx) string {
		return jwtSubject(c.Locals("user"))
	}))
	return fiberFixture(app, auth, s, subject)
}

func fiberPaseto(cfg pasetoware.Config, tok string) fixture {
	s := &seen{}
	app := fiber.New()
	app.Get("/p", pasetoware.New(cfg), fiberHandler(s, func(c *fiber.Ctx) string {
		// The default validator stores the token's "data" claim.
		sub, _ := c.Locals(pasetoware.DefaultContextKey).(string)
		return sub
	}))
	return fiberFixture(app, "Bearer "+tok, s, subject)
}
