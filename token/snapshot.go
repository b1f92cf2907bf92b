package token

import (
	"github.com/codios/codios/datalog"
)

// A token that a service sees once is authorized in a world of its own.
// One authorized again (from a Cache, or held by its caller) keeps, for
// each of the last few authorizers it met, a datalog.Snapshot of its
// blocks and the authorizer's policy, loaded once: each later request
// starts a world from it and adds only the request's facts, which is
// then most of what authorizing a repeated token costs. A request that brings a
// Program of its own is authorized from scratch, as its rules, checks
// and policies would come before the policy's.

// maxTokenSnapshots is the most authorizers a token keeps a snapshot for.
const maxTokenSnapshots = 4

// tokenSnapshot is a token's blocks and an authorizer's policy, loaded.
// snap is nil when loading them failed: the token is authorized from
// scratch, and its error reported, every time.
type tokenSnapshot struct {
	auth *Authorizer
	snap *datalog.Snapshot
}

// snapshotOf returns the snapshot of t's blocks and a's policy, making it
// on the token's second authorization, or nil: on its first, or when
// loading fails.
func (a *Authorizer) snapshotOf(t *Token) *datalog.Snapshot {
	if t.authorized.Load() < 2 && t.authorized.Add(1) < 2 {
		return nil
	}
	var list []tokenSnapshot
	if p := t.snapshots.Load(); p != nil {
		list = *p
		for _, s := range list {
			if s.auth == a {
				return s.snap
			}
		}
	}
	entry := tokenSnapshot{auth: a}
	if w, err := a.load(t); err == nil && w.AddAuthorizer(a.policy) == nil {
		entry.snap, _ = w.Snapshot()
	}
	// Keep the newest maxTokenSnapshots. Two requests that make a
	// snapshot at once both store theirs; the later one stays.
	next := make([]tokenSnapshot, 0, maxTokenSnapshots)
	next = append(next, entry)
	for _, s := range list {
		if len(next) == maxTokenSnapshots {
			break
		}
		if s.auth != a {
			next = append(next, s)
		}
	}
	t.snapshots.Store(&next)
	return entry.snap
}
