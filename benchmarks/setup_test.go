package benchmarks

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	fiberv3 "github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"
	echov5 "github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/grpcpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
)

// allRows is every benchmark's rows, by benchmark.
var allRows = map[string][]row{
	"Floor":   floorRows,
	"Token":   tokenRows,
	"Gin":     ginRows,
	"Echo":    echoRows,
	"EchoV5":  echoV5Rows,
	"Fiber":   fiberRows,
	"FiberV3": fiberV3Rows,
	"HTTP":    httpRows,
	"GRPC":    grpcRows,
}

// TestSetups runs each row's check and a few timed operations without
// timing them: every setup must answer 200 (or verify) with the handler
// having run and seen the token's subject. Rows that cannot be measured are
// skipped with the reason.
func TestSetups(t *testing.T) {
	for bench, rows := range allRows {
		for _, r := range rows {
			t.Run(bench+"/"+r.name, func(t *testing.T) {
				f := r.setup(t)
				if err := f.check(); err != nil {
					t.Fatalf("check: %v", err)
				}
				for range 3 {
					if err := f.op(); err != nil {
						t.Fatalf("op: %v", err)
					}
				}
			})
		}
	}
}

// TestChecksCatchBrokenSetups: a setup whose requests are refused, or never
// reach the handler, must fail its check and every timed operation.
func TestChecksCatchBrokenSetups(t *testing.T) {
	other := newOurs(t, false, false) // a token under another key
	broken := map[string]fixture{
		"net/http, wrong key": func() fixture {
			o := newOurs(t, false, false)
			s := &seen{}
			h := httppaseto.New(o.guard, httppaseto.Config{}).Required()(httpHandler(s, func(*http.Request) string { return subject }))
			return serveFixture(httpMux(h), "Bearer "+other.token, s, subject)
		}(),
		"gin, no token": func() fixture {
			o := newOurs(t, false, false)
			s := &seen{}
			r := gin.New()
			r.GET("/p", ginpaseto.New(o.guard, ginpaseto.Config{}).Required(), ginHandler(s, ginpaseto.Subject))
			return serveFixture(r, "", s, subject)
		}(),
		"fiber, wrong key": func() fixture {
			o := newOurs(t, true, false)
			s := &seen{}
			app := fiber.New()
			app.Get("/p", fiberpaseto.New(o.guard, fiberpaseto.Config{}).Required(), fiberHandler(s, fiberpaseto.Subject))
			return fiberFixture(app, "Bearer "+newOurs(t, true, false).token, s, subject)
		}(),
		"fiber v3, wrong key": func() fixture {
			o := newOurs(t, false, false)
			s := &seen{}
			app := fiberv3.New()
			app.Get("/p", fiberv3paseto.New(o.guard, fiberv3paseto.Config{}).Required(), fiberV3Handler(s, func(c fiberv3.Ctx) string {
				return fiberv3paseto.Subject(c)
			}))
			return fiberV3Fixture(app, "Bearer "+other.token, s, subject)
		}(),
		"echo v5, no token": func() fixture {
			o := newOurs(t, true, false)
			s := &seen{}
			e := echov5.New()
			e.GET("/p", echoV5Handler(s, echov5paseto.Subject), echov5paseto.New(o.guard, echov5paseto.Config{}).Required())
			return serveFixture(e, "", s, subject)
		}(),
		"handler that never runs": func() fixture {
			s := &seen{}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /p", func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) })
			return serveFixture(mux, "", s, "")
		}(),
		"grpc, wrong key": func() fixture {
			o := newOurs(t, false, false)
			in := grpcpaseto.New(o.guard, grpcpaseto.Config{})
			return grpcFixture(in.Unary(), "Bearer "+other.token, &seen{}, subject, grpcpaseto.Subject)
		}(),
		"grpc-middleware auth, wrong key": grpcMiddlewareAuth(jwt.SigningMethodHS256, []byte("not the key"), newJWTKeys(t).bearerHS),
		"verifier, other token":           verifierFixture(newOurs(t, false, false).auth.AccessVerifier(), other.token),
		"jwt, wrong key":                  jwtFixture(newJWTKeys(t).hs256, "HS256", []byte("not the key")),
	}
	for name, f := range broken {
		if err := f.check(); err == nil {
			t.Errorf("%s: check passed", name)
		}
		if err := f.op(); err == nil {
			t.Errorf("%s: op passed", name)
		}
	}
}
