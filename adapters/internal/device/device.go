// Package device builds the paseto.Device the adapters' Device helpers
// return, from the user agent and client IP a framework reports.
package device

import (
	"net/netip"
	"strings"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// New returns the Device of a request whose User-Agent header is ua and
// whose client IP, as the framework reports it, is ip.
//
// ua is copied, so the Device stays valid after a fasthttp request's
// memory is reused. ip is kept only when it is an IP address, in its
// canonical form without a zone (a link-local IPv6 peer's "%eth0"): some
// frameworks report a proxy header's text unchecked (echo v4's RealIP
// without an IPExtractor, fiber's IP with a ProxyHeader), and a client
// must not make its own login fail by sending something else there, since
// Auth refuses a Device.IP that is not an IP address.
func New(ua, ip string) paseto.Device {
	return paseto.Device{UserAgent: strings.Clone(ua), IP: Addr(ip)}
}

// Addr returns s in canonical form when it is an IP address (an IPv4
// address mapped into IPv6 unmapped, the zone dropped), and "" otherwise.
func Addr(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.WithZone("").Unmap().String()
}
