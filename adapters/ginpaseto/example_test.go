package ginpaseto_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// The quick start: login, a protected route, a fresh-only route, refresh
// and logout.
func Example() {
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		log.Fatal(err)
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh,
		// Two tabs refreshing at once, or a client retrying a refresh whose
		// reply was lost, present the same refresh token twice: within the
		// grace period the second gets the same new pair instead of revoking
		// the session. The trade-off: for those seconds a stolen copy of that
		// refresh token is not caught as reuse.
		GracePeriod: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
	if err != nil {
		log.Fatal(err)
	}
	m := ginpaseto.New(guard, ginpaseto.Config{})

	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		// Check the user's credentials here, then:
		pair, err := auth.Login(c.Request.Context(), "alice", paseto.LoginOptions{})
		if err != nil {
			// The Guard's answer: 403 too_many_sessions at a session cap,
			// 503 with Retry-After when the store cannot answer.
			ginpaseto.DefaultErrorHandler(c, guard.ProblemFor(err, nil), err)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, pair)
	})
	r.GET("/protected", m.Required(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c)})
	})
	r.POST("/fresh", m.FreshRequired(), func(c *gin.Context) { c.Status(http.StatusOK) })
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
	// 401 {"error":"invalid_token","message":"invalid token"}
}

// Browser sessions in cookies: login sets HttpOnly access and refresh
// cookies and a CSRF cookie; unsafe requests must echo the CSRF value in
// the X-CSRF-Token header.
func ExampleMiddleware_LoginWithCookies() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh,
		GracePeriod: 10 * time.Second, // tabs refreshing at once get the same successor
	})
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{
		Cookies:         &paseto.CookieConfig{}, // RefreshPath "/": implicit refresh sees the refresh cookie
		ImplicitRefresh: 2 * time.Minute,        // rotate cookies when the access token nears expiry
	})
	if err != nil {
		log.Fatal(err)
	}
	m := ginpaseto.New(guard, ginpaseto.Config{})

	r := gin.New()
	r.POST("/session/login", func(c *gin.Context) {
		// Check the user's credentials here, then:
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.JSON(http.StatusOK, gin.H{"csrf_token": cs.CSRF})
	})
	r.POST("/session/refresh", m.RefreshHandler()) // reads the refresh cookie
	r.POST("/session/logout", m.LogoutHandler())   // revokes and clears the cookies
	r.POST("/cart", m.Required(), func(c *gin.Context) { c.Status(http.StatusOK) })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("POST", "/session/login", nil))
	var cookies []string
	for _, ck := range w.Result().Cookies() {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)

	for _, csrf := range []string{"", body.CSRF} {
		req := httptest.NewRequest("POST", "/cart", nil)
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		w = httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code)
	}
	// Output:
	// 403
	// 200
}

// Scopes: a route can demand all of some scopes (WithScopes) or any of
// them (WithAnyScope); "admin:*" grants every scope under "admin:".
func ExampleMiddleware_Required_scopes() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := ginpaseto.New(guard, ginpaseto.Config{})

	r := gin.New()
	r.GET("/admin/users", m.Required(paseto.WithScopes("admin:users:read")), func(c *gin.Context) {
		c.Status(http.StatusOK)
	})
	r.GET("/reports", m.Required(paseto.WithAnyScope("reports:read", "admin:*")), func(c *gin.Context) {
		c.Status(http.StatusOK)
	})

	ctx := context.Background()
	admin, _ := auth.Login(ctx, "root", paseto.LoginOptions{Scopes: []string{"admin:*"}})
	reader, _ := auth.Login(ctx, "bob", paseto.LoginOptions{Scopes: []string{"reports:read"}})
	for _, tc := range []struct{ path, token string }{
		{"/admin/users", admin.AccessToken},
		{"/admin/users", reader.AccessToken},
		{"/reports", reader.AccessToken},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(tc.path, " ", w.Code, " ", w.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// /admin/users 200
	// /admin/users 403 Bearer realm="api", error="insufficient_scope", error_description="token lacks the required scope", scope="admin:users:read"
	// /reports 200
}

// A route's own authorization check on the claims: return an error wrapping
// paseto.ErrInsufficientScope to answer 403 insufficient_scope; the handler
// does not run.
func ExampleMiddleware_Required_authorizer() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := ginpaseto.New(guard, ginpaseto.Config{})

	staffOnly := func(_ context.Context, c *paseto.Claims, _ time.Time) error {
		if tenant, _ := paseto.Claim[string](c, "tenant"); tenant != "staff" {
			return fmt.Errorf("%w: staff only", paseto.ErrInsufficientScope)
		}
		return nil
	}
	r := gin.New()
	r.GET("/internal", m.Required(paseto.WithRequirements(staffOnly)), func(c *gin.Context) {
		c.Status(http.StatusOK)
	})

	ctx := context.Background()
	for _, tenant := range []string{"staff", "customer"} {
		pair, _ := auth.Login(ctx, "alice", paseto.LoginOptions{Claims: map[string]any{"tenant": tenant}})
		req := httptest.NewRequest("GET", "/internal", nil)
		req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(tenant, " ", w.Code, " ", w.Body.String())))
	}
	// Output:
	// staff 200
	// customer 403 {"error":"insufficient_scope","message":"token lacks the required scope"}
}

// The session list: a user's signed-in devices and "sign this one out".
// The login passes ginpaseto.Device(c), so that each session is listed
// with the client it was opened from.
func ExampleMiddleware_SessionsHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh,
		MaxSessions: 10,                 // an eleventh login ends the oldest session
		KeepIP:      paseto.IPTruncated, // list the client's network, not its address
	})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := ginpaseto.New(guard, ginpaseto.Config{})

	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		// Check the user's credentials here, then:
		pair, err := auth.Login(c.Request.Context(), "alice", paseto.LoginOptions{Device: ginpaseto.Device(c)})
		if err != nil {
			p := guard.ProblemFor(err, nil) // 403 too_many_sessions with AtMaxSessions: RefuseNewSession
			c.AbortWithStatusJSON(p.Status, p.Body)
			return
		}
		c.JSON(http.StatusOK, pair)
	})
	r.GET("/sessions", m.SessionsHandler())
	r.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
	r.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())

	// Drive it as a client would: sign in from a phone and a laptop.
	send := func(method, path, token, userAgent string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil) // from 192.0.2.1
		req.Header.Set("User-Agent", userAgent)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	var phone, laptop paseto.TokenPair
	_ = json.Unmarshal(send("POST", "/login", "", "phone").Body.Bytes(), &phone)
	_ = json.Unmarshal(send("POST", "/login", "", "laptop").Body.Bytes(), &laptop)

	var list struct{ Sessions []paseto.SessionInfo }
	_ = json.Unmarshal(send("GET", "/sessions", laptop.AccessToken, "laptop").Body.Bytes(), &list)
	for _, s := range list.Sessions {
		if !s.Current { // the laptop signs the phone out
			fmt.Println("sign out", s.UserAgent, "at", s.IP+":", send("DELETE", "/sessions/"+s.ID, laptop.AccessToken, "laptop").Code)
		}
	}
	fmt.Println("the phone's token:", send("GET", "/sessions", phone.AccessToken, "phone").Code)
	// Output:
	// sign out phone at 192.0.2.0: 204
	// the phone's token: 401
}
