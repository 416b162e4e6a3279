package stdhttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	cases := []struct {
		name, body string
		limit      int64
		want       string
		err        error
	}{
		{"empty", "", 8, "", nil},
		{"under the limit", "abc", 8, "abc", nil},
		{"at the limit", "12345678", 8, "12345678", nil},
		{"over the limit", "123456789", 8, "", ErrBodyTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			got, err := Request{R: r}.Body(c.limit)
			if !errors.Is(err, c.err) || string(got) != c.want {
				t.Fatalf("Body = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			if err != nil {
				return
			}
			// The body is put back for the handler.
			again, _ := io.ReadAll(r.Body)
			if string(again) != c.body {
				t.Errorf("handler reads %q after Body, want %q", again, c.body)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Body = nil
	if b, err := (Request{R: r}).Body(8); b != nil || err != nil {
		t.Errorf("nil body: %q, %v", b, err)
	}
}

func TestRequestView(t *testing.T) {
	r := httptest.NewRequest("DELETE", "/x?access_token=q&access_token=r", nil)
	r.Header.Add("Authorization", "Bearer a")
	r.Header.Add("Authorization", "Bearer b")
	r.Header.Set("Cookie", "c=v%20w; d=1")
	v := Request{R: r}
	if v.Method() != "DELETE" || v.Query("access_token") != "q" || v.Query("none") != "" {
		t.Errorf("method %q, query %q", v.Method(), v.Query("access_token"))
	}
	if got := v.HeaderValues("authorization"); len(got) != 2 {
		t.Errorf("HeaderValues = %q, want both values", got)
	}
	if v.Cookie("c") != "v%20w" || v.Cookie("missing") != "" {
		t.Errorf("Cookie returns %q: want the raw value", v.Cookie("c"))
	}
	h := http.Header{}
	Header(h).AddHeader("Set-Cookie", "a=1")
	Header(h).AddHeader("Set-Cookie", "b=2")
	if len(h.Values("Set-Cookie")) != 2 {
		t.Errorf("AddHeader replaced instead of adding: %v", h)
	}
}
