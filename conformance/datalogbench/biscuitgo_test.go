package datalogbench

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	biscuit "github.com/biscuit-auth/biscuit-go/v2"
	bdatalog "github.com/biscuit-auth/biscuit-go/v2/datalog"
	bparser "github.com/biscuit-auth/biscuit-go/v2/parser"
)

// biscuit-go v2.2.0 evaluates Datalog in two places:
//
//   - its datalog package: a World of facts and rules, World.Run for the
//     fixpoint, World.QueryRule for a check's or a policy's query, over
//     terms interned in a SymbolTable;
//   - its Authorizer (biscuit.NewVerifier, or Biscuit.Authorizer, which
//     verifies the signatures first), which needs a token: it converts the
//     token's blocks from the token's symbols to its own, then runs worlds
//     and queries in the order of authorizer.go.
//
// Both are measured. The World variant, impl=biscuitgo, is its engine
// alone: the programs are converted to its terms once, outside the timed
// loop, and authorizeWorld repeats what Authorizer.Authorize does with the
// worlds, minus the conversions. The Authorizer variant,
// impl=biscuitgo-authorizer, is its public per-request path: a token built
// once in memory (never serialized, its signatures never checked in the
// loop), then NewVerifier, AddAuthorizer, AddFact and Authorize.

// bgWorldOptions lift biscuit-go's run limits, whose defaults (1,000
// facts, 2 ms) would refuse the 1,000-facts and 1,000-rules worlds; the
// iteration limit stays at its default of 100, the same as Codios's.
var bgWorldOptions = []bdatalog.WorldOption{
	bdatalog.WithMaxFacts(1 << 20),
	bdatalog.WithMaxDuration(time.Minute),
}

// bgProgram is a block or an authorizer in biscuit-go's datalog terms.
type bgProgram struct {
	facts  []bdatalog.Fact
	rules  []bdatalog.Rule
	checks []bdatalog.Check
}

// bgRequest is a request for biscuit-go, parsed once, converted once to
// datalog terms for the World variant and built once into a token for
// the Authorizer variant.
type bgRequest struct {
	parsedBlocks     []biscuit.ParsedBlock
	parsedAuthorizer biscuit.ParsedAuthorizer
	parsedFacts      []biscuit.Fact

	syms       *bdatalog.SymbolTable
	blocks     []bgProgram
	authorizer bgProgram
	policies   [][]bdatalog.Rule // the queries of each policy; all allow

	token *biscuit.Biscuit
}

func parseBiscuitGo(r request) (*bgRequest, error) {
	p := bparser.New()
	g := &bgRequest{syms: &bdatalog.SymbolTable{}}
	for i, src := range r.blocks {
		b, err := p.Block(src, nil)
		if err != nil {
			return nil, fmt.Errorf("%s block %d: %w", r.name, i, err)
		}
		g.parsedBlocks = append(g.parsedBlocks, b)
	}
	a, err := p.Authorizer(r.authorizer, nil)
	if err != nil {
		return nil, fmt.Errorf("%s authorizer: %w", r.name, err)
	}
	g.parsedAuthorizer = a
	for _, src := range r.facts {
		f, err := p.Fact(src, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		g.parsedFacts = append(g.parsedFacts, f)
	}

	// The Authorizer adds the authorizer's facts and rules to its world
	// first, the request's facts next, the authority block's at Authorize.
	c := converter{g.syms}
	g.authorizer = c.program(a.Block)
	for _, f := range g.parsedFacts {
		g.authorizer.facts = append(g.authorizer.facts, c.fact(f))
	}
	for _, pol := range a.Policies {
		if pol.Kind != biscuit.PolicyKindAllow {
			return nil, fmt.Errorf("%s: only allow policies are supported here", r.name)
		}
		var queries []bdatalog.Rule
		for _, q := range pol.Queries {
			queries = append(queries, c.rule(q))
		}
		g.policies = append(g.policies, queries)
	}
	for _, b := range g.parsedBlocks {
		g.blocks = append(g.blocks, c.program(b))
	}

	if g.token, err = buildToken(g.parsedBlocks); err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	return g, nil
}

// buildToken signs the blocks into a token, in memory.
func buildToken(blocks []biscuit.ParsedBlock) (*biscuit.Biscuit, error) {
	_, root, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	builder := biscuit.NewBuilder(root)
	if err := builder.AddBlock(blocks[0]); err != nil {
		return nil, err
	}
	token, err := builder.Build()
	if err != nil {
		return nil, err
	}
	for _, b := range blocks[1:] {
		bb := token.CreateBlock()
		if err := bb.AddBlock(b); err != nil {
			return nil, err
		}
		if token, err = token.Append(rand.Reader, bb.Build()); err != nil {
			return nil, err
		}
	}
	return token, nil
}

// authorizeWorld evaluates the request with biscuit-go's datalog package,
// in the steps of Authorizer.Authorize (authorizer.go, v2.2.0): one world
// with the authorizer's and the authority block's facts and rules, run;
// the authorizer's checks, the authority block's checks, the policies;
// then, the rules dropped, a clone of that world for each other block,
// with its facts and rules, run, and its checks. It returns the answer
// and the worlds it ran.
func (g *bgRequest) authorizeWorld() (answer, []*bdatalog.World, error) {
	a := answer{policy: -1}
	w := bdatalog.NewWorld(bgWorldOptions...)
	g.authorizer.addTo(w)
	g.blocks[0].addTo(w)
	if err := w.Run(g.syms); err != nil {
		return a, nil, err
	}
	worlds := []*bdatalog.World{w}
	a.failed = g.check(w, -1, g.authorizer.checks, a.failed)
	a.failed = g.check(w, 0, g.blocks[0].checks, a.failed)
	for i, queries := range g.policies {
		if g.matches(w, queries) {
			a.policy = i
			break
		}
	}
	w.ResetRules()
	for i, b := range g.blocks[1:] {
		bw := w.Clone()
		b.addTo(bw)
		if err := bw.Run(g.syms); err != nil {
			return a, nil, err
		}
		a.failed = g.check(bw, i+1, b.checks, a.failed)
		bw.ResetRules()
		worlds = append(worlds, bw)
	}
	return a, worlds, nil
}

func (p *bgProgram) addTo(w *bdatalog.World) {
	for _, f := range p.facts {
		w.AddFact(f)
	}
	for _, r := range p.rules {
		w.AddRule(r)
	}
}

// check appends the checks that fail to failed.
func (g *bgRequest) check(w *bdatalog.World, block int, checks []bdatalog.Check, failed []failedCheck) []failedCheck {
	for i, c := range checks {
		if !g.matches(w, c.Queries) {
			failed = append(failed, failedCheck{block, i})
		}
	}
	return failed
}

// matches reports whether one of the queries matches, as Authorize
// decides it: QueryRule returns at least one fact.
func (g *bgRequest) matches(w *bdatalog.World, queries []bdatalog.Rule) bool {
	for _, q := range queries {
		if len(*w.QueryRule(q, g.syms)) != 0 {
			return true
		}
	}
	return false
}

// worldAnswer is authorizeWorld's answer, with the facts of its worlds.
func (g *bgRequest) worldAnswer() (answer, error) {
	a, worlds, err := g.authorizeWorld()
	if err != nil {
		return a, err
	}
	a.facts = map[string]int{}
	all := bdatalog.FactSet{}
	for _, w := range worlds {
		for _, f := range *w.Facts() {
			if all.Insert(f) {
				a.facts[g.syms.Str(f.Name)]++
			}
		}
	}
	return a, nil
}

// authorizeToken evaluates the request through biscuit-go's public API;
// nil means allowed.
func (g *bgRequest) authorizeToken() error {
	a, err := biscuit.NewVerifier(g.token, biscuit.WithWorldOptions(bgWorldOptions...))
	if err != nil {
		return err
	}
	a.AddAuthorizer(g.parsedAuthorizer)
	for _, f := range g.parsedFacts {
		a.AddFact(f)
	}
	return a.Authorize()
}

// converter turns biscuit-go's parsed terms into its datalog terms, as
// its unexported convert methods do (types.go, v2.2.0).
type converter struct{ syms *bdatalog.SymbolTable }

func (c converter) program(b biscuit.ParsedBlock) bgProgram {
	var p bgProgram
	for _, f := range b.Facts {
		p.facts = append(p.facts, c.fact(f))
	}
	for _, r := range b.Rules {
		p.rules = append(p.rules, c.rule(r))
	}
	for _, ch := range b.Checks {
		var queries []bdatalog.Rule
		for _, q := range ch.Queries {
			queries = append(queries, c.rule(q))
		}
		p.checks = append(p.checks, bdatalog.Check{Queries: queries})
	}
	return p
}

func (c converter) fact(f biscuit.Fact) bdatalog.Fact {
	return bdatalog.Fact{Predicate: c.predicate(f.Predicate)}
}

func (c converter) predicate(p biscuit.Predicate) bdatalog.Predicate {
	terms := make([]bdatalog.Term, len(p.IDs))
	for i, t := range p.IDs {
		terms[i] = c.term(t)
	}
	return bdatalog.Predicate{Name: c.syms.Insert(p.Name), Terms: terms}
}

func (c converter) rule(r biscuit.Rule) bdatalog.Rule {
	body := make([]bdatalog.Predicate, len(r.Body))
	for i, p := range r.Body {
		body[i] = c.predicate(p)
	}
	exprs := make([]bdatalog.Expression, len(r.Expressions))
	for i, e := range r.Expressions {
		exprs[i] = c.expression(e)
	}
	return bdatalog.Rule{Head: c.predicate(r.Head), Body: body, Expressions: exprs}
}

func (c converter) term(t biscuit.Term) bdatalog.Term {
	switch t := t.(type) {
	case biscuit.Variable:
		return bdatalog.Variable(c.syms.Insert(string(t)))
	case biscuit.Integer:
		return bdatalog.Integer(t)
	case biscuit.String:
		return c.syms.Insert(string(t))
	case biscuit.Date:
		return bdatalog.Date(time.Time(t).Unix())
	case biscuit.Bytes:
		return bdatalog.Bytes(t)
	case biscuit.Bool:
		return bdatalog.Bool(t)
	case biscuit.Set:
		set := make(bdatalog.Set, len(t))
		for i, e := range t {
			set[i] = c.term(e)
		}
		return set
	}
	panic(fmt.Sprintf("datalogbench: unknown biscuit-go term %T", t))
}

var (
	bgUnary = map[biscuit.UnaryOp]bdatalog.UnaryOpFunc{
		biscuit.UnaryNegate: bdatalog.Negate{},
		biscuit.UnaryParens: bdatalog.Parens{},
		biscuit.UnaryLength: bdatalog.Length{},
	}
	bgBinary = map[biscuit.BinaryOp]bdatalog.BinaryOpFunc{
		biscuit.BinaryLessThan:       bdatalog.LessThan{},
		biscuit.BinaryLessOrEqual:    bdatalog.LessOrEqual{},
		biscuit.BinaryGreaterThan:    bdatalog.GreaterThan{},
		biscuit.BinaryGreaterOrEqual: bdatalog.GreaterOrEqual{},
		biscuit.BinaryEqual:          bdatalog.Equal{},
		biscuit.BinaryContains:       bdatalog.Contains{},
		biscuit.BinaryPrefix:         bdatalog.Prefix{},
		biscuit.BinarySuffix:         bdatalog.Suffix{},
		biscuit.BinaryRegex:          bdatalog.Regex{},
		biscuit.BinaryAdd:            bdatalog.Add{},
		biscuit.BinarySub:            bdatalog.Sub{},
		biscuit.BinaryMul:            bdatalog.Mul{},
		biscuit.BinaryDiv:            bdatalog.Div{},
		biscuit.BinaryAnd:            bdatalog.And{},
		biscuit.BinaryOr:             bdatalog.Or{},
		biscuit.BinaryIntersection:   bdatalog.Intersection{},
		biscuit.BinaryUnion:          bdatalog.Union{},
	}
)

func (c converter) expression(e biscuit.Expression) bdatalog.Expression {
	out := make(bdatalog.Expression, len(e))
	for i, op := range e {
		switch op := op.(type) {
		case biscuit.Value:
			out[i] = bdatalog.Value{ID: c.term(op.Term)}
		case biscuit.UnaryOp:
			if f, ok := bgUnary[op]; ok {
				out[i] = bdatalog.UnaryOp{UnaryOpFunc: f}
				continue
			}
		case biscuit.BinaryOp:
			if f, ok := bgBinary[op]; ok {
				out[i] = bdatalog.BinaryOp{BinaryOpFunc: f}
				continue
			}
		}
		if out[i] == nil {
			panic(fmt.Sprintf("datalogbench: unknown biscuit-go operation %T %v", op, op))
		}
	}
	return out
}
