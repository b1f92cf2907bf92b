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
// authorization, and it gives the same world every time. A Frozen is
// that world, loaded once: each call starts a world from it, adds its
// request's facts and evaluates.
//
// A world started from a Frozen shares everything of it that evaluation
// only reads, and copies the rest as it first writes it. The frozen
// relations are copied, header first, when the world adds a fact to one,
// runs a rule over it or indexes it, and their rows only when it appends
// to them. Checks and policies are only read, and shared. The rules'
// scratch buffers are the world's own. Its interner continues the
// frozen one: it finds the frozen strings and collections through their
// maps, read-only, and interns new ones after them. So any number of
// worlds may start from one Frozen at once, and a request that only adds
// facts of its own, checked against the token's, copies nothing.
//
// When a call is done its world is started again for a later call, with
// the slabs it allocated: on a server idle between calls, memory
// allocated fresh is what a call pays for most, more than memory it
// writes again.

// ErrFrozenWorld is returned by AddBlock, AddAuthorizer and AddCompiled
// on a world started from a Frozen: such a world takes facts only.
var ErrFrozenWorld = errors.New("datalog: a world started from a frozen world takes facts only")

// errFrozen is the result of running a world that was frozen.
var errFrozen = errors.New("datalog: world was frozen")

// Frozen is a world loaded but not evaluated, from which worlds are
// started, one a call. It is safe for concurrent use.
type Frozen struct {
	w    *World
	pool sync.Pool // of worlds whose call is done
}

// Freeze loads the world's blocks and authorizer, without evaluating
// them, and freezes the result. The world is spent: running it returns an
// error, and adding to it ErrWorldRan. The worlds that [Frozen.With]
// starts authorize exactly as the world would have with the same facts
// added to its authorizer; an error of loading (a block's invalid rule,
// say) is returned here.
func (w *World) Freeze() (*Frozen, error) {
	if w.ran {
		return nil, ErrWorldRan
	}
	if w.base != nil {
		return nil, ErrFrozenWorld
	}
	w.ran = true
	w.runErr = errFrozen
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
	// Nothing of the frozen world may be written after this: drop the
	// buffers its worlds must not share.
	w.factBuf = nil
	w.in.keyBuf = nil
	for _, r := range w.relList {
		r.frozen = true
		if r.big != nil {
			r.big.keyBuf = nil
		}
	}
	return &Frozen{w: w}, nil
}

// With starts a world from f and calls fn with it: fn adds the call's
// facts with AddFact, then calls Authorize, Run, Query or Facts as on any
// world. The world is taken back for a later call when fn returns, so fn
// must not keep it or let it be used afterwards; what its methods
// returned (results, facts, and their terms) stays valid. With returns
// fn's error.
func (f *Frozen) With(fn func(w *World) error) error {
	w := f.world()
	defer w.release()
	return fn(w)
}

// world returns a world that starts from f: one whose call is done, or a
// new one.
func (f *Frozen) world() *World {
	if w, _ := f.pool.Get().(*World); w != nil {
		return w
	}
	b := f.w
	w := &World{
		limits:     b.limits,
		externs:    b.externs,
		blocks:     b.blocks,
		authScopes: b.authScopes,
		checks:     b.checks,
		policies:   b.policies,
		nfacts:     b.nfacts,
		base:       b,
		frozen:     f,
	}
	w.auth = make([]authInput, 0, 8) // the request's facts
	w.in = &w.ownIn
	w.ownIn.continueFrom(b.in)
	w.ev.w = w

	// The frozen relations: the world copies one when it first writes to
	// it (see own).
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

// release empties a world started from a Frozen and gives it back, to
// start a later call with what it allocated.
func (w *World) release() {
	b := w.base
	clear(w.auth)
	w.auth = w.auth[:0]
	w.ran, w.runErr, w.ctx, w.deadline = false, nil, nil, time.Time{}
	w.nfacts, w.pending, w.iterations, w.steps = b.nfacts, 0, 0, 0

	in := &w.ownIn
	clear(in.strs)
	clear(in.comps)
	in.strs, in.comps, in.strIDs, in.compIDs = in.strs[:0], in.comps[:0], nil, nil

	// Back to the frozen relations; the world's own were carved from
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
	w.frozen.pool.Put(w)
}

// loadRequest is load for a world started from a Frozen: everything
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
	// The buffers of the checks' joins, as large as the frozen world's.
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
