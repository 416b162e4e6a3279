package benchmarks

import (
	"bytes"
	"fmt"
	"testing"

	jwtware "github.com/gofiber/contrib/v3/jwt"
	"github.com/gofiber/fiber/v3"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/valyala/fasthttp"
)

// BenchmarkFiberV3: GET /p on a fiber v3 App, driven in-process through
// app.Handler() with a fasthttp.RequestCtx as BenchmarkFiber does for v2,
// bare, through fiberv3paseto, through gofiber/contrib/v3/jwt (HS256, EdDSA)
// and, were it fetchable, through gofiber/contrib/v3/paseto.
//
// contrib/v3/jwt is pinned at v1.1.0: v1.1.1 has the same middleware code and
// only raises indirect requirements (fasthttp v1.70.0, which would move the
// fiber v2 rows off the root module's fasthttp), and v1.2.0 and later
// require fiber v3.4.0, not the v3.1.0 that fiberv3paseto is built against.
func BenchmarkFiberV3(b *testing.B) { runRows(b, fiberV3Rows) }

// contribV3PasetoUnavailable is why the contrib/v3/paseto rows are not
// measured: the module proxy serves no version of it.
const contribV3PasetoUnavailable = "github.com/gofiber/contrib/v3/paseto is not served by proxy.golang.org: no version list " +
	"(404; the direct fallback cannot reach github.com) and 403 Forbidden \"This module version is not available\" for " +
	"v1.0.0, v1.0.2, v1.0.3, v1.1.0, v1.1.1, v1.2.0, v1.2.1 and v1.3.0 (v1.0.1 resolves to github.com/gofiber/contrib v1.0.1, " +
	"which lacks the package)"

var fiberV3Rows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		app := fiber.New()
		app.Get("/p", fiberV3Handler(s, func(fiber.Ctx) string { return "" }))
		return fiberV3Fixture(app, "", s, "")
	}},
	{"fiberv3paseto.v4.local", func(tb testing.TB) fixture { return fiberV3Ours(tb, false, false) }},
	{"fiberv3paseto.v4.local+cache", func(tb testing.TB) fixture { return fiberV3Ours(tb, false, true) }},
	{"fiberv3paseto.v4.public", func(tb testing.TB) fixture { return fiberV3Ours(tb, true, false) }},
	{"fiberv3paseto.v4.public+cache", func(tb testing.TB) fixture { return fiberV3Ours(tb, true, true) }},
	{"contrib-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return fiberV3JWT(jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: k.hmac}, k.bearerHS)
	}},
	{"contrib-jwt.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return fiberV3JWT(jwtware.SigningKey{JWTAlg: "EdDSA", Key: k.edPub}, k.bearerEd)
	}},
	{"contrib-paseto.v2.local", func(tb testing.TB) fixture {
		unavailable(tb, contribV3PasetoUnavailable)
		return fixture{}
	}},
	{"contrib-paseto.v2.public", func(tb testing.TB) fixture {
		unavailable(tb, contribV3PasetoUnavailable)
		return fixture{}
	}},
}

func fiberV3Handler(s *seen, user func(fiber.Ctx) string) fiber.Handler {
	return func(c fiber.Ctx) error {
		s.ran(user(c))
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(okBody)
	}
}

// fiberV3Fixture drives app.Handler() with one reused fasthttp.RequestCtx,
// as fiberFixture does for v2 and fiber's own benchmarks do.
func fiberV3Fixture(app *fiber.App, auth string, s *seen, want string) fixture {
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

func fiberV3Ours(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	app := fiber.New()
	app.Get("/p", fiberv3paseto.New(o.guard, fiberv3paseto.Config{}).Required(), fiberV3Handler(s, func(c fiber.Ctx) string {
		return fiberv3paseto.Subject(c)
	}))
	return fiberV3Fixture(app, "Bearer "+o.token, s, subject)
}

func fiberV3JWT(key jwtware.SigningKey, auth string) fixture {
	s := &seen{}
	app := fiber.New()
	app.Get("/p", jwtware.New(jwtware.Config{SigningKey: key}), fiberV3Handler(s, func(c fiber.Ctx) string {
		return jwtSubject(jwtware.FromContext(c))
	}))
	return fiberV3Fixture(app, auth, s, subject)
}
