// Session and device management: a subject's live sessions listed, one
// revoked, the others revoked. The cap on sessions per subject is applied
// at login (session.go).

package paseto

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// ListSessions returns subject's live sessions, newest first (by creation,
// then by ID), with the session current marked Current; current may be
// empty, for an administrator's view. On a session page, subject and
// current are the request's access-token claims' Subject and Session (see
// Guard.ListSessions).
func (a *Auth) ListSessions(ctx context.Context, subject, current string) ([]SessionInfo, error) {
	if subject == "" {
		return nil, fmt.Errorf("%w: empty subject", ErrConfig)
	}
	list, err := a.store.ListSessions(ctx, subject, a.now())
	if err != nil {
		return nil, storeError(err)
	}
	// Sorted by reference and copied once: a SessionInfo is large and
	// holds pointers, so swapping them in place costs far more.
	order := make([]*SessionInfo, len(list))
	for i := range list {
		list[i].Current = current != "" && list[i].ID == current
		order[i] = &list[i]
	}
	slices.SortFunc(order, func(x, y *SessionInfo) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	sorted := make([]SessionInfo, len(list))
	for i, s := range order {
		sorted[i] = *s
	}
	return sorted, nil
}

// RevokeSession ends subject's session sid, as a user does from their
// session list ("sign out this device"): from then on none of its tokens,
// access or refresh, is accepted, on every instance sharing the store. It
// fails with ErrSessionNotFound when sid is no live session of subject,
// whether unknown, already ended or another user's, so that a caller
// cannot probe other users' session IDs; an ID that Login could not have
// drawn (not base64url, or longer than 64 characters) is refused so
// without asking the store. An EventSessionRevoked is
// emitted.
func (a *Auth) RevokeSession(ctx context.Context, subject, sid string) (err error) {
	ctx, run := a.begin(ctx, OpRevokeSession)
	defer run.end(&err)
	if subject == "" {
		return fmt.Errorf("%w: empty subject", ErrConfig)
	}
	if !plausibleSessionID(sid) {
		// Not an ID Login could have drawn (it comes from a URL path):
		// no session, and no store call.
		return ErrSessionNotFound
	}
	now := a.now()
	ended, err := a.store.RevokeSession(ctx, subject, sid, now)
	if err != nil {
		return storeError(err)
	}
	if !ended {
		return ErrSessionNotFound
	}
	a.securityEvent(ctx, SecurityEvent{Kind: EventSessionRevoked, Subject: subject, Session: sid, At: now})
	return nil
}

// RevokeOtherSessions ends every session of subject except keep ("sign
// out everywhere else"), usually the request's own session, and returns
// how many live sessions it ended, with an EventOtherSessionRevoked for
// each. keep is left as it is, live or not; an empty keep ends them all,
// as RevokeSubject does.
func (a *Auth) RevokeOtherSessions(ctx context.Context, subject, keep string) (_ int, err error) {
	ctx, run := a.begin(ctx, OpRevokeOtherSessions)
	defer run.end(&err)
	if subject == "" {
		return 0, fmt.Errorf("%w: empty subject", ErrConfig)
	}
	now := a.now()
	ended, err := a.store.RevokeOtherSessions(ctx, subject, keep, now)
	if err != nil {
		return 0, storeError(err)
	}
	for _, sid := range ended {
		a.securityEvent(ctx, SecurityEvent{Kind: EventOtherSessionRevoked, Subject: subject, Session: sid, At: now})
	}
	return len(ended), nil
}

// plausibleSessionID reports whether sid could be a session ID: Login draws
// 22 base64url characters; anything up to 64 of them is let through to the
// store, anything else is no session.
func plausibleSessionID(sid string) bool {
	if len(sid) == 0 || len(sid) > 64 {
		return false
	}
	for i := 0; i < len(sid); i++ {
		if c := sid[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
