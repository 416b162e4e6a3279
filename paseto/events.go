// Security events: what is logged and passed to Config.OnSecurityEvent.

package paseto

import (
	"context"
	"log/slog"
	"time"
)

// Kinds of SecurityEvent.
const (
	// EventRefreshReused: a replaced refresh token came back outside the
	// grace window; the session has been revoked.
	EventRefreshReused = "reused_refresh_token"
	// EventRefreshRetried: a replaced refresh token came back within the
	// grace window and received the same successor. Usually a client
	// retrying, but a thief within the window looks the same: this leaves
	// a trace of it.
	EventRefreshRetried = "retried_refresh_token"
	// EventRefreshDenied: Config.OnRefresh refused a refresh; the session
	// has been ended.
	EventRefreshDenied = "denied_refresh"
)

// SecurityEvent reports something an operator should look at.
type SecurityEvent struct {
	// Kind is EventRefreshReused, EventRefreshRetried or
	// EventRefreshDenied.
	Kind    string
	Subject string
	Session string
	At      time.Time
}

// securityEvent logs ev, at Warn for reuse and at Info for a grace retry
// (most are a client's benign retry, and one page's parallel requests under
// implicit refresh produce several) or an application's refusal, then
// passes it to OnSecurityEvent.
func (a *Auth) securityEvent(ctx context.Context, ev SecurityEvent) {
	level := slog.LevelWarn
	if ev.Kind == EventRefreshRetried || ev.Kind == EventRefreshDenied {
		level = slog.LevelInfo
	}
	a.cfg.Logger.LogAttrs(ctx, level, "pasetoauth security event",
		slog.String("kind", ev.Kind), slog.String("sub", ev.Subject),
		slog.String("sid", ev.Session), slog.Time("at", ev.At))
	if a.cfg.OnSecurityEvent != nil {
		a.cfg.OnSecurityEvent(ctx, ev)
	}
}
