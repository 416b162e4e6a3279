package benchmarks

import (
	"net/http"
	"testing"

	ginjwt "github.com/appleboy/gin-jwt/v3"
	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// BenchmarkGin: GET /p on a gin.Engine, bare, through ginpaseto and through
// appleboy/gin-jwt (HS256, its defaults: header lookup, MapClaims).
func BenchmarkGin(b *testing.B) { runRows(b, ginRows) }

var ginRows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		r := gin.New()
		r.GET("/p", ginHandler(s, func(*gin.Context) string { return "" }))
		return serveFixture(r, "", s, "")
	}},
	{"ginpaseto.v4.local", func(tb testing.TB) fixture { return ginOurs(tb, false, false) }},
	{"ginpaseto.v4.local+cache", func(tb testing.TB) fixture { return ginOurs(tb, false, true) }},
	{"ginpaseto.v4.public", func(tb testing.TB) fixture { return ginOurs(tb, true, false) }},
	{"ginpaseto.v4.public+cache", func(tb testing.TB) fixture { return ginOurs(tb, true, true) }},
	{"gin-jwt.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		mw, err := ginjwt.New(&ginjwt.GinJWTMiddleware{Realm: "api", Key: k.hmac})
		if err != nil {
			tb.Fatal(err)
		}
		s := &seen{}
		r := gin.New()
		r.GET("/p", mw.MiddlewareFunc(), ginHandler(s, func(c *gin.Context) string {
			sub, _ := ginjwt.ExtractClaims(c)["sub"].(string)
			return sub
		}))
		return serveFixture(r, k.bearerHS, s, subject)
	}},
}

// ginHandler is the protected handler: it reads the user as the app would
// and answers 200 with a small JSON body.
func ginHandler(s *seen, user func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.ran(user(c))
		c.Data(http.StatusOK, "application/json", okBody)
	}
}

func ginOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	r := gin.New()
	r.GET("/p", ginpaseto.New(o.guard, ginpaseto.Config{}).Required(), ginHandler(s, ginpaseto.Subject))
	return serveFixture(r, "Bearer "+o.token, s, subject)
}
