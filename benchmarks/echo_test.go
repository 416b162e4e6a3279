package benchmarks

import (
	"net/http"
	"testing"

	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
)

// BenchmarkEcho: GET /p on an echo v4 Echo, bare, through echopaseto and
// through labstack/echo-jwt (HS256 and EdDSA, its defaults otherwise).
func BenchmarkEcho(b *testing.B) { runRows(b, echoRows) }

var echoRows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		e := echo.New()
		e.GET("/p", echoHandler(s, func(echo.Context) string { return "" }))
		return serveFixture(e, "", s, "")
	}},
	{"echopaseto.v4.local", func(tb testing.TB) fixture { return echoOurs(tb, false, false) }},
	{"echopaseto.v4.local+cache", func(tb testing.TB) fixture { return echoOurs(tb, false, true) }},
	{"echopaseto.v4.public", func(tb testing.TB) fixture { return echoOurs(tb, true, false) }},
	{"echopaseto.v4.public+cache", func(tb testing.TB) fixture { return echoOurs(tb, true, true) }},
	{"echo-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return echoJWT(tb, echojwt.Config{SigningKey: k.hmac}, k.bearerHS)
	}},
	{"echo-jwt.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return echoJWT(tb, echojwt.Config{SigningKey: k.edPub, SigningMethod: "EdDSA"}, k.bearerEd)
	}},
}

func echoHandler(s *seen, user func(echo.Context) string) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.ran(user(c))
		return c.JSONBlob(http.StatusOK, okBody)
	}
}

func echoOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	e := echo.New()
	e.GET("/p", echoHandler(s, echopaseto.Subject), echopaseto.New(o.guard, echopaseto.Config{}).Required())
	return serveFixture(e, "Bearer "+o.token, s, subject)
}

func echoJWT(tb testing.TB, cfg echojwt.Config, auth string) fixture {
	mw, err := cfg.ToMiddleware()
	if err != nil {
		tb.Fatal(err)
	}
	s := &seen{}
	e := echo.New()
	e.GET("/p", echoHandler(s, func(c echo.Context) string { return jwtSubject(c.Get("user")) }), mw)
	return serveFixture(e, auth, s, subject)
}
