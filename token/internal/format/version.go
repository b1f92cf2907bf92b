package format

import "github.com/codios/codios/datalog"

// RequiredVersion is the lowest version that declares every feature the
// program uses, as the specification assigns features to versions. New
// blocks are minted with it, so that an older implementation refuses a
// block it cannot read rather than misread it. A third-party block is at
// least version 3.2.
func RequiredVersion(p *datalog.Program, thirdParty bool) uint32 {
	v := uint32(MinVersion)
	if thirdParty {
		v = Version3_2
	}
	return max(v, featureVersion(p, true))
}

// acceptedVersion is the lowest version a decoded block may declare for
// the features it uses. It follows the reference implementation, which
// mints arrays, maps, get and try_or in blocks of older versions: a token
// it made must still be read.
func acceptedVersion(p *datalog.Program) uint32 { return featureVersion(p, false) }

// featureVersion scans a program. strict adds the v3.3 features the
// reference does not count: arrays, maps, get, try_or, and null nested in
// collections.
func featureVersion(p *datalog.Program, strict bool) uint32 {
	f := features{strict: strict}
	if len(p.Scopes) > 0 {
		f.v31 = true
	}
	for _, fact := range p.Facts {
		f.predicate(fact.Predicate)
	}
	for _, r := range p.Rules {
		f.predicate(r.Head)
		f.body(r.Body)
	}
	for _, c := range p.Checks {
		switch c.Kind {
		case datalog.CheckAll:
			f.v31 = true
		case datalog.RejectIf:
			f.v33 = true
		}
		for _, q := range c.Queries {
			f.body(q)
		}
	}
	switch {
	case f.v33:
		return Version3_3
	case f.v31:
		return Version3_1
	}
	return Version3_0
}

type features struct {
	strict   bool
	v31, v33 bool
}

func (f *features) body(b datalog.Body) {
	if len(b.Scopes) > 0 {
		f.v31 = true
	}
	for _, p := range b.Predicates {
		f.predicate(p)
	}
	for _, e := range b.Expressions {
		f.ops(e.Ops)
	}
}

func (f *features) predicate(p datalog.Predicate) {
	for _, t := range p.Terms {
		f.term(t, true)
	}
}

// term marks a term's features. top is false inside collections, where
// the reference looks only into sets.
func (f *features) term(t datalog.Term, top bool) {
	switch t := t.(type) {
	case datalog.Null:
		if top || f.strict {
			f.v33 = true
		}
	case datalog.Set:
		for _, e := range t {
			if e.Kind() == datalog.KindNull {
				f.v33 = true
			}
			if f.strict {
				f.term(e, false)
			}
		}
	case datalog.Array, datalog.Map:
		if f.strict {
			f.v33 = true
		}
	}
}

func (f *features) ops(ops []datalog.Op) {
	for _, op := range ops {
		switch op := op.(type) {
		case datalog.Value:
			f.term(op.Term, true)
		case datalog.Closure:
			f.v33 = true
			if f.strict {
				f.ops(op.Ops)
			}
		case datalog.Unary:
			if op.Op == datalog.OpTypeOf || op.Op == datalog.OpUnaryExtern {
				f.v33 = true
			}
		case datalog.Binary:
			switch op.Op {
			case datalog.OpBitwiseAnd, datalog.OpBitwiseOr, datalog.OpBitwiseXor, datalog.OpStrictNotEqual:
				f.v31 = true
			case datalog.OpLenientEqual, datalog.OpLenientNotEqual, datalog.OpLazyAnd, datalog.OpLazyOr,
				datalog.OpAll, datalog.OpAny, datalog.OpBinaryExtern:
				f.v33 = true
			case datalog.OpGet, datalog.OpTryOr:
				if f.strict {
					f.v33 = true
				}
			}
		}
	}
}
