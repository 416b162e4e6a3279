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

// The log lines an Auth writes to Config.Logger, and their attribute keys.
// Both are stable: alerts and log pipelines may match on them.
const (
	// LogMsgSecurityEvent is the message of every security event's line,
	// at Warn for EventRefreshReused and at Info for the others, with the
	// attributes LogKeyEvent, LogKeySubject, LogKeySession (when the event
	// names one) and LogKeyAt.
	LogMsgSecurityEvent = "pasetoauth security event"
	// LogMsgStoreFailure is the message of a store failure's line, at
	// Error, with LogKeyOperation, LogKeyErrorKind and LogKeySuppressed: at
	// most one line per operation and kind every ten seconds, so an outage
	// under load writes a few lines, not one per request. It never holds
	// the error's text, which may quote addresses or keys.
	LogMsgStoreFailure = "pasetoauth: session store failed; requests are answered 503"

	LogKeyEvent      = "event"      // the SecurityEvent's Kind
	LogKeySubject    = "subject"    // the SecurityEvent's Subject
	LogKeySession    = "session"    // the SecurityEvent's Session ID
	LogKeyAt         = "at"         // the SecurityEvent's At, by the Auth's clock
	LogKeyOperation  = "operation"  // the store call: session_live, rotate… (Operation.String)
	LogKeyErrorKind  = "error_kind" // timeout, network, full, corrupt or error (OperationEvent.Kind)
	LogKeySuppressed = "suppressed" // lines of this operation and kind left out since the last one
)

// securityEvent is the one path of every security event: it logs ev (at
// Warn for reuse and at Info for everything else: a grace retry, most of
// which are a client's benign retry, an application's refusal, and the
// revocations a user or the application asked for), then passes it to
// Config.Observer and Config.OnSecurityEvent.
func (a *Auth) securityEvent(ctx context.Context, ev SecurityEvent) {
	level := slog.LevelInfo
	if ev.Kind == EventRefreshReused {
		level = slog.LevelWarn
	}
	attrs := make([]slog.Attr, 0, 4)
	attrs = append(attrs, slog.String(LogKeyEvent, ev.Kind), slog.String(LogKeySubject, ev.Subject))
	if ev.Session != "" {
		attrs = append(attrs, slog.String(LogKeySession, ev.Session))
	}
	attrs = append(attrs, slog.Time(LogKeyAt, ev.At))
	a.cfg.Logger.LogAttrs(ctx, level, LogMsgSecurityEvent, attrs...)
	if a.cfg.Observer != nil {
		a.cfg.Observer.Security(ctx, ev)
	}
	if a.cfg.OnSecurityEvent != nil {
		a.cfg.OnSecurityEvent(ctx, ev)
	}
}
