package ginpaseto_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// The quick start: login, a protected route, a fresh-only route, refresh
// and logout.
func Example() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := ginpaseto.New(guard)

	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		// Check the user's credentials here, then:
		pair, err := auth.Login(c.Request.Context(), "alice")
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.JSON(http.StatusOK, pair)
	})
	r.GET("/protected", m.Required(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c)})
	})
	r.POST("/fresh", m.Fresh(0), func(c *gin.Context) { c.Status(http.StatusOK) })
	r.POST("/refresh", m.RefreshHandler())
	r.POST("/logout", m.LogoutHandler())

	// Drive it as a client would.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("POST", "/login", strings.NewReader(`{}`)))
	var pair paseto.TokenPair
	_ = json.Unmarshal(w.Body.Bytes(), &pair)

	for _, token := range []string{pair.AccessToken, pair.RefreshToken} {
		req := httptest.NewRequest("GET", "/protected", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w = httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 {"user":"alice"}
	// 401 {"error":"token_invalid","message":"invalid token"}
}
