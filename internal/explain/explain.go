// Package explain says why a check failed, for the tools that show a
// decision to a person: the command's authorize --explain and the
// playground. It reads a decision's world; it decides nothing.
package explain

import "github.com/codios/codios/datalog"

// Missing lists the predicates of the check's queries that no fact of the
// world matches: same name, same arity, equal values where the predicate
// has values rather than variables. The world's scopes are not applied, so
// a fact another block cannot see still counts as present.
func Missing(c datalog.Check, world []datalog.FactGroup) []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range c.Queries {
		for _, p := range q.Predicates {
			s := p.String()
			if seen[s] || anyMatch(p, world) {
				continue
			}
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func anyMatch(p datalog.Predicate, world []datalog.FactGroup) bool {
	for _, g := range world {
		for _, f := range g.Facts {
			if matches(p, f) {
				return true
			}
		}
	}
	return false
}

func matches(p datalog.Predicate, f datalog.Fact) bool {
	if p.Name != f.Name || len(p.Terms) != len(f.Terms) {
		return false
	}
	for i, t := range p.Terms {
		if t.Kind() != datalog.KindVariable && !datalog.Equal(t, f.Terms[i]) {
			return false
		}
	}
	return true
}
