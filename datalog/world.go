package datalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options configure a [World]. A nil *Options means the default limits
// and no extern functions.
type Options struct {
	Limits Limits
	// Externs are the functions that extern::name calls reach.
	Externs map[string]ExternFunc
}

// World is one evaluation: the blocks of a token, an authorizer, and the
// facts derived from them. Build it with [NewWorld], add the blocks in
// order with [World.AddBlock] and the authorizer with
// [World.AddAuthorizer], then call [World.Authorize] or [World.Run] and
// [World.Query]. A World is not safe for concurrent use, and is meant for
// one request: it grows with every value its expressions compute.
type World struct {
	limits  Limits
	externs map[string]ExternFunc
	in      *interner
	ev      evaluator

	blocks []blockInput
	// auth is what the authorizer was given, in order; authScopes are
	// the scopes of its programs, which apply to all of it.
	auth       []authInput
	authScopes []Scope

	ran    bool
	runErr error

	relations  map[predKey]*relation
	relList    []*relation
	nfacts     int
	pending    int
	rules      []*crule
	checks     [][]*ccheck // per block; the authorizer's last
	policies   []*ccheck
	iterations int

	// The budget of the current evaluation: its context, its wall-clock
	// deadline, the steps taken and the count at which the next
	// checkpoint is due.
	ctx       context.Context
	deadline  time.Time
	steps     int
	nextCheck int

	factBuf []val
	ownIn   interner // what in points to
	full    joiner   // see fullJoiner
	arena   arena

	// base is the frozen world this world started from, if any: its
	// relations, rules and checks are this world's to start with.
	base *World
	// relIndex maps each relation of a frozen world to its place in
	// relList, which a world started from it keeps.
	relIndex map[predKey]int
	// frozen is the Frozen the world started from, which release gives
	// it back to.
	frozen *Frozen
}

type blockInput struct {
	prog *Program
	key  *PublicKey
}

// authInput is a program added to the authorizer, compiled or not, or
// (prog nil) a fact.
type authInput struct {
	prog     *Program
	compiled *Compiled
	fact     Fact
}

// authorizerBit is the origin bit of the authorizer.
const authorizerBit = 127

// origin is a set of block ids, one bit each: bit i is block i, bit 127 the
// authorizer. It is what a fact was derived from, or what a rule trusts.
type origin struct{ lo, hi uint64 }

func originOf(b BlockID) origin {
	bit := int(b)
	if b == AuthorizerBlock {
		bit = authorizerBit
	}
	if bit < 64 {
		return origin{lo: 1 << bit}
	}
	return origin{hi: 1 << (bit - 64)}
}

func (o origin) union(p origin) origin  { return origin{o.lo | p.lo, o.hi | p.hi} }
func (o origin) subsetOf(p origin) bool { return o.lo&^p.lo == 0 && o.hi&^p.hi == 0 }
func (o origin) has(b BlockID) bool {
	return !originOf(b).subsetOf(origin{}) && originOf(b).subsetOf(o)
}
func (o origin) with(b BlockID) origin { return o.union(originOf(b)) }

// blockIDs lists the blocks of o, the authorizer first.
func (o origin) blockIDs() []BlockID {
	var ids []BlockID
	if o.has(AuthorizerBlock) {
		ids = append(ids, AuthorizerBlock)
	}
	for i := 0; i < authorizerBit; i++ {
		if o.has(BlockID(i)) {
			ids = append(ids, BlockID(i))
		}
	}
	return ids
}

// NewWorld returns an empty world.
func NewWorld(opts *Options) *World {
	w := &World{limits: opts.limits()}
	if opts != nil {
		w.externs = opts.Externs
	}
	w.in = &w.ownIn
	w.ev.w = w
	return w
}

// limits returns the limits of opts, the defaults for nil.
func (opts *Options) limits() Limits {
	if opts == nil {
		return Limits{}.WithDefaults()
	}
	return opts.Limits.WithDefaults()
}

// ErrWorldRan is returned when a block or authorizer is added to a world
// that has already been evaluated.
var ErrWorldRan = errors.New("datalog: world already evaluated")

// AddBlock adds the next block of a token: the authority block first. A
// third-party block has the key that signed it; a trusting clause that
// names the key trusts the block. The program is kept, not copied: do not
// change it afterwards. Policies in a block, and rules whose head has a
// variable their body does not bind, are errors.
func (w *World) AddBlock(p *Program, externalKey *PublicKey) (BlockID, error) {
	if w.ran {
		return 0, ErrWorldRan
	}
	if w.base != nil {
		return 0, ErrFrozenWorld
	}
	id := BlockID(len(w.blocks))
	if len(w.blocks) >= w.limits.MaxBlocks {
		return 0, &LimitError{Kind: LimitBlocks, Max: int64(w.limits.MaxBlocks)}
	}
	if len(p.Policies) > 0 {
		return 0, fmt.Errorf("datalog: %s has policies; only the authorizer has them", id)
	}
	if err := checkRules(p.Rules, id); err != nil {
		return 0, err
	}
	if w.blocks == nil {
		w.blocks = make([]blockInput, 0, 4)
	}
	w.blocks = append(w.blocks, blockInput{prog: p, key: externalKey})
	return id, nil
}

// AddAuthorizer adds facts, rules, checks and policies to the authorizer.
// It may be called several times (request facts, then the service's
// policy, say); everything added keeps its order. The program is kept,
// not copied: do not change it afterwards. A program that many worlds
// load, such as a service's policy, is better compiled once with
// [Compile] and added with [World.AddCompiled].
func (w *World) AddAuthorizer(p *Program) error {
	if err := checkRules(p.Rules, AuthorizerBlock); err != nil {
		return err
	}
	return w.addAuthInput(authInput{prog: p})
}

// AddCompiled adds a compiled program to the authorizer, as AddAuthorizer
// adds a program.
func (w *World) AddCompiled(c *Compiled) error {
	return w.addAuthInput(authInput{prog: c.prog, compiled: c})
}

func (w *World) addAuthInput(a authInput) error {
	if w.ran {
		return ErrWorldRan
	}
	if w.base != nil {
		return ErrFrozenWorld
	}
	w.authScopes = append(w.authScopes, a.prog.Scopes...)
	if w.auth == nil {
		w.auth = make([]authInput, 0, 4)
	}
	w.auth = append(w.auth, a)
	return nil
}

// AddFact adds one fact to the authorizer: a fact of the request.
func (w *World) AddFact(f Fact) error {
	if w.ran {
		return ErrWorldRan
	}
	if w.auth == nil {
		w.auth = make([]authInput, 0, 4)
	}
	w.auth = append(w.auth, authInput{fact: f})
	return nil
}

// checkRules rejects rules whose head has an unbound variable: the
// parser refuses them, but a decoded token may carry one.
func checkRules(rules []Rule, b BlockID) error {
	for i, r := range rules {
		bound := map[Variable]bool{}
		for _, p := range r.Body.Predicates {
			for _, t := range p.Terms {
				if v, ok := t.(Variable); ok {
					bound[v] = true
				}
			}
		}
		for _, t := range r.Head.Terms {
			if v, ok := t.(Variable); ok && !bound[v] {
				return &RuleError{Block: b, What: "rule", Index: i, Source: r.String(), Err: ErrInvalidBlockRule}
			}
		}
	}
	return nil
}

// errStopped wraps the context's error when evaluation is cancelled.
var errStopped = errors.New("datalog: evaluation stopped")

// stepsBetweenClockReads is how many steps go by between two reads of
// the clock and the context.
const stepsBetweenClockReads = 1024

// step counts one unit of work; see charge.
func (w *World) step() error {
	w.steps++
	if w.steps < w.nextCheck {
		return nil
	}
	return w.checkpoint()
}

// charge counts n units of work, failing past MaxSteps, and every
// stepsBetweenClockReads steps checks the context and the time limit. It
// is called in every loop of evaluation, and in proportion to their size
// by operations on large values.
func (w *World) charge(n int) error {
	w.steps += n
	if w.steps < w.nextCheck {
		return nil
	}
	return w.checkpoint()
}

func (w *World) checkpoint() error {
	if w.deadline.IsZero() {
		// No evaluation is under way: what is loaded before one (a
		// snapshot's blocks, a request's facts) is bounded by MaxFacts.
		w.nextCheck = w.steps + stepsBetweenClockReads
		return nil
	}
	if w.steps > w.limits.MaxSteps {
		return &LimitError{Kind: LimitSteps, Max: int64(w.limits.MaxSteps)}
	}
	w.nextCheck = w.nextCheckpoint()
	return w.checkTime()
}

// nextCheckpoint is the step count of the next checkpoint: the next
// clock reading, or MaxSteps itself, past which the next step fails.
// (MaxSteps+1 could overflow.)
func (w *World) nextCheckpoint() int {
	return w.steps + min(stepsBetweenClockReads, w.limits.MaxSteps-w.steps)
}

// startWork starts the budget of one evaluation: no step taken, and
// MaxTime from now.
func (w *World) startWork(ctx context.Context) {
	w.ctx = ctx
	w.steps = 0
	w.nextCheck = w.nextCheckpoint()
	w.deadline = time.Now().Add(w.limits.MaxTime)
}

func (w *World) checkTime() error {
	if w.ctx != nil {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", errStopped, err)
		}
	}
	if time.Now().After(w.deadline) {
		return &LimitError{Kind: LimitTime, Max: int64(w.limits.MaxTime)}
	}
	return nil
}

// Run evaluates the world: it loads every block and the authorizer and
// derives facts until nothing new follows, within the limits. Authorize
// and Query call it when needed; calling it again returns its first
// result.
func (w *World) Run(ctx context.Context) error {
	if w.ran {
		return w.runErr
	}
	w.ran = true
	w.startWork(ctx)
	w.runErr = w.run()
	return w.runErr
}

func (w *World) run() error {
	load := w.load
	if w.base != nil {
		load = w.loadRequest
	}
	if err := load(); err != nil {
		return err
	}
	return w.fixpoint()
}

// trusted computes the origins a rule, check or policy of block b trusts:
// with no scopes of its own, its block's defaults; with scopes, those
// scopes, plus the block itself and the authorizer.
func (w *World) trusted(scopes []Scope, defaults origin, b BlockID) origin {
	if len(scopes) == 0 {
		return defaults.with(b).with(AuthorizerBlock)
	}
	o := originOf(b).with(AuthorizerBlock)
	for _, s := range scopes {
		switch s.Kind {
		case ScopeAuthority:
			o = o.with(0)
		case ScopePrevious:
			if b != AuthorizerBlock {
				for i := BlockID(0); i <= b; i++ {
					o = o.with(i)
				}
			}
		case ScopePublicKey:
			for i, blk := range w.blocks {
				if blk.key != nil && blk.key.Equal(s.PublicKey) {
					o = o.with(BlockID(i))
				}
			}
		}
	}
	return o
}

// defaultTrust is what a block trusts by default: the authority block and
// the authorizer (and itself, added by trusted).
var defaultTrust = originOf(0).with(AuthorizerBlock)

func (w *World) load() error {
	// Compile (or find) every template first, to size the arena once.
	temps := make([]*template, len(w.blocks)+len(w.auth))
	need := arenaSizes{rels: len(w.auth)} // a relation per single fact, at most
	for i, blk := range w.blocks {
		temps[i] = w.ownTemplate(blk.prog)
		need.add(temps[i].need)
	}
	for i, a := range w.auth {
		if a.prog != nil {
			t := w.templateOf(a)
			temps[len(w.blocks)+i] = t
			need.add(t.need)
		}
	}
	w.arena.reserve(need)
	w.in.reserve(need.ids+2*len(w.auth), need.comps)
	w.full.binding = carve(&w.arena.vals, need.joinSlots, 8)[:0]
	w.full.ranges = carve(&w.arena.ranges, need.joinPreds, 4)[:0]
	w.full.rels = carve(&w.arena.relps, need.joinPreds, 4)[:0]
	w.relations = make(map[predKey]*relation, need.rels)
	w.relList = make([]*relation, 0, need.rels)
	w.checks = make([][]*ccheck, len(w.blocks)+1)
	for i, blk := range w.blocks {
		b := BlockID(i)
		t := temps[i]
		m := w.bind(t)
		if err := w.loadFacts(t, &m, b, 0); err != nil {
			return err
		}
		trust := w.trusted(blk.prog.Scopes, defaultTrust, b)
		if err := w.loadRules(t, &m, trust, b, 0); err != nil {
			return err
		}
		if err := w.loadChecks(t, &m, trust, b, 0); err != nil {
			return err
		}
	}
	return w.loadAuthorizer(temps[len(w.blocks):])
}

// loadAuthorizer loads what the authorizer was given as one program: its
// facts, then its rules, checks and policies, each in order. temps are
// the templates of its programs, nil for its single facts.
func (w *World) loadAuthorizer(temps []*template) error {
	b := AuthorizerBlock
	maps := make([]remapper, len(w.auth))
	nfacts := 0
	for i, a := range w.auth {
		if a.prog == nil {
			if err := w.loadFact(a.fact, nfacts); err != nil {
				return err
			}
			nfacts++
			continue
		}
		maps[i] = w.bind(temps[i])
		if err := w.loadFacts(temps[i], &maps[i], b, nfacts); err != nil {
			return err
		}
		nfacts += len(a.prog.Facts)
	}
	trust := w.trusted(w.authScopes, defaultTrust, b)
	n := 0
	for i, t := range temps {
		if t == nil {
			continue
		}
		if err := w.loadRules(t, &maps[i], trust, b, n); err != nil {
			return err
		}
		n += len(w.auth[i].prog.Rules)
	}
	n = 0
	for i, t := range temps {
		if t == nil {
			continue
		}
		if err := w.loadChecks(t, &maps[i], trust, b, n); err != nil {
			return err
		}
		n += len(w.auth[i].prog.Checks)
	}
	n = 0
	for i, t := range temps {
		if t == nil {
			continue
		}
		for k := range t.policies {
			w.policies = append(w.policies, w.newCheck(&t.policies[k], &maps[i], trust, b, n+k))
		}
		if err := t.errAt("policy", b, n); err != nil {
			return err
		}
		n += len(w.auth[i].prog.Policies)
	}
	return nil
}

// loadFact inserts a single fact of the authorizer, the index-th of its
// facts.
func (w *World) loadFact(f Fact, index int) error {
	vals := w.factBuf[:0]
	for _, t := range f.Terms {
		if t == nil || t.Kind() == KindVariable || checkGround(t, w.limits.MaxDepth) != "" {
			return &RuleError{Block: AuthorizerBlock, What: "fact", Index: index, Source: f.String(), Err: fmt.Errorf("%w: a fact holds values only", ErrInvalidType)}
		}
		vals = append(vals, w.in.intern(t))
	}
	w.factBuf = vals
	k := predKey{w.in.str(f.Name), len(vals)}
	w.relation(k).reserve(&w.arena, 1)
	// insert copies the values.
	return w.insert(k, originOf(AuthorizerBlock), vals, false)
}

// errAt returns the template's error if it is of this kind, placed in
// block b, its index shifted by offset.
func (t *template) errAt(what string, b BlockID, offset int) error {
	if t.err == nil || t.err.What != what {
		return nil
	}
	e := *t.err
	e.Block = b
	e.Index += offset
	return &e
}

// loadFacts inserts the facts of a template; offset is the index of its
// first fact among its block's.
func (w *World) loadFacts(t *template, m *remapper, b BlockID, offset int) error {
	o := originOf(b)
	for _, kc := range t.factKeys {
		w.relation(predKey{m.str(kc.key.name), kc.key.arity}).reserve(&w.arena, kc.count)
	}
	vals := w.factBuf
	for _, f := range t.facts {
		vals = vals[:0]
		for _, v := range f.vals {
			vals = append(vals, m.val(v))
		}
		// insert copies the values.
		if err := w.insert(predKey{m.str(f.key.name), f.key.arity}, o, vals, false); err != nil {
			return err
		}
	}
	w.factBuf = vals
	return t.errAt("fact", b, offset)
}

func (w *World) loadRules(t *template, m *remapper, blockTrust origin, b BlockID, offset int) error {
	for i := range t.rules {
		tr := &t.rules[i]
		w.rules = append(w.rules, w.newRule(tr, m, w.trusted(tr.scopes, blockTrust, b), b))
	}
	return t.errAt("rule", b, offset)
}

func (w *World) loadChecks(t *template, m *remapper, blockTrust origin, b BlockID, offset int) error {
	checks := &w.checks[len(w.blocks)]
	if b != AuthorizerBlock {
		checks = &w.checks[b]
	}
	if *checks == nil {
		*checks = carve(&w.arena.checkps, len(t.checks), 4)[:0]
	}
	for i := range t.checks {
		*checks = append(*checks, w.newCheck(&t.checks[i], m, blockTrust, b, offset+i))
	}
	return t.errAt("check", b, offset)
}

// FactGroup is the facts of one origin: the blocks they were derived from.
type FactGroup struct {
	// Origin lists the blocks in order, AuthorizerBlock first.
	Origin []BlockID
	Facts  []Fact
}

// Facts returns every fact of the world, given and derived, grouped by
// origin: groups in the order of their origins, facts in the order of
// their printed form. Call it after Run.
func (w *World) Facts() []FactGroup {
	byOrigin := map[origin][]Fact{}
	for _, rel := range w.relList {
		name := w.in.strAt(rel.pred.name)
		for i := range rel.origins {
			terms := make([]Term, rel.arity)
			for j, v := range rel.row(i) {
				terms[j] = w.in.term(v)
			}
			o := rel.origins[i]
			byOrigin[o] = append(byOrigin[o], Fact{Predicate{Name: name, Terms: terms}})
		}
	}
	groups := make([]FactGroup, 0, len(byOrigin))
	for o, facts := range byOrigin {
		strs := make([]string, len(facts))
		for i, f := range facts {
			strs[i] = f.String()
		}
		idx := make([]int, len(facts))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(strs[a], strs[b]) })
		sorted := make([]Fact, len(facts))
		for i, j := range idx {
			sorted[i] = facts[j]
		}
		groups = append(groups, FactGroup{Origin: o.blockIDs(), Facts: sorted})
	}
	slices.SortFunc(groups, func(a, b FactGroup) int { return slices.Compare(a.Origin, b.Origin) })
	return groups
}
