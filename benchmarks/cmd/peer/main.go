// Command peer is the other side of the HTTP load test (loadtest.sh): a
// server protecting GET /protected with a peer JWT middleware, answering
// the same JSON body as the examples' /protected route ({"expires_at",
// "fresh", "scopes", "user"}, from the token's claims).
//
//	go run ./cmd/peer -framework gin   # gin + appleboy/gin-jwt
//	go run ./cmd/peer -framework echo  # echo v4 + labstack/echo-jwt
//	go run ./cmd/peer -framework fiber # fiber v2 + gofiber/contrib/jwt
//
// It generates an HS256 key, prints one line, "token <JWT>", a token for
// the user test with the scopes the examples give it, valid for an hour,
// then serves on 127.0.0.1:PORT (-port) until interrupted.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ginjwt "github.com/appleboy/gin-jwt/v3"
	"github.com/gin-gonic/gin"
	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
)

// scopes are the demo user test's scopes in the examples.
var scopes = []string{"admin:*", "profile"}

func main() {
	framework := flag.String("framework", "gin", "gin, echo or fiber")
	port := flag.Int("port", 8100, "port on 127.0.0.1")
	flag.Parse()

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "test", "scope": strings.Join(scopes, " "),
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token", tok)

	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(*port))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch *framework {
	case "gin":
		err = serveHTTP(ctx, addr, ginServer(key))
	case "echo":
		err = serveHTTP(ctx, addr, echoServer(key))
	case "fiber":
		err = serveFiber(ctx, addr, fiberServer(key))
	default:
		err = fmt.Errorf("unknown framework %q", *framework)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// body is the examples' /protected answer, from the token's claims.
func body(c jwt.MapClaims) map[string]any {
	sub, _ := c["sub"].(string)
	scope, _ := c["scope"].(string)
	exp, _ := c.GetExpirationTime()
	var at time.Time
	if exp != nil {
		at = exp.Time
	}
	return map[string]any{"user": sub, "scopes": strings.Fields(scope), "fresh": false, "expires_at": at}
}

func ginServer(key []byte) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	mw, err := ginjwt.New(&ginjwt.GinJWTMiddleware{Realm: "api", Key: key})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.GET("/protected", mw.MiddlewareFunc(), func(c *gin.Context) {
		c.JSON(http.StatusOK, body(jwt.MapClaims(ginjwt.ExtractClaims(c))))
	})
	return r
}

func echoServer(key []byte) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/protected", func(c echo.Context) error {
		t, _ := c.Get("user").(*jwt.Token)
		claims, _ := t.Claims.(jwt.MapClaims)
		return c.JSON(http.StatusOK, body(claims))
	}, echojwt.WithConfig(echojwt.Config{SigningKey: key, NewClaimsFunc: func(echo.Context) jwt.Claims { return jwt.MapClaims{} }}))
	return e
}

func fiberServer(key []byte) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/protected", jwtware.New(jwtware.Config{SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: key}}),
		func(c *fiber.Ctx) error {
			t, _ := c.Locals("user").(*jwt.Token)
			claims, _ := t.Claims.(jwt.MapClaims)
			return c.JSON(body(claims))
		})
	return app
}

func serveHTTP(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func serveFiber(ctx context.Context, addr string, app *fiber.App) error {
	go func() {
		<-ctx.Done()
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	return app.Listen(addr)
}
