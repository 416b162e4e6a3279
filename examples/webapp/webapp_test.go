package webapp

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestHeaders(t *testing.T) {
	for _, tc := range []struct {
		name        string
		h           http.Handler
		body        []byte
		contentType string
	}{
		{"page", Page, pageHTML, "text/html; charset=utf-8"},
		{"script", Script, scriptJS, "text/javascript; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, httptest.NewRequest(method, "/app", nil))
				if w.Code != http.StatusOK {
					t.Fatalf("%s: status %d", method, w.Code)
				}
				for name, want := range map[string]string{
					"Content-Type":            tc.contentType,
					"Cache-Control":           "no-store",
					"Content-Security-Policy": ContentSecurityPolicy,
					"X-Content-Type-Options":  "nosniff",
					"Content-Length":          strconv.Itoa(len(tc.body)),
				} {
					if got := w.Header().Get(name); got != want {
						t.Errorf("%s: %s %q, want %q", method, name, got, want)
					}
				}
				want := string(tc.body)
				if method == http.MethodHead {
					want = ""
				}
				if w.Body.String() != want {
					t.Errorf("%s: body of %d bytes, want %d", method, w.Body.Len(), len(want))
				}
			}
			for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, httptest.NewRequest(method, "/app", nil))
				if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
					t.Errorf("%s: status %d, Allow %q; want 405 and GET, HEAD", method, w.Code, w.Header().Get("Allow"))
				}
			}
		})
	}
}

// The policy allows scripts from the page's origin only, and the page
// keeps to it: one external script, at ScriptPath, and no inline script,
// event handler attribute, style or javascript: URL.
func TestPageKeepsToItsPolicy(t *testing.T) {
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(ContentSecurityPolicy, directive) {
			t.Errorf("ContentSecurityPolicy lacks %q", directive)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Errorf("ContentSecurityPolicy allows something unsafe: %s", ContentSecurityPolicy)
	}
	page := string(pageHTML)
	scripts := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d script elements, want 1", len(scripts))
	}
	if attrs, body := scripts[0][1], scripts[0][2]; !strings.Contains(attrs, `src="`+ScriptPath+`"`) || strings.TrimSpace(body) != "" {
		t.Errorf("script element <script%s>%s</script>: want src=%q and no inline code", attrs, body, ScriptPath)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)<style\b|\sstyle\s*=`),
		regexp.MustCompile(`(?i)(href|src|action)\s*=\s*["']?\s*javascript:`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("the page holds %q, which its policy refuses", m)
		}
	}
}

// The script writes the server's strings as text: it uses no sink that
// parses HTML or code (Trusted Types would refuse them at run time).
func TestScriptUsesNoHTMLSinks(t *testing.T) {
	js := string(scriptJS)
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"", "createContextualFragment", "DOMParser"} {
		if strings.Contains(js, sink) {
			t.Errorf("app.js uses %s", sink)
		}
	}
	for _, route := range []string{"/cookie/login", "/cookie/protected", "/cookie/fresh", "/cookie/fresh-login", "/cookie/session/refresh", "/cookie/session/logout", "/cookie/sessions"} {
		if !strings.Contains(js, `"`+route+`"`) {
			t.Errorf("app.js does not call %s", route)
		}
	}
}

// The handlers share nothing mutable: concurrent requests (go test -race)
// get the same bytes.
func TestConcurrentRequests(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, want := Page, pageHTML
			if i%2 == 1 {
				h, want = Script, scriptJS
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/app", nil))
			if w.Code != http.StatusOK || w.Body.String() != string(want) {
				t.Errorf("request %d: status %d, %d bytes", i, w.Code, w.Body.Len())
			}
		}()
	}
	wg.Wait()
}
