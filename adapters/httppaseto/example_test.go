package httppaseto_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// The quick start: login, a protected route, a fresh-only route, refresh
// and logout, on the standard library's ServeMux (chi and other routers
// take the same func(http.Handler) http.Handler middleware).
func Example() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := httppaseto.New(guard, httppaseto.Config{})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// Check the user's credentials here, then:
		pair, err := auth.Login(r.Context(), "alice", paseto.LoginOptions{})
		if err != nil {
			// The Guard's answer: 403 too_many_sessions at a session cap,
			// 503 with Retry-After when the store cannot answer.
			httppaseto.DefaultErrorHandler(w, r, guard.ProblemFor(err, nil), err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := json.NewEncoder(w).Encode(pair); err != nil {
			log.Printf("login reply: %v", err)
		}
	})
	mux.Handle("GET /protected", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(map[string]string{"user": httppaseto.Subject(r.Context())}); err != nil {
			log.Printf("protected reply: %v", err)
		}
	})))
	mux.Handle("POST /fresh", m.FreshRequired()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.Handle("POST /refresh", m.RefreshHandler())
	mux.Handle("POST /logout", m.LogoutHandler())

	// Drive it as a client would.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	var pair paseto.TokenPair
	_ = json.Unmarshal(w.Body.Bytes(), &pair)

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "bearer "+pair.AccessToken) // the scheme is case-insensitive
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))

	req = httptest.NewRequest("POST", "/refresh", strings.NewReader(`{"refresh_token":"`+pair.RefreshToken+`"}`))
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	var next paseto.TokenPair
	_ = json.Unmarshal(w.Body.Bytes(), &next)
	fmt.Println(w.Code, next.TokenType, next.RefreshToken != pair.RefreshToken)
	// Output:
	// 200 {"user":"alice"}
	// 200 Bearer true
}

// The session list: a user's signed-in devices and "sign out everywhere
// else". The login passes httppaseto.Device(r), so that each session is
// listed with the client it was opened from.
func ExampleMiddleware_SessionsHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh, MaxSessions: 10})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := httppaseto.New(guard, httppaseto.Config{})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// Check the user's credentials here, then:
		pair, err := auth.Login(r.Context(), "alice", paseto.LoginOptions{Device: httppaseto.Device(r)})
		if err != nil {
			httppaseto.DefaultErrorHandler(w, r, guard.ProblemFor(err, nil), err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(pair)
	})
	mux.Handle("GET /sessions", m.SessionsHandler())
	mux.Handle("DELETE /sessions/{id}", m.RevokeSessionHandler("id"))
	mux.Handle("POST /sessions/revoke-others", m.RevokeOtherSessionsHandler())

	// Drive it as a client would: sign in from two devices, then sign the
	// other one out from the second.
	send := func(method, path, token, userAgent string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("User-Agent", userAgent)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	var phone, laptop paseto.TokenPair
	_ = json.Unmarshal(send("POST", "/login", "", "phone").Body.Bytes(), &phone)
	_ = json.Unmarshal(send("POST", "/login", "", "laptop").Body.Bytes(), &laptop)
	fmt.Println("sign out everywhere else:", send("POST", "/sessions/revoke-others", laptop.AccessToken, "laptop").Code)

	var list struct{ Sessions []paseto.SessionInfo }
	_ = json.Unmarshal(send("GET", "/sessions", laptop.AccessToken, "laptop").Body.Bytes(), &list)
	for _, s := range list.Sessions {
		fmt.Println("left:", s.UserAgent, s.Current)
	}
	fmt.Println("the phone's token:", send("GET", "/sessions", phone.AccessToken, "phone").Code)
	// Output:
	// sign out everywhere else: 204
	// left: laptop true
	// the phone's token: 401
}
