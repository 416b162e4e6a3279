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
	// EventSessionRevoked: one session was ended by Auth.RevokeSession
	// (the user signed out one device from their session list, or the
	// application ended it).
	EventSessionRevoked = "revoked_session"
	// EventOtherSessionRevoked: a session was ended by
	// Auth.RevokeOtherSessions ("sign out everywhere else"); one event per
	// session ended, and Session names it.
	EventOtherSessionRevoked = "revoked_other_session"
	// EventSubjectRevoked: every session of the subject was ended by
	// Auth.RevokeSubject; Session is empty.
	EventSubjectRevoked = "revoked_subject"
	// EventSessionLimitEnded: a login at Config.MaxSessions ended this
	// older session of the subject to make room.
	EventSessionLimitEnded = "ended_by_session_limit"
	// EventSessionLimitRefused: a login was refused at Config.MaxSessions
	// (RefuseNewSession); Session is empty.
	EventSessionLimitRefused = "refused_by_session_limit"
)

// SecurityEvent reports something an operator should look at.
type SecurityEvent struct {
	// Kind is one of the Event constants.
	Kind    string
	Subject string
	Session string
	At      time.Time
}

// securityEvent logs ev, at Warn for reuse and at Info for everything
// else: a grace retry (most are a client's benign retry, and one page's
// parallel requests under implicit refresh produce several), an
// application's refusal, and the revocations a user or the application
// asked for. Then it passes ev to OnSecurityEvent.
func (a *Auth) securityEvent(ctx context.Context, ev SecurityEvent) {
	level := slog.LevelInfo
	if ev.Kind == EventRefreshReused {
		level = slog.LevelWarn
	}
	a.cfg.Logger.LogAttrs(ctx, level, "pasetoauth security event",
		slog.String("kind", ev.Kind), slog.String("sub", ev.Subject),
		slog.String("sid", ev.Session), slog.Time("at", ev.At))
	if a.cfg.OnSecurityEvent != nil {
		a.cfg.OnSecurityEvent(ctx, ev)
	}
}
