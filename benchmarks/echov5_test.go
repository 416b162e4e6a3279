package benchmarks

import (
	"net/http"
	"testing"

	echojwt "github.com/labstack/echo-jwt/v5"
	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
)

// BenchmarkEchoV5: GET /p on an echo v5 Echo, bare, through echov5paseto and
// through labstack/echo-jwt/v5 (HS256 and EdDSA, its defaults otherwise).
func BenchmarkEchoV5(b *testing.B) { runRows(b, echoV5Rows) }

var echoV5Rows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		e := echo.New()
		e.GET("/p", echoV5Handler(s, func(*echo.Context) string { return "" }))
		return serveFixture(e, "", s, "")
	}},
	{"echov5paseto.v4.local", func(tb testing.TB) fixture { return echoV5Ours(tb, false, false) }},
	{"echov5paseto.v4.local+cache", func(tb testing.TB) fixture { return echoV5Ours(tb, false, true) }},
	{"echov5paseto.v4.public", func(tb testing.TB) fixture { return echoV5Ours(tb, true, false) }},
	{"echov5paseto.v4.public+cache", func(tb testing.TB) fixture { return echoV5Ours(tb, true, true) }},
	{"echo-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return echoV5JWT(tb, echojwt.Config{SigningKey: k.hmac}, k.bearerHS)
	}},
	{"echo-jwt.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return echoV5JWT(tb, echojwt.Config{SigningKey: k.edPub, SigningMethod: "EdDSA"}, k.bearerEd)
	}},
}

func echoV5Handler(s *seen, user func(*echo.Context) string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		s.ran(user(c))
		return c.JSONBlob(http.StatusOK, okBody)
	}
}

func echoV5Ours(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	e := echo.New()
	e.GET("/p", echoV5Handler(s, echov5paseto.Subject), echov5paseto.New(o.guard, echov5paseto.Config{}).Required())
	return serveFixture(e, "Bearer "+o.token, s, subject)
}

func echoV5JWT(tb testing.TB, cfg echojwt.Config, auth string) fixture {
	mw, err := cfg.ToMiddleware()
	if err != nil {
		tb.Fatal(err)
	}
	s := &seen{}
	e := echo.New()
	e.GET("/p", echoV5Handler(s, func(c *echo.Context) string { return jwtSubject(c.Get("user")) }), mw)
	return serveFixture(e, auth, s, subject)
}
