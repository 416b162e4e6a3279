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
			http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(pair); err != nil {
			log.Printf("login reply: %v", err)
		}
	})
	mux.Handle("GET /protected", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"user":%q}`, httppaseto.Subject(r.Context()))
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
