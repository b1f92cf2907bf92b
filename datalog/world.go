package datalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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
	regexps map[string]*regexp.Regexp
	ev      evaluator

	blocks     []blockInput
	authorizer Program

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

	ctx      context.Context
	deadline time.Time
	steps    int
}

type blockInput struct {
	prog *Program
	key  *PublicKey
}

// MaxBlocks is the most blocks a world holds, the authorizer aside.
const MaxBlocks = 126

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
	if opts == nil {
		opts = &Options{}
	}
	w := &World{
		limits:    opts.Limits.withDefaults(),
		externs:   opts.Externs,
		in:        newInterner(),
		regexps:   map[string]*regexp.Regexp{},
		relations: map[predKey]*relation{},
	}
	w.ev.w = w
	return w
}

// ErrWorldRan is returned when a block or authorizer is added to a world
// that has already been evaluated.
var ErrWorldRan = errors.New("datalog: world already evaluated")

// ErrTooManyBlocks is returned by AddBlock past MaxBlocks.
var ErrTooManyBlocks = errors.New("datalog: too many blocks")

// AddBlock adds the next block of a token: the authority block first. A
// third-party block has the key that signed it; a trusting clause that
// names the key trusts the block. The program is kept, not copied: do not
// change it afterwards. Policies in a block, and rules whose head has a
// variable their body does not bind, are errors.
func (w *World) AddBlock(p *Program, externalKey *PublicKey) (BlockID, error) {
	if w.ran {
		return 0, ErrWorldRan
	}
	id := BlockID(len(w.blocks))
	if len(w.blocks) >= MaxBlocks {
		return 0, fmt.Errorf("%w: more than %d", ErrTooManyBlocks, MaxBlocks)
	}
	if len(p.Policies) > 0 {
		return 0, fmt.Errorf("datalog: %s has policies; only the authorizer has them", id)
	}
	if err := checkRules(p.Rules, id); err != nil {
		return 0, err
	}
	w.blocks = append(w.blocks, blockInput{prog: p, key: externalKey})
	return id, nil
}

// AddAuthorizer adds facts, rules, checks and policies to the authorizer.
// It may be called several times (request facts, then the service's
// policy, say); everything added keeps its order.
func (w *World) AddAuthorizer(p *Program) error {
	if w.ran {
		return ErrWorldRan
	}
	if err := checkRules(p.Rules, AuthorizerBlock); err != nil {
		return err
	}
	a := &w.authorizer
	a.Scopes = append(a.Scopes, p.Scopes...)
	a.Facts = append(a.Facts, p.Facts...)
	a.Rules = append(a.Rules, p.Rules...)
	a.Checks = append(a.Checks, p.Checks...)
	a.Policies = append(a.Policies, p.Policies...)
	return nil
}

// AddFact adds one fact to the authorizer: a fact of the request.
func (w *World) AddFact(f Fact) error {
	if w.ran {
		return ErrWorldRan
	}
	w.authorizer.Facts = append(w.authorizer.Facts, f)
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

// step counts one unit of work and, every so often, checks the time limit
// and the context. It is called in every loop of evaluation.
func (w *World) step() error {
	w.steps++
	if w.steps&1023 != 0 {
		return nil
	}
	return w.checkTime()
}

func (w *World) checkTime() error {
	if w.ctx != nil {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", errStopped, err)
		}
	}
	if time.Now().After(w.deadline) {
		return &LimitError{Limit: "MaxTime", Max: int64(w.limits.MaxTime)}
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
	w.ctx = ctx
	w.deadline = time.Now().Add(w.limits.MaxTime)
	w.runErr = w.run()
	return w.runErr
}

func (w *World) run() error {
	if err := w.load(); err != nil {
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
	w.checks = make([][]*ccheck, len(w.blocks)+1)
	for i, blk := range w.blocks {
		if err := w.loadProgram(blk.prog, BlockID(i), &w.checks[i]); err != nil {
			return err
		}
	}
	if err := w.loadProgram(&w.authorizer, AuthorizerBlock, &w.checks[len(w.blocks)]); err != nil {
		return err
	}
	blockTrust := w.trusted(w.authorizer.Scopes, defaultTrust, AuthorizerBlock)
	for i, p := range w.authorizer.Policies {
		c, err := w.compileQueries(p.Queries, blockTrust, AuthorizerBlock)
		if err != nil {
			return &RuleError{Block: AuthorizerBlock, What: "policy", Index: i, Source: p.String(), Err: err}
		}
		c.policy = p
		c.index = i
		w.policies = append(w.policies, c)
	}
	return nil
}

func (w *World) loadProgram(p *Program, b BlockID, checks *[]*ccheck) error {
	o := originOf(b)
	for i, f := range p.Facts {
		vals := make([]val, len(f.Terms))
		for j, t := range f.Terms {
			if t == nil || t.Kind() == KindVariable || t.Kind() == KindParameter || checkGround(t, w.limits.MaxDepth) != "" {
				return &RuleError{Block: b, What: "fact", Index: i, Source: f.String(), Err: fmt.Errorf("%w: a fact holds values only", ErrInvalidType)}
			}
			vals[j] = w.in.intern(t)
		}
		if err := w.insert(predKey{w.in.str(f.Name), len(vals)}, o, vals, false); err != nil {
			return err
		}
	}
	blockTrust := w.trusted(p.Scopes, defaultTrust, b)
	for i, r := range p.Rules {
		cr, err := w.compileRule(r, w.trusted(r.Body.Scopes, blockTrust, b), b)
		if err != nil {
			return &RuleError{Block: b, What: "rule", Index: i, Source: r.String(), Err: err}
		}
		w.rules = append(w.rules, cr)
	}
	for i, c := range p.Checks {
		cc, err := w.compileQueries(c.Queries, blockTrust, b)
		if err != nil {
			return &RuleError{Block: b, What: "check", Index: i, Source: c.String(), Err: err}
		}
		cc.check = c
		cc.index = i
		*checks = append(*checks, cc)
	}
	return nil
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
		name := w.in.strs[rel.pred.name]
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

// Iterations is how many rounds the fixpoint took.
func (w *World) Iterations() int { return w.iterations }
