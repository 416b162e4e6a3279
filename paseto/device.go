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
	// Auth refuses anything else with ErrConfig.
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
	// zeroed). Enough to tell "home" from "abroad", not to single out one
	// client.
	IPTruncated
	// IPFull keeps the whole address.
	IPFull
)

func (r IPRetention) valid() bool { return r <= IPFull }

// device bounds and cleans d for storing, as Device documents.
func (a *Auth) device(d Device) (Device, error) {
	out := Device{UserAgent: clip(d.UserAgent, MaxUserAgentBytes), Label: clip(d.Label, MaxLabelBytes)}
	if d.IP == "" || a.cfg.KeepIP == IPOff {
		return out, nil
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(d.IP))
	if err != nil || ip.Zone() != "" {
		return Device{}, fmt.Errorf("%w: Device.IP %q is not an IP address", ErrConfig, d.IP)
	}
	ip = ip.Unmap()
	if a.cfg.KeepIP == IPTruncated {
		bits := 24
		if ip.Is6() {
			bits = 48
		}
		p, _ := ip.Prefix(bits)
		ip = p.Addr()
	}
	out.IP = ip.String()
	return out, nil
}

// clip removes control characters and invalid UTF-8 from s and cuts it to
// at most limit bytes, at a character boundary.
func clip(s string, limit int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean && len(s) <= limit {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
