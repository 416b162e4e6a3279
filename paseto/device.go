// Devices: what a session records about the client that opened it, for
// the "active sessions" page, bounded in size and with the IP kept only as
// far as Config.KeepIP allows.

package paseto

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Device is what a session is listed with: the client that opened it, as
// the adapter saw it (the adapters' Device helpers fill UserAgent and IP
// from the request), and a label of the application's choosing, such as
// "Firefox on Linux". Every field is optional.
//
// Auth bounds what is stored: UserAgent is cut to MaxUserAgentBytes and
// Label to MaxLabelBytes (at a character boundary, control characters
// removed), and IP is kept as Config.KeepIP says. At most about 330 bytes
// per session.
type Device struct {
	UserAgent string `json:"user_agent"`
	// IP is the client's address: an IPv4 or IPv6 address in text form.
	// Auth refuses anything else with ErrConfig, whatever Config.KeepIP
	// says (the adapters' Device helpers leave out what is not one).
	IP    string `json:"ip,omitempty"`
	Label string `json:"label,omitempty"`
}

// Bounds on Device fields, in bytes.
const (
	MaxUserAgentBytes = 256
	MaxLabelBytes     = 64
)

// IPRetention is how much of a client's IP address a session keeps.
type IPRetention uint8

const (
	// IPOff keeps no IP address: the default.
	IPOff IPRetention = iota
	// IPTruncated keeps the network only: an IPv4 address to its /24, an
	// IPv6 address to its /48 (the last octet, or the last 80 bits, are
	// zeroed; a 6to4 address, which embeds an IPv4 address, to its /40).
	// Enough to tell "home" from "abroad", not to single out one client.
	IPTruncated
	// IPFull keeps the whole address.
	IPFull
)

func (r IPRetention) valid() bool { return r <= IPFull }

// device bounds and cleans d for storing, as Device documents.
func (a *Auth) device(d Device) (Device, error) {
	out := Device{UserAgent: clip(d.UserAgent, MaxUserAgentBytes), Label: clip(d.Label, MaxLabelBytes)}
	if d.IP == "" {
		return out, nil
	}
	// Checked whatever KeepIP says, so that turning retention on never
	// turns working logins into failing ones.
	ip, err := netip.ParseAddr(strings.TrimSpace(d.IP))
	if err != nil || ip.Zone() != "" {
		return Device{}, fmt.Errorf("%w: Device.IP %q is not an IP address", ErrConfig, d.IP)
	}
	switch a.cfg.KeepIP {
	case IPOff:
		return out, nil
	case IPTruncated:
		ip = truncateIP(ip.Unmap())
	}
	out.IP = ip.Unmap().String()
	return out, nil
}

// sixToFour is 2002::/16, whose addresses carry a whole IPv4 address in
// their bits 16 to 47 (RFC 3056).
var sixToFour = netip.MustParsePrefix("2002::/16")

// truncateIP keeps the network of ip: an IPv4 address to its /24, an IPv6
// address to its /48, and a 6to4 address to its /40, which keeps the /24
// of the IPv4 address inside it rather than all of it.
func truncateIP(ip netip.Addr) netip.Addr {
	bits := 24
	switch {
	case sixToFour.Contains(ip):
		bits = 40
	case ip.Is6():
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p.Addr()
}

// clip removes control characters, invisible format characters (such as
// the right-to-left override and the zero-width space, which could make
// one session pass for another on a session page) and invalid UTF-8 from
// s, and cuts it to at most limit bytes, at a character boundary.
func clip(s string, limit int) string {
	clean := true
	for _, r := range s {
		if unwanted(r) {
			clean = false
			break
		}
	}
	if clean && len(s) <= limit {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unwanted(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unwanted reports the characters clip removes.
func unwanted(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
