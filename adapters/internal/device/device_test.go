package device

import (
	"testing"
	"unsafe"
)

func TestAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":             "192.0.2.7",
		" 192.0.2.7 ":           "192.0.2.7",
		"::ffff:192.0.2.7":      "192.0.2.7",
		"2001:DB8::1":           "2001:db8::1",
		"fe80::1%eth0":          "fe80::1",
		"":                      "",
		"garbage":               "",
		"192.0.2.7:8080":        "",
		"192.0.2.7, 203.0.113.": "",
		"[2001:db8::1]":         "",
	} {
		if got := Addr(in); got != want {
			t.Errorf("Addr(%q) = %q, want %q", in, got, want)
		}
	}
}

// The user agent is copied: a fasthttp request's memory is reused once
// the handler returns.
func TestNewCopiesTheUserAgent(t *testing.T) {
	buf := []byte("Mozilla/5.0 (test)")
	ua := unsafe.String(&buf[0], len(buf))
	d := New(ua, "garbage")
	copy(buf, "XXXXXXXXXXXXXXXXXX")
	if d.UserAgent != "Mozilla/5.0 (test)" || d.IP != "" {
		t.Fatalf("New = %+v, want the user agent kept and no IP", d)
	}
}
