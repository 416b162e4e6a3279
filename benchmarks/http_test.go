package benchmarks

import (
	"net/http"
	"testing"

	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
)

// BenchmarkHTTP: GET /p on a net/http ServeMux, bare, through httppaseto and
// through go-chi/jwtauth (Verifier then Authenticator, HS256 and EdDSA), the
// net/http middleware chi and plain-mux users reach for.
func BenchmarkHTTP(b *testing.B) { runRows(b, httpRows) }

var httpRows = []row{
	{"bare", func(tb testing.TB) fixture {
		s := &seen{}
		return serveFixture(httpMux(httpHandler(s, func(*http.Request) string { return "" })), "", s, "")
	}},
	{"httppaseto.v4.local", func(tb testing.TB) fixture { return httpOurs(tb, false, false) }},
	{"httppaseto.v4.local+cache", func(tb testing.TB) fixture { return httpOurs(tb, false, true) }},
	{"httppaseto.v4.public", func(tb testing.TB) fixture { return httpOurs(tb, true, false) }},
	{"httppaseto.v4.public+cache", func(tb testing.TB) fixture { return httpOurs(tb, true, true) }},
	{"jwtauth.HS256", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return httpJWTAuth(jwtauth.New("HS256", k.hmac, nil), k.bearerHS)
	}},
	{"jwtauth.EdDSA", func(tb testing.TB) fixture {
		k := newJWTKeys(tb)
		return httpJWTAuth(jwtauth.New("EdDSA", k.edPriv, k.edPub), k.bearerEd)
	}},
}

func httpHandler(s *seen, user func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ran(user(r))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(okBody)
	})
}

func httpMux(h http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /p", h)
	return mux
}

func httpOurs(tb testing.TB, public, cached bool) fixture {
	o := newOurs(tb, public, cached)
	s := &seen{}
	h := httppaseto.New(o.guard, httppaseto.Config{}).Required()(httpHandler(s, func(r *http.Request) string {
		return httppaseto.Subject(r.Context())
	}))
	return serveFixture(httpMux(h), "Bearer "+o.token, s, subject)
}

func httpJWTAuth(ja *jwtauth.JWTAuth, auth string) fixture {
	s := &seen{}
	h := jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(httpHandler(s, func(r *http.Request) string {
		// The token itself, not FromContext, which would copy every claim
		// into a map a second time (Authenticator already did once).
		t, _ := r.Context().Value(jwtauth.TokenCtxKey).(jwt.Token)
		if t == nil {
			return ""
		}
		return t.Subject()
	})))
	return serveFixture(httpMux(h), auth, s, subject)
}
