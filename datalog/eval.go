package datalog

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// predKey identifies a relation: a predicate name and an arity.
type predKey struct {
	name  uint64
	arity int
}

// relation holds the facts of one predicate, in insertion order, with
// their origins. Rows are appended only between fixpoint rounds, so the
// ranges a round reads stay fixed while it runs.
type relation struct {
	pred    predKey
	arity   int
	terms   []val // row i is terms[i*arity : (i+1)*arity]
	origins []origin
	// prev and cur split the rows for semi-naive evaluation: [0, prev) is
	// old, [prev, cur) is what the last round added.
	prev, cur int
	// pendingTerms and pendingOrigins are this round's new facts.
	pendingTerms   []val
	pendingOrigins []origin
	// frozen marks a relation of a snapshot: the worlds started from it
	// read it as it is, and copy it before they write (see World.own).
	frozen bool
	// big holds what only a large relation needs.
	big *bigRelation
}

// bigRelation is the part of a relation made once it grows past what
// scanning serves well.
type bigRelation struct {
	// seen holds the bytes of every fact and its origin, once the
	// relation is too large to find duplicates by scanning (see has).
	seen map[string]struct{}
	// seenShared is set while seen is a snapshot's, read-only: it is
	// copied before the first write.
	seenShared bool
	// index[c] maps a value of column c to the rows holding it, built
	// lazily up to indexed[c] rows.
	index   []map[val][]int32
	indexed []int
	keyBuf  []byte
}

func (r *relation) grown() *bigRelation {
	if r.big == nil {
		r.big = &bigRelation{}
	}
	return r.big
}

func (r *relation) len() int        { return len(r.origins) }
func (r *relation) row(i int) []val { return r.terms[i*r.arity : (i+1)*r.arity] }

// rows returns the rows of [lo, hi) whose column col holds v.
func (r *relation) rows(col int, v val, lo, hi int) []int32 {
	b := r.grown()
	if b.index == nil {
		b.index = make([]map[val][]int32, r.arity)
		b.indexed = make([]int, r.arity)
	}
	idx := b.index[col]
	if idx == nil {
		idx = map[val][]int32{}
		b.index[col] = idx
	}
	for i := b.indexed[col]; i < r.len(); i++ {
		x := r.terms[i*r.arity+col]
		idx[x] = append(idx[x], int32(i))
	}
	b.indexed[col] = r.len()
	list := idx[v]
	// Rows are indexed in order: cut the list to [lo, hi).
	start := sort.Search(len(list), func(i int) bool { return int(list[i]) >= lo })
	end := sort.Search(len(list), func(i int) bool { return int(list[i]) >= hi })
	return list[start:end]
}

// reserve makes room for rows more facts, from the arena while the
// relation is empty.
func (r *relation) reserve(a *arena, rows int) {
	if cap(r.origins)-len(r.origins) >= rows {
		return
	}
	if len(r.origins) == 0 {
		r.terms = carve(&a.vals, rows*r.arity, 16)[:0]
		r.origins = carve(&a.origins, rows, 4)[:0]
		return
	}
	r.terms = slices.Grow(r.terms, rows*r.arity)
	r.origins = slices.Grow(r.origins, rows)
}

// lookup returns the relation of k, or nil if it has no facts yet.
func (w *World) lookup(k predKey) *relation {
	if w.base != nil && w.relations == nil {
		// A small world scans its relations, the snapshot's and its
		// own. A large one finds the snapshot's in its map, and scans
		// its own, few until relation makes a map of all.
		own := w.relList
		if len(w.base.relList) > maxScannedRelations {
			if i, ok := w.base.relIndex[k]; ok {
				return w.relList[i]
			}
			own = w.relList[len(w.base.relList):]
		}
		for _, r := range own {
			if r.pred == k {
				return r
			}
		}
		return nil
	}
	return w.relations[k]
}

// relation returns the relation of k to write to, making it if needed,
// and copying it if it is a snapshot's.
func (w *World) relation(k predKey) *relation {
	r := w.lookup(k)
	if r != nil && r.frozen {
		return w.own(r)
	}
	if r == nil {
		a := &w.arena
		r = &carve(&a.rels, 1, 4)[0]
		*r = relation{pred: k, arity: k.arity}
		w.relList = append(w.relList, r)
		switch {
		case w.relations != nil:
			w.relations[k] = r
		case w.base == nil:
			w.relations = map[predKey]*relation{k: r}
		case len(w.relList)-len(w.base.relList) > maxScannedRelations:
			w.relations = make(map[predKey]*relation, 2*len(w.relList))
			for _, r := range w.relList {
				w.relations[r.pred] = r
			}
		}
	}
	return r
}

// own replaces a snapshot's relation, in a world started from the
// snapshot, with a copy of the world's own to write to. The rows stay
// shared until the copy appends to them, and a map of seen facts until
// the copy adds to it.
func (w *World) own(r *relation) *relation {
	c := &carve(&w.arena.rels, 1, 4)[0]
	*c = relation{
		pred:    r.pred,
		arity:   r.arity,
		terms:   r.terms[:len(r.terms):len(r.terms)],
		origins: r.origins[:len(r.origins):len(r.origins)],
	}
	if r.big != nil && r.big.seen != nil {
		c.big = &bigRelation{seen: r.big.seen, seenShared: true}
	}
	w.relList[w.base.relIndex[r.pred]] = c
	if w.relations != nil {
		w.relations[r.pred] = c
	}
	return c
}

// maxScannedRelations is the number of relations of its own up to which
// a world started from a snapshot finds them by scanning.
const maxScannedRelations = 8

// insert adds a fact unless the same fact with the same origin exists.
// During a round (pending) it is buffered until the round ends.
func (w *World) insert(k predKey, o origin, vals []val, pending bool) error {
	if err := w.step(); err != nil {
		return err
	}
	r := w.relation(k)
	if r.has(o, vals) {
		return nil
	}
	if err := w.checkFactLimit(); err != nil {
		return err
	}
	if b := r.big; b != nil && b.seen != nil {
		if b.seenShared {
			b.seen, b.seenShared = maps.Clone(b.seen), false
		}
		b.seen[string(r.key(o, vals))] = struct{}{}
	}
	if pending {
		r.pendingTerms = append(r.pendingTerms, vals...)
		r.pendingOrigins = append(r.pendingOrigins, o)
		w.pending++
		return nil
	}
	r.terms = append(r.terms, vals...)
	r.origins = append(r.origins, o)
	w.nfacts++
	return nil
}

// maxScannedFacts is the size up to which a relation finds duplicates by
// scanning its facts; past it, a map of their bytes takes over.
const maxScannedFacts = 16

// has reports whether the relation holds the fact with this origin,
// pending facts included.
func (r *relation) has(o origin, vals []val) bool {
	n := len(r.origins) + len(r.pendingOrigins)
	if n >= maxScannedFacts && (r.big == nil || r.big.seen == nil) {
		seen := make(map[string]struct{}, 2*n)
		for i, o := range r.origins {
			seen[string(r.key(o, r.row(i)))] = struct{}{}
		}
		for i, o := range r.pendingOrigins {
			seen[string(r.key(o, r.pendingTerms[i*r.arity:(i+1)*r.arity]))] = struct{}{}
		}
		r.grown().seen = seen
	}
	if r.big != nil && r.big.seen != nil {
		_, ok := r.big.seen[string(r.key(o, vals))]
		return ok
	}
	for i, x := range r.origins {
		if x == o && valsEqual(r.row(i), vals) {
			return true
		}
	}
	for i, x := range r.pendingOrigins {
		if x == o && valsEqual(r.pendingTerms[i*r.arity:(i+1)*r.arity], vals) {
			return true
		}
	}
	return false
}

// key encodes a fact and its origin for the seen map, in a buffer reused
// from call to call.
func (r *relation) key(o origin, vals []val) []byte {
	b := r.grown()
	buf := binary.LittleEndian.AppendUint64(b.keyBuf[:0], o.lo)
	buf = binary.LittleEndian.AppendUint64(buf, o.hi)
	for _, v := range vals {
		buf = append(buf, byte(v.k))
		buf = binary.LittleEndian.AppendUint64(buf, v.n)
	}
	b.keyBuf = buf
	return buf
}

func (w *World) checkFactLimit() error {
	if w.nfacts+w.pending >= w.limits.MaxFacts {
		return &LimitError{Kind: LimitFacts, Max: int64(w.limits.MaxFacts)}
	}
	return nil
}

// cterm is a compiled term of a predicate: a constant or a variable slot.
type cterm struct {
	isVar bool
	slot  int
	v     val
}

type cpred struct {
	key   predKey
	terms []cterm
}

// cbody is a compiled query: predicates to join, expressions to test.
type cbody struct {
	trusted origin
	preds   []cpred
	exprs   [][]cop
	nslots  int
	// orders[j] is the join order when predicate j reads the last round's
	// facts: j first, then the others in source order.
	orders [][]int
}

type crule struct {
	cbody
	block BlockID
	head  cpred
	// Reused by every application of the rule; a world from a snapshot
	// has its own (see scratch).
	binding []val
	vals    []val
	ranges  [][2]int
	rels    []*relation
}

// ccheck is a compiled check or policy.
type ccheck struct {
	queries []cbody
	check   Check
	policy  Policy
	index   int
}

// newRule makes a rule of the world from its template.
func (w *World) newRule(tr *trule, m *remapper, trusted origin, b BlockID) *crule {
	a := &w.arena
	r2 := &carve(&a.rules, 1, 1)[0]
	*r2 = crule{cbody: m.body(&tr.body, trusted), block: b, head: m.pred(tr.head)}
	r2.scratch(a)
	return r2
}

// scratch gives the rule buffers of its own, from the arena.
func (r *crule) scratch(a *arena) {
	r.binding = carve(&a.vals, r.nslots, 16)
	for i := range r.binding {
		r.binding[i] = unbound
	}
	r.vals = carve(&a.vals, len(r.head.terms), 16)
	r.ranges = carve(&a.ranges, len(r.preds), 4)
	r.rels = carve(&a.relps, len(r.preds), 4)
}

// emit adds the head of rule r for the joiner's current binding, derived
// from origin o and the rule's block, to this round's new facts.
func (w *World) emit(r *crule, o origin) (bool, error) {
	for i, t := range r.head.terms {
		if t.isVar {
			r.vals[i] = r.binding[t.slot]
			if r.vals[i].k == kindUnbound {
				return false, nil
			}
		} else {
			r.vals[i] = t.v
		}
	}
	// insert copies the values, so one buffer serves every match.
	return false, w.insert(r.head.key, o.with(r.block), r.vals, true)
}

// newCheck makes a check or policy of the world from its template.
func (w *World) newCheck(tc *tcheck, m *remapper, blockTrust origin, b BlockID, index int) *ccheck {
	cc := &carve(&w.arena.checks, 1, 1)[0]
	*cc = ccheck{queries: carve(&w.arena.bodies, len(tc.queries), 1), check: tc.check, policy: tc.policy, index: index}
	for i := range tc.queries {
		q := &tc.queries[i]
		cc.queries[i] = m.body(&q.body, w.trusted(q.scopes, blockTrust, b))
	}
	return cc
}

func compilePred(p Predicate, c *exprCompiler) (cpred, error) {
	cp := cpred{key: predKey{c.in.str(p.Name), len(p.Terms)}, terms: make([]cterm, len(p.Terms))}
	for i, t := range p.Terms {
		switch t := t.(type) {
		case Variable:
			cp.terms[i] = cterm{isVar: true, slot: c.slot(string(t))}
		case nil:
			return cpred{}, fmt.Errorf("%w: predicate %s holds %v", ErrInvalidType, p.Name, t)
		default:
			if msg := checkGround(t, c.maxDepth); msg != "" {
				return cpred{}, fmt.Errorf("%w: predicate %s: %s", ErrInvalidType, p.Name, msg)
			}
			cp.terms[i] = cterm{v: c.in.intern(t)}
		}
	}
	return cp, nil
}

// compileBody compiles a query; its trust is set when it is loaded.
func compileBody(b Body, c *exprCompiler) (cbody, error) {
	cb := cbody{preds: make([]cpred, 0, len(b.Predicates))}
	for _, p := range b.Predicates {
		cp, err := compilePred(p, c)
		if err != nil {
			return cbody{}, err
		}
		cb.preds = append(cb.preds, cp)
	}
	for name := range c.slots {
		c.bound[name] = true
	}
	for _, e := range b.Expressions {
		ops, err := c.compile(e.Ops, 0)
		if err != nil {
			return cbody{}, err
		}
		cb.exprs = append(cb.exprs, ops)
	}
	cb.orders = joinOrders(len(cb.preds))
	return cb, nil
}

// joinOrders returns, for a body of n predicates, the join order when
// predicate j reads the last round's facts: j first, then the others in
// source order. Orders are shared, read-only, for the usual body sizes.
func joinOrders(n int) [][]int {
	if n < len(sharedOrders) {
		return sharedOrders[n]
	}
	return makeOrders(n)
}

var sharedOrders = func() [][][]int {
	orders := make([][][]int, 9)
	for n := range orders {
		orders[n] = makeOrders(n)
	}
	return orders
}()

func makeOrders(n int) [][]int {
	orders := make([][]int, n)
	for j := range orders {
		order := []int{j}
		for i := 0; i < n; i++ {
			if i != j {
				order = append(order, i)
			}
		}
		orders[j] = order
	}
	return orders
}

// minIndexedRows is the shortest range of rows that a join looks up in an
// index rather than scans.
const minIndexedRows = 8

// joiner enumerates the matches of one body.
type joiner struct {
	w       *World
	body    *cbody
	order   []int
	ranges  [][2]int    // per predicate of the body
	rels    []*relation // per predicate of the body; nil: none yet
	binding []val
	// onMatch is called for each full binding whose expressions hold (or,
	// with rawMatches, for each full binding); it returns true to stop.
	// A rule's joiner has rule set instead, and emits its head.
	onMatch    func(o origin) (stop bool, err error)
	rule       *crule
	rawMatches bool
}

func newBinding(n int) []val {
	b := make([]val, n)
	for i := range b {
		b[i] = unbound
	}
	return b
}

// run enumerates matches; it returns true when onMatch stopped it.
func (j *joiner) run() (bool, error) {
	return j.match(0, origin{})
}

func (j *joiner) match(depth int, acc origin) (bool, error) {
	if depth == len(j.order) {
		if !j.rawMatches {
			for _, e := range j.body.exprs {
				ok, err := j.w.ev.evalBool(e, j.binding)
				if err != nil || !ok {
					return false, err
				}
			}
		}
		if j.rule != nil {
			return j.w.emit(j.rule, acc)
		}
		return j.onMatch(acc)
	}
	pi := j.order[depth]
	p := &j.body.preds[pi]
	rel := j.rels[pi]
	if rel == nil {
		return false, nil
	}
	lo, hi := j.ranges[pi][0], j.ranges[pi][1]
	if lo >= hi {
		return false, nil
	}
	// Use the index of the first column whose value is known, unless the
	// range is so short that a scan is cheaper than an index.
	var candidates []int32
	indexed := false
	for c, t := range p.terms {
		if hi-lo <= minIndexedRows {
			break
		}
		v := t.v
		if t.isVar {
			v = j.binding[t.slot]
			if v.k == kindUnbound {
				continue
			}
		}
		if rel.frozen { // the index is written as it is read
			rel = j.w.own(rel)
			j.rels[pi] = rel
		}
		candidates = rel.rows(c, v, lo, hi)
		indexed = true
		break
	}
	n := hi - lo
	if indexed {
		n = len(candidates)
	}
	var newly [16]int
	for k := 0; k < n; k++ {
		row := lo + k
		if indexed {
			row = int(candidates[k])
		}
		if err := j.w.step(); err != nil {
			return false, err
		}
		o := rel.origins[row]
		if !o.subsetOf(j.body.trusted) {
			continue
		}
		vals := rel.row(row)
		bound := newly[:0]
		ok := true
		for c, t := range p.terms {
			fv := vals[c]
			if !t.isVar {
				if t.v != fv {
					ok = false
					break
				}
				continue
			}
			cur := j.binding[t.slot]
			if cur.k == kindUnbound {
				j.binding[t.slot] = fv
				bound = append(bound, t.slot)
			} else if cur != fv {
				ok = false
				break
			}
		}
		if ok {
			stop, err := j.match(depth+1, acc.union(o))
			if err != nil || stop {
				return stop, err
			}
		}
		for _, s := range bound {
			j.binding[s] = unbound
		}
	}
	return false, nil
}

// fixpoint applies the rules, semi-naively, until a round adds nothing.
func (w *World) fixpoint() error {
	if len(w.rules) == 0 {
		return nil
	}
	// Rules read the rounds (prev, cur) of their bodies' relations, and
	// write them: a snapshot's are copied first. The others are only
	// read, by checks and policies.
	if w.base != nil {
		for _, r := range w.rules {
			for _, p := range r.preds {
				if rel := w.lookup(p.key); rel != nil && rel.frozen {
					w.own(rel)
				}
			}
		}
	}
	for _, r := range w.relList {
		if !r.frozen {
			r.prev, r.cur = 0, r.len()
		}
	}
	for round := 0; ; round++ {
		for _, r := range w.rules {
			if err := w.applyRule(r, round == 0); err != nil {
				return err
			}
		}
		if w.pending == 0 {
			return nil
		}
		for _, r := range w.relList {
			if r.frozen { // no fact was added to it
				continue
			}
			r.terms = append(r.terms, r.pendingTerms...)
			r.origins = append(r.origins, r.pendingOrigins...)
			r.pendingTerms, r.pendingOrigins = r.pendingTerms[:0], r.pendingOrigins[:0]
			r.prev, r.cur = r.cur, r.len()
		}
		w.nfacts += w.pending
		w.pending = 0
		w.iterations++
		if w.iterations >= w.limits.MaxIterations {
			return &LimitError{Kind: LimitIterations, Max: int64(w.limits.MaxIterations)}
		}
		if err := w.checkTime(); err != nil {
			return err
		}
	}
}

func (w *World) applyRule(r *crule, first bool) error {
	if err := w.step(); err != nil {
		return err
	}
	if len(r.preds) == 0 {
		if !first {
			return nil
		}
		j := joiner{w: w, body: &r.cbody, binding: r.binding, rule: r}
		_, err := j.run()
		return err
	}
	// Resolve the relations once a round, and skip the rule when none of
	// them got facts in the last round: it would derive nothing new.
	changed := false
	for i, p := range r.preds {
		rel := w.lookup(p.key)
		r.rels[i] = rel
		if rel != nil && rel.prev < rel.cur {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	for d, delta := range r.rels {
		if delta == nil || delta.prev == delta.cur {
			continue
		}
		for i, rel := range r.rels {
			switch {
			case rel == nil:
				r.ranges[i] = [2]int{}
			case i < d:
				r.ranges[i] = [2]int{0, rel.prev}
			case i == d:
				r.ranges[i] = [2]int{rel.prev, rel.cur}
			default:
				r.ranges[i] = [2]int{0, rel.cur}
			}
		}
		j := joiner{w: w, body: &r.cbody, order: r.orders[d], ranges: r.ranges, rels: r.rels, binding: r.binding, rule: r}
		if _, err := j.run(); err != nil {
			return err
		}
	}
	return nil
}

// fullJoiner reads every fact of the body's relations. Its buffers are
// the world's, reused by every check: checks run one at a time.
func (w *World) fullJoiner(b *cbody) *joiner {
	j := &w.full
	n := len(b.preds)
	*j = joiner{w: w, body: b, order: w.fullOrder(b),
		binding: resize(w.full.binding, b.nslots), ranges: resize(w.full.ranges, n), rels: resize(w.full.rels, n)}
	for i := range j.binding {
		j.binding[i] = unbound
	}
	for i, p := range b.preds {
		j.rels[i], j.ranges[i] = nil, [2]int{}
		if rel := w.lookup(p.key); rel != nil {
			j.rels[i] = rel
			j.ranges[i] = [2]int{0, rel.len()}
		}
	}
	return j
}

// resize returns s with length n, reusing its array when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 8))
	}
	return s[:n]
}

func (w *World) fullOrder(b *cbody) []int {
	if len(b.orders) > 0 {
		return b.orders[0]
	}
	return nil
}

// exists reports whether the body matches at least once.
func (w *World) exists(b *cbody) (bool, error) {
	j := w.fullJoiner(b)
	j.onMatch = stopAtFirst
	return j.run()
}

func stopAtFirst(origin) (bool, error) { return true, nil }

// all reports whether the body matches and every match satisfies its
// expressions: the semantics of check all.
func (w *World) all(b *cbody) (bool, error) {
	found := false
	j := w.fullJoiner(b)
	j.rawMatches = true
	j.onMatch = func(origin) (bool, error) {
		found = true
		for _, e := range b.exprs {
			ok, err := w.ev.evalBool(e, j.binding)
			if err != nil {
				return true, err
			}
			if !ok {
				found = false
				return true, nil
			}
		}
		return false, nil
	}
	if _, err := j.run(); err != nil {
		return false, err
	}
	return found, nil
}

// passes evaluates a check: one of its queries must succeed.
func (w *World) passes(kind CheckKind, c *ccheck) (bool, error) {
	for i := range c.queries {
		q := &c.queries[i]
		var ok bool
		var err error
		switch kind {
		case CheckAll:
			ok, err = w.all(q)
		case RejectIf:
			ok, err = w.exists(q)
			ok = !ok
		default:
			ok, err = w.exists(q)
		}
		if err != nil {
			return false, err
		}
		// Every query counts a step, so that many short ones are timed
		// too; a long one counts its own.
		if err := w.step(); err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Result is the outcome of an authorization: the policy that matched, if
// any, and every check that failed. Deny is a result, not an error.
type Result struct {
	// Policy is the first policy that matched, or nil when none did.
	Policy *MatchedPolicy
	// FailedChecks lists the checks that failed: the authorizer's first,
	// then each block's in order.
	FailedChecks []FailedCheck
}

// MatchedPolicy is the policy that decided.
type MatchedPolicy struct {
	Index  int // among the authorizer's policies
	Policy Policy
}

// FailedCheck is a check that did not pass.
type FailedCheck struct {
	Block BlockID
	Index int // among its block's checks
	Check Check
}

// Allowed reports whether the request is authorized: an allow policy
// matched and every check passed.
func (r *Result) Allowed() bool {
	return r.Policy != nil && r.Policy.Policy.Kind == Allow && len(r.FailedChecks) == 0
}

// Authorize evaluates the world (see Run), then every check and the
// policies, in the order of the reference implementation: the
// authorizer's checks, the authority block's checks, the policies, then
// the checks of the other blocks. An error is bad input or an exhausted
// limit; a denial is a Result.
func (w *World) Authorize(ctx context.Context) (*Result, error) {
	if err := w.Run(ctx); err != nil {
		return nil, err
	}
	res := &Result{}
	checkBlock := func(b BlockID, checks []*ccheck) error {
		for _, c := range checks {
			ok, err := w.passes(c.check.Kind, c)
			if err != nil {
				return &RuleError{Block: b, What: "check", Index: c.index, Source: c.check.String(), Err: err}
			}
			if !ok {
				res.FailedChecks = append(res.FailedChecks, FailedCheck{Block: b, Index: c.index, Check: c.check})
			}
		}
		return nil
	}
	if err := checkBlock(AuthorizerBlock, w.checks[len(w.blocks)]); err != nil {
		return nil, err
	}
	if len(w.blocks) > 0 {
		if err := checkBlock(0, w.checks[0]); err != nil {
			return nil, err
		}
	}
	for _, p := range w.policies {
		ok, err := w.passes(CheckIf, p)
		if err != nil {
			return nil, &RuleError{Block: AuthorizerBlock, What: "policy", Index: p.index, Source: p.policy.String(), Err: err}
		}
		if ok {
			res.Policy = &MatchedPolicy{Index: p.index, Policy: p.policy}
			break
		}
	}
	for i := 1; i < len(w.blocks); i++ {
		if err := checkBlock(BlockID(i), w.checks[i]); err != nil {
			return nil, err
		}
	}
	// Steps read the clock only now and then: read it once more, so
	// that no evaluation past its time is taken, however short.
	if err := w.checkTime(); err != nil {
		return nil, err
	}
	return res, nil
}

// Query returns the facts that the rule derives from the world, as the
// authorizer sees it: trusting the authority block and the authorizer, or
// what the rule's trusting clause names. It runs the world first if
// needed. Use it to ask what a token allows: right($r, $op) <- right($r, $op).
func (w *World) Query(ctx context.Context, r Rule) ([]Fact, error) {
	if err := w.Run(ctx); err != nil {
		return nil, err
	}
	if err := checkRules([]Rule{r}, AuthorizerBlock); err != nil {
		return nil, err
	}
	trust := w.trusted(w.authScopes, defaultTrust, AuthorizerBlock)
	qt := &template{in: w.in}
	tr, err := compileRuleTemplate(r, qt.in, w.limits.MaxDepth)
	if err != nil {
		return nil, &RuleError{Block: AuthorizerBlock, What: "query", Source: r.String(), Err: err}
	}
	m := w.bind(qt)
	cr := w.newRule(&tr, &m, w.trusted(r.Body.Scopes, trust, AuthorizerBlock), AuthorizerBlock)
	// A query has its own budget: the world's may be spent.
	w.startWork(ctx)
	seen := map[string]bool{}
	var facts []Fact
	j := w.fullJoiner(&cr.cbody)
	binding := j.binding
	j.onMatch = func(origin) (bool, error) {
		terms := make([]Term, len(cr.head.terms))
		for i, t := range cr.head.terms {
			v := t.v
			if t.isVar {
				v = binding[t.slot]
			}
			terms[i] = w.in.term(v)
		}
		f := Fact{Predicate{Name: r.Head.Name, Terms: terms}}
		if s := f.String(); !seen[s] {
			if len(facts) >= w.limits.MaxFacts {
				return true, &LimitError{Kind: LimitFacts, Max: int64(w.limits.MaxFacts)}
			}
			seen[s] = true
			facts = append(facts, f)
		}
		return false, nil
	}
	if _, err := j.run(); err != nil {
		return nil, &RuleError{Block: AuthorizerBlock, What: "query", Source: r.String(), Err: err}
	}
	return facts, nil
}
