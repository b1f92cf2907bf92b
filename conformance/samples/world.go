package samples

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/codios/codios/datalog"
	samplefile "github.com/codios/codios/internal/samples"
	"github.com/codios/codios/token"
)

// AuthorizerOrigin is the origin the reference gives the authorizer's
// rules and checks: usize::MAX.
const AuthorizerOrigin = math.MaxUint64

// World is an evaluated world in canonical form: groups in the order of
// their origins, facts, rules and checks sorted by their text within a
// group, policies in their order. Groups are never empty.
type World struct {
	Facts    []FactGroup
	Rules    []Group
	Checks   []Group
	Policies []string
}

// FactGroup is the facts of one origin: the blocks they come from, in
// order, -1 standing for the authorizer.
type FactGroup struct {
	Origin []int
	Facts  []string
}

// Group is the rules or checks of one block; the authorizer's origin is
// AuthorizerOrigin.
type Group struct {
	Origin uint64
	Items  []string
}

// WorldFromJSON puts a world of samples.json in canonical form.
func WorldFromJSON(j *samplefile.World) *World {
	if j == nil {
		return nil
	}
	w := &World{Policies: j.Policies}
	for _, f := range j.Facts {
		var origin []int
		for _, o := range f.Origin {
			if o == nil {
				origin = append(origin, int(datalog.AuthorizerBlock))
			} else {
				origin = append(origin, int(*o))
			}
		}
		w.Facts = append(w.Facts, FactGroup{Origin: origin, Facts: f.Facts})
	}
	for _, r := range j.Rules {
		w.Rules = append(w.Rules, Group{Origin: r.Origin, Items: r.Rules})
	}
	for _, c := range j.Checks {
		w.Checks = append(w.Checks, Group{Origin: c.Origin, Items: c.Checks})
	}
	return w.canonical()
}

// WorldOf prints what Codios evaluated: the facts of the world with their
// origins, and the rules, checks and policies of the token's blocks and
// the authorizer.
func WorldOf(tok *token.Token, authorizer *datalog.Program, facts []datalog.FactGroup) *World {
	w := &World{}
	for _, g := range facts {
		fg := FactGroup{}
		for _, b := range g.Origin {
			fg.Origin = append(fg.Origin, int(b))
		}
		for _, f := range g.Facts {
			fg.Facts = append(fg.Facts, f.String())
		}
		w.Facts = append(w.Facts, fg)
	}
	add := func(origin uint64, p *datalog.Program) {
		rules := Group{Origin: origin}
		for _, r := range p.Rules {
			rules.Items = append(rules.Items, r.String())
		}
		checks := Group{Origin: origin}
		for _, c := range p.Checks {
			checks.Items = append(checks.Items, c.String())
		}
		w.Rules = append(w.Rules, rules)
		w.Checks = append(w.Checks, checks)
	}
	for _, b := range tok.Blocks() {
		add(uint64(b.Index), b.Program)
	}
	add(AuthorizerOrigin, authorizer)
	for _, p := range authorizer.Policies {
		w.Policies = append(w.Policies, p.String())
	}
	return w.canonical()
}

// canonical sorts w in place and drops empty groups.
func (w *World) canonical() *World {
	w.Facts = slices.DeleteFunc(w.Facts, func(g FactGroup) bool { return len(g.Facts) == 0 })
	for _, g := range w.Facts {
		slices.Sort(g.Origin)
		slices.Sort(g.Facts)
	}
	slices.SortFunc(w.Facts, func(a, b FactGroup) int { return slices.Compare(a.Origin, b.Origin) })
	for _, groups := range []*[]Group{&w.Rules, &w.Checks} {
		*groups = slices.DeleteFunc(*groups, func(g Group) bool { return len(g.Items) == 0 })
		for _, g := range *groups {
			slices.Sort(g.Items)
		}
		slices.SortFunc(*groups, func(a, b Group) int { return cmp.Compare(a.Origin, b.Origin) })
	}
	return w
}

// Authorize runs one validation: it authorizes tok with the authorizer
// code of a sample, and returns the outcome and the world. The world is
// nil when evaluation did not get as far as deriving every fact. An error
// is the harness's: authorizer code that does not parse.
func Authorize(ctx context.Context, tok *token.Token, authorizerCode string) (Outcome, *World, error) {
	prog, err := datalog.ParseAuthorizer(authorizerCode, nil)
	if err != nil {
		return Outcome{}, nil, err
	}
	a, err := token.NewAuthorizer(prog, &token.AuthorizerOptions{Externs: Externs})
	var d *token.Decision
	if err == nil {
		d, err = a.Authorize(ctx, tok, &token.Request{Explain: true})
	}
	if err == nil {
		return OutcomeOf(d, nil), WorldOf(tok, prog, d.Facts), nil
	}
	// A failed authorization has no decision to ask for its facts. Facts
	// follow from facts and rules alone: evaluate them again, as
	// Authorizer.Authorize loads them, without the checks and policies.
	// The world is nil if that fails too.
	out := OutcomeOf(nil, err)
	w := datalog.NewWorld(&datalog.Options{Externs: Externs})
	for _, b := range tok.Blocks() {
		var key *datalog.PublicKey
		if b.ExternalKey != nil {
			k := b.ExternalKey.Datalog()
			key = &k
		}
		if _, err := w.AddBlock(factsAndRules(b.Program), key); err != nil {
			return out, nil, nil
		}
	}
	if w.AddAuthorizer(factsAndRules(prog)) != nil || w.Run(ctx) != nil {
		return out, nil, nil
	}
	return out, WorldOf(tok, prog, w.Facts()), nil
}

// factsAndRules is p without its checks and policies.
func factsAndRules(p *datalog.Program) *datalog.Program {
	return &datalog.Program{Scopes: p.Scopes, Facts: p.Facts, Rules: p.Rules}
}
