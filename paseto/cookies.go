// Cookie sessions: the cookie settings, login with cookies, setting and
// clearing the session cookies, and the double-submit CSRF check.

package paseto

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CookieConfig describes the cookies of browser sessions. The access and
// refresh cookies are HttpOnly; the CSRF cookie is readable by the page's
// JavaScript, which echoes it in CSRFHeader on unsafe requests (double
// submit). The CSRF value is also bound to the session: its SHA-256 is a
// claim of the session's tokens, so a cookie planted by a sibling subdomain
// does not pass.
type CookieConfig struct {
	// Cookie names. Defaults: "__Host-access_token", "__Host-csrf_token",
	// and "__Host-refresh_token" when RefreshPath is "/", else
	// "__Secure-refresh_token" (__Host- cookies must have Path=/).
	AccessName, RefreshName, CSRFName string
	// CSRFHeader is the request header carrying the CSRF value. Default
	// "X-CSRF-Token".
	CSRFHeader string
	// RefreshPath scopes the refresh cookie to the refresh endpoint, so it
	// is not sent with every request. Default "/".
	RefreshPath string
	// SameSite defaults to http.SameSiteStrictMode. http.SameSiteNoneMode
	// needs Secure (browsers drop SameSite=None cookies without it), so it
	// cannot be combined with Insecure.
	SameSite http.SameSite
	// Insecure drops the Secure attribute and the __Host-/__Secure-
	// prefixes, for plain-HTTP development only.
	Insecure bool
}

func (c CookieConfig) withDefaults() (CookieConfig, error) {
	if c.RefreshPath == "" {
		c.RefreshPath = "/"
	}
	if !strings.HasPrefix(c.RefreshPath, "/") || strings.ContainsAny(c.RefreshPath, ";\r\n ") {
		return c, fmt.Errorf("%w: RefreshPath must be an absolute path", ErrConfig)
	}
	prefix, refreshPrefix := "__Host-", "__Host-"
	if c.RefreshPath != "/" {
		refreshPrefix = "__Secure-"
	}
	if c.Insecure {
		prefix, refreshPrefix = "", ""
	}
	setName(&c.AccessName, prefix+"access_token")
	setName(&c.RefreshName, refreshPrefix+"refresh_token")
	setName(&c.CSRFName, prefix+"csrf_token")
	setName(&c.CSRFHeader, "X-CSRF-Token")
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteStrictMode
	}
	for _, n := range []string{c.AccessName, c.RefreshName, c.CSRFName} {
		if strings.HasPrefix(n, "__Host-") || strings.HasPrefix(n, "__Secure-") {
			if c.Insecure {
				return c, fmt.Errorf("%w: cookie %q needs Secure; drop the prefix or Insecure", ErrConfig, n)
			}
		}
	}
	if c.SameSite == http.SameSiteNoneMode && c.Insecure {
		return c, fmt.Errorf("%w: SameSite=None needs Secure, which Insecure drops: browsers would refuse the cookies", ErrConfig)
	}
	if strings.HasPrefix(c.RefreshName, "__Host-") && c.RefreshPath != "/" {
		return c, fmt.Errorf("%w: __Host- cookies must have Path=/; use __Secure- for a scoped refresh cookie", ErrConfig)
	}
	return c, nil
}

func setName(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// CookieSession is the result of LoginWithCookies.
type CookieSession struct {
	Pair *TokenPair
	// CSRF is the double-submit value, also set in the CSRF cookie; the
	// client sends it back in the CSRF header on unsafe requests.
	CSRF string
}

// LoginWithCookies starts a cookie session for subject, whose credentials
// the app has just checked, like Auth.Login with o: it binds a new CSRF
// value to the session and sets the access, refresh and CSRF cookies on w.
// The returned session's CSRF value is also in the CSRF cookie; the client
// echoes it in the CSRF header on unsafe requests. o.CSRF is ignored: the
// Guard sets it. It fails with ErrConfig when GuardConfig.Cookies is nil,
// with the store's error when the session cannot be saved, and with
// [ErrCookieTooLarge] when a cookie would pass the 4096 bytes browsers
// keep (too many or too large custom claims or scopes): that session is
// ended at once. On failure no cookie is set.
func (g *Guard) LoginWithCookies(ctx context.Context, w Response, subject string, o LoginOptions) (*CookieSession, error) {
	if g.cfg.Cookies == nil {
		return nil, fmt.Errorf("%w: cookies are not enabled", ErrConfig)
	}
	var raw [32]byte
	rand.Read(raw[:])
	csrf := base64.RawURLEncoding.EncodeToString(raw[:])
	o.CSRF = csrfHash(csrf)
	pair, err := g.auth.Login(ctx, subject, o)
	if err != nil {
		return nil, err
	}
	cookies := g.sessionCookies(pair, csrf)
	for _, ck := range cookies {
		if len(ck) > maxCookieBytes {
			// A browser would drop the cookie without a word and the user
			// would seem to log in and stay logged out; the session could
			// never be used, so it ends here.
			err := fmt.Errorf("%w: %d bytes", ErrCookieTooLarge, len(ck))
			return nil, errors.Join(err, g.auth.Logout(ctx, pair.Access))
		}
	}
	setCookies(w, cookies)
	return &CookieSession{Pair: pair, CSRF: csrf}, nil
}

// maxCookieBytes is what browsers keep of one cookie: RFC 6265 section 6.1
// asks for at least 4096 bytes of name, value and attributes, and the
// major browsers drop a larger cookie without an error.
const maxCookieBytes = 4096

// SetSessionCookies sets the access and refresh cookies for pair and, when
// csrf is not empty, the CSRF cookie, and adds Cache-Control: no-store.
func (g *Guard) SetSessionCookies(w Response, pair *TokenPair, csrf string) {
	if g.cfg.Cookies == nil {
		return
	}
	setCookies(w, g.sessionCookies(pair, csrf))
}

// sessionCookies returns the Set-Cookie values of a session: access,
// refresh and, when csrf is not empty, CSRF.
func (g *Guard) sessionCookies(pair *TokenPair, csrf string) []string {
	c := g.cfg.Cookies
	now := g.auth.now()
	cookies := []string{
		g.cookie(c.AccessName, pair.AccessToken, "/", true, pair.AccessExpiresAt.Sub(now)),
		g.cookie(c.RefreshName, pair.RefreshToken, c.RefreshPath, true, pair.RefreshExpiresAt.Sub(now)),
	}
	if csrf != "" {
		cookies = append(cookies, g.cookie(c.CSRFName, csrf, "/", false, pair.RefreshExpiresAt.Sub(now)))
	}
	return cookies
}

func setCookies(w Response, cookies []string) {
	for _, ck := range cookies {
		w.AddHeader("Set-Cookie", ck)
	}
	// The response now carries tokens: no cache may keep it, whatever the
	// handler said (an implicit refresh rides on the app's own response).
	w.AddHeader("Cache-Control", "no-store")
}

// ClearSessionCookies expires the access, refresh and CSRF cookies, as
// Logout does, for apps that end a session their own way.
func (g *Guard) ClearSessionCookies(w Response) {
	c := g.cfg.Cookies
	if c == nil {
		return
	}
	w.AddHeader("Set-Cookie", g.cookie(c.AccessName, "", "/", true, -1))
	w.AddHeader("Set-Cookie", g.cookie(c.RefreshName, "", c.RefreshPath, true, -1))
	w.AddHeader("Set-Cookie", g.cookie(c.CSRFName, "", "/", false, -1))
}

func (g *Guard) cookie(name, value, path string, httpOnly bool, life time.Duration) string {
	maxAge := int(life / time.Second)
	if life < 0 || maxAge <= 0 {
		maxAge = -1 // Max-Age=0: delete now
	}
	ck := http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: httpOnly, Secure: !g.cfg.Cookies.Insecure, SameSite: g.cfg.Cookies.SameSite,
	}
	return ck.String()
}

func csrfHash(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// csrfRequirement checks the double submit for a cookie-borne token: the
// CSRF header must be present once, equal the CSRF cookie, and hash to the
// token's csrf claim. Comparisons are constant time.
func (g *Guard) csrfRequirement(r Request) Requirement {
	hdr := r.HeaderValues(g.cfg.Cookies.CSRFHeader)
	cookie := r.Cookie(g.cfg.Cookies.CSRFName)
	return func(_ context.Context, c *Claims, _ time.Time) error {
		if len(hdr) != 1 || hdr[0] == "" || cookie == "" || c.CSRF == "" {
			return ErrCSRF
		}
		same := subtle.ConstantTimeCompare([]byte(hdr[0]), []byte(cookie))
		bound := subtle.ConstantTimeCompare([]byte(csrfHash(hdr[0])), []byte(c.CSRF))
		if same&bound != 1 {
			return ErrCSRF
		}
		return nil
	}
}

// renewableCSRF returns the request's CSRF cookie value when it belongs to
// pair's session (its hash is the csrf claim), so that the CSRF cookie is
// set again with the new refresh token's lifetime instead of expiring
// before the session; "" otherwise, which leaves the CSRF cookie alone.
func (g *Guard) renewableCSRF(cookie string, pair *TokenPair) string {
	if cookie == "" || pair.Access == nil || pair.Access.CSRF == "" {
		return ""
	}
	if subtle.ConstantTimeCompare([]byte(csrfHash(cookie)), []byte(pair.Access.CSRF)) != 1 {
		return ""
	}
	return cookie
}
