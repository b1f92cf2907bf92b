package datalog

import "fmt"

// A program given to Compile, such as a service's policy, is compiled
// once, apart from any world, into a template: its strings and
// collections are interned in a table of its own, and its rules, checks
// and policies are compiled against that table. Loading the template into
// a world interns each distinct constant once and copies what holds one;
// what holds none (variables, integers, dates) is shared, read-only, by
// every world. Any other program, such as a block of a token just
// decoded, is compiled against the world's own table, as it may never be
// seen again, and costs no bookkeeping.

// template is a program compiled apart from any world.
type template struct {
	maxDepth int
	in       *interner
	facts    []tfact
	rules    []trule
	checks   []tcheck
	policies []tcheck
	// factKeys counts the facts of each relation, in order of first fact.
	factKeys []keyCount
	// need is what loading the template takes from a world's arena.
	need arenaSizes
	// err is the first error of the program, found by compiling in load
	// order: facts, rules, checks, policies. The parts before it are valid.
	err *RuleError
}

type keyCount struct {
	key   predKey
	count int
}

type tfact struct {
	key  predKey
	vals []val
}

type trule struct {
	body   cbody // trusted is set at load
	scopes []Scope
	head   cpred
}

type tquery struct {
	body   cbody
	scopes []Scope
}

type tcheck struct {
	queries []tquery
	check   Check
	policy  Policy
}

// Compiled is a program compiled once for the authorizer of many worlds,
// such as a service's policy. It is safe for concurrent use: worlds only
// read it.
type Compiled struct {
	prog *Program
	t    *template
}

// Compile checks and compiles p for the authorizer of worlds made with
// opts, which [World.AddCompiled] then loads without compiling it again.
// An invalid fact, rule, check or policy is a [*RuleError] here, not at
// evaluation. The program is kept, not copied: do not change it
// afterwards.
func Compile(p *Program, opts *Options) (*Compiled, error) {
	if err := checkRules(p.Rules, AuthorizerBlock); err != nil {
		return nil, err
	}
	t := compileTemplate(p, opts.limits().MaxDepth, newInterner())
	if t.err != nil {
		e := *t.err
		e.Block = AuthorizerBlock
		return nil, &e
	}
	return &Compiled{prog: p, t: t}, nil
}

// ownTemplate compiles p against the world's own table: a program loaded
// once.
func (w *World) ownTemplate(p *Program) *template {
	t := compileTemplate(p, w.limits.MaxDepth, w.in)
	t.need.own()
	return t
}

// templateOf returns what the world loads of an authorizer's program.
// A program compiled under another depth limit is compiled again, under
// the world's.
func (w *World) templateOf(a authInput) *template {
	if a.compiled != nil && a.compiled.t.maxDepth == w.limits.MaxDepth {
		return a.compiled.t
	}
	return w.ownTemplate(a.prog)
}

// compileTemplate compiles p in load order, stopping at its first error.
// The block given to errors is fixed at load.
func compileTemplate(p *Program, maxDepth int, in *interner) *template {
	t := &template{maxDepth: maxDepth, in: in}
	t.facts = make([]tfact, 0, len(p.Facts))
	for i, f := range p.Facts {
		vals := make([]val, len(f.Terms))
		for j, term := range f.Terms {
			if term == nil || term.Kind() == KindVariable || checkGround(term, maxDepth) != "" {
				t.err = &RuleError{What: "fact", Index: i, Source: f.String(), Err: fmt.Errorf("%w: a fact holds values only", ErrInvalidType)}
				return t
			}
			vals[j] = in.intern(term)
		}
		t.facts = append(t.facts, tfact{predKey{in.str(f.Name), len(vals)}, vals})
	}
	t.rules = make([]trule, 0, len(p.Rules))
	for i, r := range p.Rules {
		tr, err := compileRuleTemplate(r, in, maxDepth)
		if err != nil {
			t.err = &RuleError{What: "rule", Index: i, Source: r.String(), Err: err}
			return t
		}
		t.rules = append(t.rules, tr)
	}
	t.checks = make([]tcheck, 0, len(p.Checks))
	for i, c := range p.Checks {
		qs, err := compileQueryTemplates(c.Queries, in, maxDepth)
		if err != nil {
			t.err = &RuleError{What: "check", Index: i, Source: c.String(), Err: err}
			return t
		}
		t.checks = append(t.checks, tcheck{queries: qs, check: c})
	}
	t.policies = make([]tcheck, 0, len(p.Policies))
	for i, pol := range p.Policies {
		qs, err := compileQueryTemplates(pol.Queries, in, maxDepth)
		if err != nil {
			t.err = &RuleError{What: "policy", Index: i, Source: pol.String(), Err: err}
			return t
		}
		t.policies = append(t.policies, tcheck{queries: qs, policy: pol})
	}
	t.need = t.sizes()
	return t
}

// arenaSizes counts the elements of each slab of an arena.
type arenaSizes struct {
	preds, terms, bodies, checks, rules, vals, rels, ids, ranges int
	exprs, ops, rows, facts, comps                               int
	// joinSlots and joinPreds are the most slots and predicates of a
	// check's query: the sizes of the buffers of fullJoiner.
	joinSlots, joinPreds int
}

func (a *arenaSizes) add(b arenaSizes) {
	a.preds += b.preds
	a.terms += b.terms
	a.bodies += b.bodies
	a.checks += b.checks
	a.rules += b.rules
	a.vals += b.vals
	a.rels += b.rels
	a.ids += b.ids
	a.ranges += b.ranges
	a.exprs += b.exprs
	a.ops += b.ops
	a.rows += b.rows
	a.facts += b.facts
	a.comps += b.comps
	a.joinSlots = max(a.joinSlots, b.joinSlots)
	a.joinPreds = max(a.joinPreds, b.joinPreds)
}

// sizes counts what loading t takes; rels counts the relations its facts
// and rule heads may create.
func (t *template) sizes() arenaSizes {
	n := arenaSizes{ids: len(t.in.strs), vals: len(t.in.comps), comps: len(t.in.comps), rules: len(t.rules)}
	terms := func(p *cpred) {
		for _, c := range p.terms {
			if !c.isVar && needsRemap(c.v) {
				n.terms += len(p.terms)
				return
			}
		}
	}
	body := func(b *cbody) {
		n.preds += len(b.preds)
		for j := range b.preds {
			terms(&b.preds[j])
		}
		n.exprs += len(b.exprs)
		for _, e := range b.exprs {
			for _, op := range e {
				if op.kind == copValue && needsRemap(op.v) {
					n.ops += len(e)
					break
				}
			}
		}
	}
	keys := map[predKey]int{} // index in t.factKeys
	for _, f := range t.facts {
		i, ok := keys[f.key]
		if !ok {
			i = len(t.factKeys)
			keys[f.key] = i
			t.factKeys = append(t.factKeys, keyCount{key: f.key})
		}
		t.factKeys[i].count++
		n.rows += len(f.vals)
	}
	n.facts = len(t.facts)
	for i := range t.rules {
		r := &t.rules[i]
		keys[r.head.key] = -1
		n.ranges += len(r.body.preds)
		n.vals += r.body.nslots + len(r.head.terms)
		terms(&r.head)
		body(&r.body)
	}
	n.rels = len(keys)
	for _, cs := range [][]tcheck{t.checks, t.policies} {
		n.checks += len(cs)
		for i := range cs {
			n.bodies += len(cs[i].queries)
			for j := range cs[i].queries {
				b := &cs[i].queries[j].body
				body(b)
				n.joinSlots = max(n.joinSlots, b.nslots)
				n.joinPreds = max(n.joinPreds, len(b.preds))
			}
		}
	}
	return n
}

// own drops from n what a template of the world's own shares with it.
func (n *arenaSizes) own() {
	n.preds, n.terms, n.exprs, n.ops, n.ids, n.comps = 0, 0, 0, 0, 0, 0
}

// reserve sizes the arena's slabs for what is to be loaded.
func (a *arena) reserve(n arenaSizes) {
	a.preds = make([]cpred, 0, n.preds)
	a.terms = make([]cterm, 0, n.terms)
	a.bodies = make([]cbody, 0, n.bodies)
	a.checks = make([]ccheck, 0, n.checks)
	a.rules = make([]crule, 0, n.rules)
	a.vals = make([]val, 0, n.vals+n.rows+n.joinSlots)
	a.rels = make([]relation, 0, n.rels)
	a.ids = make([]uint64, 0, n.ids)
	a.ranges = make([][2]int, 0, n.ranges+n.joinPreds)
	a.relps = make([]*relation, 0, n.ranges+n.joinPreds)
	a.checkps = make([]*ccheck, 0, n.checks)
	a.exprs = make([][]cop, 0, n.exprs)
	a.ops = make([]cop, 0, n.ops)
	a.origins = make([]origin, 0, n.facts)
}

func newExprCompiler(in *interner, maxDepth int) *exprCompiler {
	return &exprCompiler{in: in, slots: map[string]int{}, bound: map[string]bool{}, maxDepth: maxDepth}
}

func compileRuleTemplate(r Rule, in *interner, maxDepth int) (trule, error) {
	c := newExprCompiler(in, maxDepth)
	body, err := compileBody(r.Body, c)
	if err != nil {
		return trule{}, err
	}
	head, err := compilePred(r.Head, c)
	if err != nil {
		return trule{}, err
	}
	body.nslots = c.nslots
	return trule{body: body, scopes: r.Body.Scopes, head: head}, nil
}

func compileQueryTemplates(queries []Body, in *interner, maxDepth int) ([]tquery, error) {
	qs := make([]tquery, len(queries))
	for i, q := range queries {
		c := newExprCompiler(in, maxDepth)
		body, err := compileBody(q, c)
		if err != nil {
			return nil, err
		}
		body.nslots = c.nslots
		qs[i] = tquery{body: body, scopes: q.Scopes}
	}
	return qs, nil
}

// remapper translates the values of a template to those of a world. The
// template of a world's own (identity) needs no translation: its parts
// are the world's.
type remapper struct {
	a        *arena
	identity bool
	strs     []uint64
	comps    []val
}

// bind interns the constants of t into the world, and returns their map.
func (w *World) bind(t *template) remapper {
	if t.in == w.in {
		return remapper{a: &w.arena, identity: true}
	}
	m := remapper{a: &w.arena, strs: carve(&w.arena.ids, len(t.in.strs), 16)}
	for i, s := range t.in.strs {
		m.strs[i] = w.in.str(s)
	}
	if len(t.in.comps) > 0 {
		m.comps = carve(&w.arena.vals, len(t.in.comps), 16)[:0]
		// A collection's elements are interned before it: they are mapped.
		for _, c := range t.in.comps {
			elems := make([]val, len(c.elems))
			for j, e := range c.elems {
				elems[j] = m.val(e)
			}
			m.comps = append(m.comps, w.in.collection(c.kind, elems))
		}
	}
	return m
}

func needsRemap(v val) bool {
	switch v.k {
	case KindString, KindBytes, KindSet, KindArray, KindMap:
		return true
	}
	return false
}

func (m *remapper) str(id uint64) uint64 {
	if m.identity {
		return id
	}
	return m.strs[id]
}

func (m *remapper) val(v val) val {
	if m.identity {
		return v
	}
	switch v.k {
	case KindString, KindBytes:
		return val{v.k, m.strs[v.n]}
	case KindSet, KindArray, KindMap:
		return m.comps[v.n]
	}
	return v
}

func (m *remapper) pred(p cpred) cpred {
	if m.identity {
		return p
	}
	out := cpred{key: predKey{m.strs[p.key.name], p.key.arity}, terms: p.terms}
	copied := false
	for i, t := range p.terms {
		if t.isVar || !needsRemap(t.v) {
			continue
		}
		if !copied {
			out.terms = carve(&m.a.terms, len(p.terms), 4)
			copy(out.terms, p.terms)
			copied = true
		}
		out.terms[i].v = m.val(t.v)
	}
	return out
}

// ops returns ops with its constants mapped, and whether any was: ops
// itself when none needs it.
func (m *remapper) ops(ops []cop) ([]cop, bool) {
	if m.identity {
		return ops, false
	}
	var out []cop
	for i, op := range ops {
		mapped := op
		switch {
		case op.kind == copValue && needsRemap(op.v):
			mapped.v = m.val(op.v)
		case op.kind == copClosure:
			body, changed := m.ops(op.clo.ops)
			if !changed {
				continue
			}
			mapped.clo = &cclosure{params: op.clo.params, ops: body}
		default:
			continue
		}
		if out == nil {
			out = carve(&m.a.ops, len(ops), 16)
			copy(out, ops)
		}
		out[i] = mapped
	}
	if out == nil {
		return ops, false
	}
	return out, true
}

// body returns b with its constants mapped and its trust set.
func (m *remapper) body(b *cbody, trusted origin) cbody {
	out := *b
	out.trusted = trusted
	if m.identity {
		return out
	}
	out.preds = carve(&m.a.preds, len(b.preds), 4)
	for i, p := range b.preds {
		out.preds[i] = m.pred(p)
	}
	if len(b.exprs) > 0 {
		out.exprs = carve(&m.a.exprs, len(b.exprs), 4)
		for i, e := range b.exprs {
			out.exprs[i], _ = m.ops(e)
		}
	}
	return out
}

// arena hands out the small slices of what a world loads, carved from a
// few larger ones: a world is short-lived, and its parts die together.
type arena struct {
	preds   []cpred
	terms   []cterm
	bodies  []cbody
	checks  []ccheck
	rules   []crule
	vals    []val
	rels    []relation
	ids     []uint64
	ranges  [][2]int
	relps   []*relation
	checkps []*ccheck
	exprs   [][]cop
	ops     []cop
	origins []origin
}

// carve returns n elements of *buf, of capacity n, allocating a chunk of
// at least chunk elements when *buf has too few left.
func carve[T any](buf *[]T, n, chunk int) []T {
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(n, chunk))
	}
	l := len(*buf)
	*buf = (*buf)[:l+n]
	return (*buf)[l : l+n : l+n]
}
