package format

import (
	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token/internal/pb"
)

// The block versions: the Datalog version a block declares, which bounds
// the features it may use.
const (
	Version3_0 = 3
	Version3_1 = 4 // scopes, check all, bitwise operators, !==
	Version3_2 = 5 // third-party blocks
	Version3_3 = 6 // reject if, null, arrays, maps, closures, ==, type(), extern

	MinVersion = Version3_0
	MaxVersion = Version3_3
)

// queryHead is the head name of the rules that stand for the queries of
// checks and policies on the wire.
const queryHead = "query"

// decoder resolves the symbols and keys of one block.
type decoder struct {
	syms     *Symbols
	keys     *Keys
	maxDepth int
}

// Decode converts a Block into a program. syms and keys are the tables
// the block is read with, its own symbols and keys included. A third-party
// block must declare version 3.2 or later. The features the block uses
// must not exceed its declared version.
func Decode(b *pb.Block, syms *Symbols, keys *Keys, thirdParty bool, maxDepth int) (*datalog.Program, error) {
	version := b.GetVersion()
	if version < MinVersion || version > MaxVersion {
		return nil, formatErr("block version %d is outside the supported %d to %d", version, MinVersion, MaxVersion)
	}
	if thirdParty && version < Version3_2 {
		return nil, formatErr("a third-party block needs version %d or later, not %d", Version3_2, version)
	}
	d := &decoder{syms: syms, keys: keys, maxDepth: maxDepth}
	p := &datalog.Program{}
	var err error
	if p.Scopes, err = d.scopes(b.GetScope()); err != nil {
		return nil, err
	}
	for _, f := range b.GetFacts() {
		pred, err := d.predicate(f.GetPredicate())
		if err != nil {
			return nil, err
		}
		for _, t := range pred.Terms {
			if t.Kind() == datalog.KindVariable {
				return nil, formatErr("fact %s has a variable", pred)
			}
		}
		p.Facts = append(p.Facts, datalog.Fact{Predicate: pred})
	}
	for _, r := range b.GetRules() {
		head, err := d.predicate(r.GetHead())
		if err != nil {
			return nil, err
		}
		body, err := d.body(r)
		if err != nil {
			return nil, err
		}
		p.Rules = append(p.Rules, datalog.Rule{Head: head, Body: body})
	}
	for _, c := range b.GetChecks() {
		check := datalog.Check{Kind: datalog.CheckIf}
		if c.Kind != nil {
			switch c.GetKind() {
			case pb.Check_One:
			case pb.Check_All:
				check.Kind = datalog.CheckAll
			case pb.Check_Reject:
				check.Kind = datalog.RejectIf
			default:
				return nil, formatErr("unknown check kind %d", c.GetKind())
			}
			if version < Version3_1 {
				return nil, formatErr("check kinds need block version %d or later", Version3_1)
			}
		}
		for _, q := range c.GetQueries() {
			body, err := d.body(q)
			if err != nil {
				return nil, err
			}
			check.Queries = append(check.Queries, body)
		}
		p.Checks = append(p.Checks, check)
	}
	if need := acceptedVersion(p); version < need {
		return nil, formatErr("block declares version %d but uses features of version %d", version, need)
	}
	return p, nil
}

func (d *decoder) body(r *pb.Rule) (datalog.Body, error) {
	var b datalog.Body
	for _, p := range r.GetBody() {
		pred, err := d.predicate(p)
		if err != nil {
			return b, err
		}
		b.Predicates = append(b.Predicates, pred)
	}
	for _, e := range r.GetExpressions() {
		ops, err := d.ops(e.GetOps(), 0)
		if err != nil {
			return b, err
		}
		b.Expressions = append(b.Expressions, datalog.Expression{Ops: ops})
	}
	scopes, err := d.scopes(r.GetScope())
	b.Scopes = scopes
	return b, err
}

func (d *decoder) scopes(scopes []*pb.Scope) ([]datalog.Scope, error) {
	var out []datalog.Scope
	for _, s := range scopes {
		switch c := s.GetContent().(type) {
		case *pb.Scope_ScopeType_:
			switch c.ScopeType {
			case pb.Scope_Authority:
				out = append(out, datalog.Scope{Kind: datalog.ScopeAuthority})
			case pb.Scope_Previous:
				out = append(out, datalog.Scope{Kind: datalog.ScopePrevious})
			default:
				return nil, formatErr("unknown scope type %d", c.ScopeType)
			}
		case *pb.Scope_PublicKey:
			key, err := d.keys.Get(c.PublicKey)
			if err != nil {
				return nil, err
			}
			out = append(out, datalog.Scope{Kind: datalog.ScopePublicKey, PublicKey: key})
		default:
			return nil, formatErr("empty scope")
		}
	}
	return out, nil
}

func (d *decoder) predicate(p *pb.Predicate) (datalog.Predicate, error) {
	if p == nil {
		return datalog.Predicate{}, formatErr("missing predicate")
	}
	name, err := d.syms.Get(p.GetName())
	if err != nil {
		return datalog.Predicate{}, err
	}
	pred := datalog.Predicate{Name: name, Terms: make([]datalog.Term, len(p.GetTerms()))}
	for i, t := range p.GetTerms() {
		if pred.Terms[i], err = d.term(t, 0); err != nil {
			return datalog.Predicate{}, err
		}
	}
	return pred, nil
}

func (d *decoder) term(t *pb.Term, depth int) (datalog.Term, error) {
	if depth > d.maxDepth {
		return nil, formatErr("terms nested deeper than %d", d.maxDepth)
	}
	switch c := t.GetContent().(type) {
	case *pb.Term_Variable:
		name, err := d.syms.Get(uint64(c.Variable))
		return datalog.Variable(name), err
	case *pb.Term_Integer:
		return datalog.Integer(c.Integer), nil
	case *pb.Term_String_:
		s, err := d.syms.Get(c.String_)
		return datalog.String(s), err
	case *pb.Term_Date:
		return datalog.Date(c.Date), nil
	case *pb.Term_Bytes:
		return datalog.Bytes(append([]byte{}, c.Bytes...)), nil
	case *pb.Term_Bool:
		return datalog.Bool(c.Bool), nil
	case *pb.Term_Null:
		return datalog.Null{}, nil
	case *pb.Term_Set:
		elems := make([]datalog.Term, 0, len(c.Set.GetSet()))
		for _, e := range c.Set.GetSet() {
			v, err := d.term(e, depth+1)
			if err != nil {
				return nil, err
			}
			switch v.Kind() {
			case datalog.KindVariable:
				return nil, formatErr("a set holds a variable")
			case datalog.KindSet:
				return nil, formatErr("a set holds a set")
			}
			if len(elems) > 0 && elems[0].Kind() != v.Kind() {
				return nil, formatErr("a set holds both %s and %s", elems[0].Kind(), v.Kind())
			}
			elems = append(elems, v)
		}
		return datalog.NewSet(elems...), nil
	case *pb.Term_Array:
		arr := make(datalog.Array, 0, len(c.Array.GetArray()))
		for _, e := range c.Array.GetArray() {
			v, err := d.term(e, depth+1)
			if err != nil {
				return nil, err
			}
			if v.Kind() == datalog.KindVariable {
				return nil, formatErr("an array holds a variable")
			}
			arr = append(arr, v)
		}
		return arr, nil
	case *pb.Term_Map:
		entries := make([]datalog.MapEntry, 0, len(c.Map.GetEntries()))
		for _, e := range c.Map.GetEntries() {
			var key datalog.Term
			switch k := e.GetKey().GetContent().(type) {
			case *pb.MapKey_Integer:
				key = datalog.Integer(k.Integer)
			case *pb.MapKey_String_:
				s, err := d.syms.Get(k.String_)
				if err != nil {
					return nil, err
				}
				key = datalog.String(s)
			default:
				return nil, formatErr("empty map key")
			}
			v, err := d.term(e.GetValue(), depth+1)
			if err != nil {
				return nil, err
			}
			if v.Kind() == datalog.KindVariable {
				return nil, formatErr("a map holds a variable")
			}
			entries = append(entries, datalog.MapEntry{Key: key, Value: v})
		}
		return datalog.NewMap(entries...), nil
	}
	return nil, formatErr("empty term")
}

var unaryOps = map[pb.OpUnary_Kind]datalog.UnaryOp{
	pb.OpUnary_Negate: datalog.OpNegate, pb.OpUnary_Parens: datalog.OpParens, pb.OpUnary_Length: datalog.OpLength,
	pb.OpUnary_TypeOf: datalog.OpTypeOf, pb.OpUnary_Ffi: datalog.OpUnaryExtern,
}

func (d *decoder) ops(ops []*pb.Op, depth int) ([]datalog.Op, error) {
	if depth > d.maxDepth {
		return nil, formatErr("closures nested deeper than %d", d.maxDepth)
	}
	out := make([]datalog.Op, 0, len(ops))
	for _, op := range ops {
		switch c := op.GetContent().(type) {
		case *pb.Op_Value:
			t, err := d.term(c.Value, 0)
			if err != nil {
				return nil, err
			}
			out = append(out, datalog.Value{Term: t})
		case *pb.Op_Unary:
			kind, ok := unaryOps[c.Unary.GetKind()]
			if !ok {
				return nil, formatErr("unknown unary operation %d", c.Unary.GetKind())
			}
			u := datalog.Unary{Op: kind}
			name, err := d.externName(kind == datalog.OpUnaryExtern, c.Unary.FfiName)
			if err != nil {
				return nil, err
			}
			u.Extern = name
			out = append(out, u)
		case *pb.Op_Binary:
			k := c.Binary.GetKind()
			if k < pb.OpBinary_LessThan || k > pb.OpBinary_TryOr {
				return nil, formatErr("unknown binary operation %d", k)
			}
			// The wire numbering is datalog's.
			b := datalog.Binary{Op: datalog.BinaryOp(k)}
			name, err := d.externName(b.Op == datalog.OpBinaryExtern, c.Binary.FfiName)
			if err != nil {
				return nil, err
			}
			b.Extern = name
			out = append(out, b)
		case *pb.Op_Closure:
			clo := datalog.Closure{}
			for _, p := range c.Closure.GetParams() {
				name, err := d.syms.Get(uint64(p))
				if err != nil {
					return nil, err
				}
				clo.Params = append(clo.Params, name)
			}
			body, err := d.ops(c.Closure.GetOps(), depth+1)
			if err != nil {
				return nil, err
			}
			clo.Ops = body
			out = append(out, clo)
		default:
			return nil, formatErr("empty operation")
		}
	}
	return out, nil
}

func (d *decoder) externName(isExtern bool, name *uint64) (string, error) {
	switch {
	case isExtern && name == nil:
		return "", formatErr("extern call without a function name")
	case !isExtern && name != nil:
		return "", formatErr("function name on an operation that is not an extern call")
	case !isExtern:
		return "", nil
	}
	return d.syms.Get(*name)
}

// Encode converts a program into a Block of the given version, interning
// its strings and keys into syms and keys; the block declares what it
// added. Encode does not check the version: see RequiredVersion.
func Encode(p *datalog.Program, syms *Symbols, keys *Keys, version uint32) (*pb.Block, error) {
	if len(p.Policies) > 0 {
		return nil, formatErr("a block cannot hold policies")
	}
	n0, k0 := syms.Len(), keys.Len()
	e := &encoder{syms: syms, keys: keys}
	b := &pb.Block{Version: new(version)}
	for _, f := range p.Facts {
		pred, err := e.predicate(f.Predicate)
		if err != nil {
			return nil, err
		}
		b.Facts = append(b.Facts, &pb.Fact{Predicate: pred})
	}
	for _, r := range p.Rules {
		head, err := e.predicate(r.Head)
		if err != nil {
			return nil, err
		}
		rule, err := e.rule(head, r.Body)
		if err != nil {
			return nil, err
		}
		b.Rules = append(b.Rules, rule)
	}
	for _, c := range p.Checks {
		check := &pb.Check{}
		switch c.Kind {
		case datalog.CheckAll:
			check.Kind = pb.Check_All.Enum()
		case datalog.RejectIf:
			check.Kind = pb.Check_Reject.Enum()
		}
		for _, q := range c.Queries {
			rule, err := e.rule(&pb.Predicate{Name: new(syms.Insert(queryHead))}, q)
			if err != nil {
				return nil, err
			}
			check.Queries = append(check.Queries, rule)
		}
		b.Checks = append(b.Checks, check)
	}
	b.Scope = e.scopes(p.Scopes)
	b.Symbols = syms.Since(n0)
	for _, k := range keys.Since(k0) {
		b.PublicKeys = append(b.PublicKeys, &pb.PublicKey{Algorithm: pb.PublicKey_Algorithm(k.Algorithm).Enum(), Key: k.Key})
	}
	return b, nil
}

type encoder struct {
	syms *Symbols
	keys *Keys
}

func (e *encoder) rule(head *pb.Predicate, b datalog.Body) (*pb.Rule, error) {
	r := &pb.Rule{Head: head}
	for _, p := range b.Predicates {
		pred, err := e.predicate(p)
		if err != nil {
			return nil, err
		}
		r.Body = append(r.Body, pred)
	}
	for _, x := range b.Expressions {
		ops, err := e.ops(x.Ops)
		if err != nil {
			return nil, err
		}
		r.Expressions = append(r.Expressions, &pb.Expression{Ops: ops})
	}
	r.Scope = e.scopes(b.Scopes)
	return r, nil
}

func (e *encoder) scopes(scopes []datalog.Scope) []*pb.Scope {
	var out []*pb.Scope
	for _, s := range scopes {
		switch s.Kind {
		case datalog.ScopeAuthority:
			out = append(out, &pb.Scope{Content: &pb.Scope_ScopeType_{ScopeType: pb.Scope_Authority}})
		case datalog.ScopePrevious:
			out = append(out, &pb.Scope{Content: &pb.Scope_ScopeType_{ScopeType: pb.Scope_Previous}})
		default:
			out = append(out, &pb.Scope{Content: &pb.Scope_PublicKey{PublicKey: e.keys.Insert(s.PublicKey)}})
		}
	}
	return out
}

func (e *encoder) predicate(p datalog.Predicate) (*pb.Predicate, error) {
	out := &pb.Predicate{Name: new(e.syms.Insert(p.Name))}
	for _, t := range p.Terms {
		term, err := e.term(t)
		if err != nil {
			return nil, err
		}
		out.Terms = append(out.Terms, term)
	}
	return out, nil
}

func (e *encoder) term(t datalog.Term) (*pb.Term, error) {
	switch t := t.(type) {
	case datalog.Variable:
		return &pb.Term{Content: &pb.Term_Variable{Variable: uint32(e.syms.Insert(string(t)))}}, nil
	case datalog.Integer:
		return &pb.Term{Content: &pb.Term_Integer{Integer: int64(t)}}, nil
	case datalog.String:
		return &pb.Term{Content: &pb.Term_String_{String_: e.syms.Insert(string(t))}}, nil
	case datalog.Date:
		return &pb.Term{Content: &pb.Term_Date{Date: uint64(t)}}, nil
	case datalog.Bytes:
		return &pb.Term{Content: &pb.Term_Bytes{Bytes: append([]byte{}, t...)}}, nil
	case datalog.Bool:
		return &pb.Term{Content: &pb.Term_Bool{Bool: bool(t)}}, nil
	case datalog.Null:
		return &pb.Term{Content: &pb.Term_Null{Null: &pb.Empty{}}}, nil
	case datalog.Set:
		s := &pb.TermSet{}
		for _, x := range t {
			v, err := e.term(x)
			if err != nil {
				return nil, err
			}
			s.Set = append(s.Set, v)
		}
		return &pb.Term{Content: &pb.Term_Set{Set: s}}, nil
	case datalog.Array:
		a := &pb.Array{}
		for _, x := range t {
			v, err := e.term(x)
			if err != nil {
				return nil, err
			}
			a.Array = append(a.Array, v)
		}
		return &pb.Term{Content: &pb.Term_Array{Array: a}}, nil
	case datalog.Map:
		m := &pb.Map{}
		for _, x := range t {
			key := &pb.MapKey{}
			switch k := x.Key.(type) {
			case datalog.Integer:
				key.Content = &pb.MapKey_Integer{Integer: int64(k)}
			case datalog.String:
				key.Content = &pb.MapKey_String_{String_: e.syms.Insert(string(k))}
			default:
				return nil, formatErr("map key %v is neither a string nor an integer", x.Key)
			}
			v, err := e.term(x.Value)
			if err != nil {
				return nil, err
			}
			m.Entries = append(m.Entries, &pb.MapEntry{Key: key, Value: v})
		}
		return &pb.Term{Content: &pb.Term_Map{Map: m}}, nil
	}
	return nil, formatErr("cannot encode term %v", t)
}

func (e *encoder) ops(ops []datalog.Op) ([]*pb.Op, error) {
	out := make([]*pb.Op, 0, len(ops))
	for _, op := range ops {
		switch op := op.(type) {
		case datalog.Value:
			t, err := e.term(op.Term)
			if err != nil {
				return nil, err
			}
			out = append(out, &pb.Op{Content: &pb.Op_Value{Value: t}})
		case datalog.Unary:
			u := &pb.OpUnary{Kind: pb.OpUnary_Kind(op.Op).Enum()}
			if op.Op == datalog.OpUnaryExtern {
				u.FfiName = new(e.syms.Insert(op.Extern))
			}
			out = append(out, &pb.Op{Content: &pb.Op_Unary{Unary: u}})
		case datalog.Binary:
			b := &pb.OpBinary{Kind: pb.OpBinary_Kind(op.Op).Enum()}
			if op.Op == datalog.OpBinaryExtern {
				b.FfiName = new(e.syms.Insert(op.Extern))
			}
			out = append(out, &pb.Op{Content: &pb.Op_Binary{Binary: b}})
		case datalog.Closure:
			c := &pb.OpClosure{}
			for _, p := range op.Params {
				c.Params = append(c.Params, uint32(e.syms.Insert(p)))
			}
			body, err := e.ops(op.Ops)
			if err != nil {
				return nil, err
			}
			c.Ops = body
			out = append(out, &pb.Op{Content: &pb.Op_Closure{Closure: c}})
		default:
			return nil, formatErr("cannot encode operation %T", op)
		}
	}
	return out, nil
}
