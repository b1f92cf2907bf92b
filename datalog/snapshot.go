package datalog

import (
	"errors"
	"sync"
	"time"
)

// A service authorizes the same token against the same policy on every
// call, and only the request's facts change. Loading the blocks and the
// policy into a world (interning their constants, inserting their facts,
// binding their rules and checks) is most of the cost of a small
// authorization, and it gives the same world every time. A Snapshot is
// that world, loaded once and frozen: each call starts a world from it,
// adds its request's facts and evaluates.
//
// A world started from a snapshot shares everything of it that
// evaluation only reads, and copies the rest as it first writes it. The
// snapshot's relations are frozen: the world copies a relation's header
// when it adds a fact to it, runs a rule over it or indexes it, and its
// rows only when it appends to them. Checks and policies are only read,
// and shared. The rules' scratch buffers are the world's own. Its
// interner continues the snapshot's: it finds the snapshot's strings and
// collections through the snapshot's maps, read-only, and interns new
// ones after them. So any number of worlds may start from one snapshot
// at once, and a request that only adds facts of its own, checked
// against the token's, copies nothing.
//
// A world given back with Release is started again for a later request,
// with the slabs it allocated: on a server idle between calls, memory
// allocated fresh is what a call pays for most, more than memory it
// writes again.

// ErrSnapshotWorld is returned by AddBlock and AddAuthorizer on a world
// started from a snapshot: such a world takes facts only.
var ErrSnapshotWorld = errors.New("datalog: a world started from a snapshot takes facts only")

// errSnapshotted is the result of running a world that became a snapshot.
var errSnapshotted = errors.New("datalog: world became a snapshot")

// Snapshot is a world loaded but not evaluated, frozen, from which worlds
// are started. It is safe for concurrent use.
type Snapshot struct {
	w    *World
	pool sync.Pool // of released worlds
}

// Snapshot loads the world's blocks and authorizer, without evaluating
// them, and freezes the result. The world is spent: running it returns an
// error, and adding to it ErrWorldRan. The snapshot's worlds authorize
// exactly as the world would have with the same facts added to its
// authorizer; an error of loading (a block's invalid rule, say) is
// returned here.
func (w *World) Snapshot() (*Snapshot, error) {
	if w.ran {
		return nil, ErrWorldRan
	}
	if w.base != nil {
		return nil, ErrSnapshotWorld
	}
	w.ran = true
	w.runErr = errSnapshotted
	if err := w.load(); err != nil {
		return nil, err
	}
	w.relIndex = make(map[predKey]int, len(w.relList))
	for i, r := range w.relList {
		w.relIndex[r.pred] = i
	}
	// Its worlds look up its strings and collections in its maps and
	// scan only their own: make the maps now, whatever the sizes.
	w.in.index()
	// Nothing of the snapshot's may be written after this: drop the
	// buffers its worlds must not share.
	w.factBuf = nil
	w.in.keyBuf = nil
	for _, r := range w.relList {
		r.frozen = true
		if r.big != nil {
			r.big.keyBuf = nil
		}
	}
	return &Snapshot{w: w}, nil
}

// World returns a world that starts from the snapshot: a new one, or one
// given back with [World.Release]. Add the request's facts with AddFact,
// then call Authorize, Run or Query as on any world.
func (s *Snapshot) World() *World {
	if w, _ := s.pool.Get().(*World); w != nil {
		w.released = false
		return w
	}
	b := s.w
	w := &World{
		limits:     b.limits,
		externs:    b.externs,
		blocks:     b.blocks,
		authScopes: b.authScopes,
		checks:     b.checks,
		policies:   b.policies,
		nfacts:     b.nfacts,
		base:       b,
		snap:       s,
	}
	w.auth = make([]authInput, 0, 8) // the request's facts
	w.in = &w.ownIn
	w.ownIn.continueFrom(b.in)
	w.ev.w = w

	// The snapshot's relations, frozen: the world copies one when it
	// first writes to it (see own).
	w.relList = append(make([]*relation, 0, len(b.relList)+maxScannedRelations), b.relList...)

	if len(b.rules) > 0 {
		// The rules' buffers come from an arena of their own: the
		// world's is the request's, emptied when the world is reused.
		var need arenaSizes
		for _, r := range b.rules {
			need.vals += r.nslots + len(r.head.terms)
			need.ranges += len(r.preds)
		}
		scratch := arena{
			vals:   make([]val, 0, need.vals),
			ranges: make([][2]int, 0, need.ranges),
			relps:  make([]*relation, 0, need.ranges),
		}
		rules := make([]crule, len(b.rules))
		w.rules = make([]*crule, len(b.rules))
		for i, r := range b.rules {
			rules[i] = *r
			rules[i].scratch(&scratch)
			w.rules[i] = &rules[i]
		}
	}
	return w
}

// Release gives a world started from a snapshot back to it, to start
// another request with what it allocated. Call it once, when done with
// the world: neither the world nor anything it holds may be used
// afterwards, Release included, as another request may have it. What it
// returned (results, facts, and their terms) stays valid. Releasing a
// world not started from a snapshot does nothing.
func (w *World) Release() {
	if w.snap == nil || w.released {
		return
	}
	w.released = true
	b := w.base
	clear(w.auth)
	w.auth = w.auth[:0]
	w.ran, w.runErr, w.ctx, w.deadline = false, nil, nil, time.Time{}
	w.nfacts, w.pending, w.iterations, w.steps = b.nfacts, 0, 0, 0

	in := &w.ownIn
	clear(in.strs)
	clear(in.comps)
	in.strs, in.comps, in.strIDs, in.compIDs = in.strs[:0], in.comps[:0], nil, nil

	// Back to the snapshot's relations; the world's own were carved from
	// its arena, kept for the next request.
	clear(w.relList)
	w.relList = append(w.relList[:0], b.relList...)
	w.relations = nil
	clear(w.arena.rels[:cap(w.arena.rels)])
	w.arena.rels = w.arena.rels[:0]
	// A query's rule carves its buffers from the arena too.
	clear(w.arena.relps[:cap(w.arena.relps)])
	w.arena.relps, w.arena.ranges = w.arena.relps[:0], w.arena.ranges[:0]
	w.arena.vals, w.arena.origins = w.arena.vals[:0], w.arena.origins[:0]
	clear(w.full.rels[:cap(w.full.rels)])
	for _, r := range w.rules {
		for i := range r.binding {
			r.binding[i] = unbound
		}
		clear(r.rels)
	}
	clear(w.ev.stack[:cap(w.ev.stack)])
	w.ev.stack = w.ev.stack[:0]
	w.factBuf = w.factBuf[:0]
	w.snap.pool.Put(w)
}

// loadRequest is load for a world started from a snapshot: everything
// is loaded but the facts added since.
func (w *World) loadRequest() error {
	// A fact of the request goes to a relation of its own, most often:
	// carve them, their rows and origins from the arena at once, or from
	// what the world had from its last request.
	rows := 0
	for _, a := range w.auth {
		rows += len(a.fact.Terms)
	}
	b := w.base
	ar := &w.arena
	if cap(ar.rels) < len(w.auth) {
		ar.rels = make([]relation, 0, len(w.auth))
	}
	if need := rows + cap(b.full.binding); cap(ar.vals) < need {
		ar.vals = make([]val, 0, need)
	}
	if cap(ar.origins) < len(w.auth) {
		ar.origins = make([]origin, 0, len(w.auth))
	}
	// The buffers of the checks' joins, as large as the snapshot's.
	w.full.binding = carve(&ar.vals, cap(b.full.binding), 8)[:0]
	for i, a := range w.auth {
		if err := w.loadFact(a.fact, i); err != nil {
			return err
		}
	}
	return nil
}

// index makes the interner's maps, for the strings and collections it
// holds.
func (in *interner) index() {
	if in.strIDs == nil {
		in.strIDs = make(map[string]uint64, len(in.strs))
		for i, x := range in.strs {
			in.strIDs[x] = uint64(i)
		}
	}
	if in.compIDs == nil {
		in.compIDs = make(map[string]uint64, len(in.comps))
		for i, c := range in.comps {
			in.compIDs[string(in.key(c.kind, c.elems))] = uint64(i)
		}
	}
}

// continueFrom makes an empty interner continue base, which must not
// change afterwards: base's values keep their ids, and new ones are
// numbered after them.
func (in *interner) continueFrom(base *interner) {
	in.base = base
	in.nstrs, in.ncomps = uint64(len(base.strs)), uint64(len(base.comps))
}
