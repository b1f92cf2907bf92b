package datalog

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ExternFunc is a function the host gives to expressions, called as
// value.extern::name() (right is nil) or value.extern::name(arg). An error
// it returns aborts the evaluation, wrapped in ErrExtern.
type ExternFunc func(left, right Term) (Term, error)

// cop is a compiled opcode: constants interned, variables resolved to
// slots of the rule's binding array.
type cop struct {
	kind   copKind
	v      val // copValue
	slot   int // copVar
	unary  UnaryOp
	binary BinaryOp
	extern string
	clo    *cclosure
}

type copKind uint8

const (
	copValue copKind = iota
	copVar
	copUnary
	copBinary
	copClosure
)

type cclosure struct {
	params []int
	ops    []cop
}

// sv is an element of the evaluation stack: a value or a closure.
type sv struct {
	v   val
	clo *cclosure
}

// exprCompiler resolves the variables of a rule's expressions to slots.
type exprCompiler struct {
	in    *interner
	slots map[string]int
	// bound are the variables bound when an expression runs: the body's,
	// then the parameters of the enclosing closures.
	bound    map[string]bool
	maxDepth int
	nslots   int
}

func (c *exprCompiler) slot(name string) int {
	if s, ok := c.slots[name]; ok {
		return s
	}
	s := c.nslots
	c.nslots++
	c.slots[name] = s
	return s
}

func (c *exprCompiler) compile(ops []Op, depth int) ([]cop, error) {
	if depth > c.maxDepth {
		return nil, &LimitError{Kind: LimitDepth, Max: int64(c.maxDepth)}
	}
	out := make([]cop, 0, len(ops))
	for _, op := range ops {
		switch op := op.(type) {
		case Value:
			if v, ok := op.Term.(Variable); ok {
				out = append(out, cop{kind: copVar, slot: c.slot(string(v))})
				continue
			}
			if op.Term == nil || checkGround(op.Term, c.maxDepth) != "" {
				return nil, fmt.Errorf("%w: expression holds %v", ErrInvalidType, op.Term)
			}
			out = append(out, cop{kind: copValue, v: c.in.intern(op.Term)})
		case Unary:
			out = append(out, cop{kind: copUnary, unary: op.Op, extern: op.Extern})
		case Binary:
			out = append(out, cop{kind: copBinary, binary: op.Op, extern: op.Extern})
		case Closure:
			clo := &cclosure{}
			for _, p := range op.Params {
				if c.bound[p] {
					return nil, fmt.Errorf("%w: $%s", ErrShadowedVariable, p)
				}
			}
			for _, p := range op.Params {
				c.bound[p] = true
				// A fresh slot per closure, so that reuse of a name in
				// sibling closures never aliases.
				clo.params = append(clo.params, c.nslots)
				c.nslots++
			}
			saved := make(map[string]int, len(op.Params))
			for i, p := range op.Params {
				if old, ok := c.slots[p]; ok {
					saved[p] = old
				}
				c.slots[p] = clo.params[i]
			}
			body, err := c.compile(op.Ops, depth+1)
			for _, p := range op.Params {
				delete(c.bound, p)
				if old, ok := saved[p]; ok {
					c.slots[p] = old
				} else {
					delete(c.slots, p)
				}
			}
			if err != nil {
				return nil, err
			}
			clo.ops = body
			out = append(out, cop{kind: copClosure, clo: clo})
		default:
			return nil, fmt.Errorf("%w: unknown opcode %T", ErrInvalidStack, op)
		}
	}
	return out, nil
}

// evaluator runs compiled expressions against a binding array.
type evaluator struct {
	w     *World
	stack []sv
}

// evalBool runs an expression that must produce a boolean.
func (e *evaluator) evalBool(ops []cop, binding []val) (bool, error) {
	v, err := e.eval(ops, binding)
	if err != nil {
		return false, err
	}
	if v.k != KindBool {
		return false, fmt.Errorf("%w: expression gives %s, not a boolean", ErrInvalidType, v.k)
	}
	return v.n == 1, nil
}

func (e *evaluator) eval(ops []cop, binding []val) (val, error) {
	base := len(e.stack)
	defer func() { e.stack = e.stack[:base] }()
	for i := range ops {
		op := &ops[i]
		if err := e.w.step(); err != nil {
			return val{}, err
		}
		switch op.kind {
		case copValue:
			e.stack = append(e.stack, sv{v: op.v})
		case copVar:
			v := binding[op.slot]
			if v.k == kindUnbound {
				return val{}, ErrUnknownVariable
			}
			e.stack = append(e.stack, sv{v: v})
		case copClosure:
			e.stack = append(e.stack, sv{clo: op.clo})
		case copUnary:
			if len(e.stack)-base < 1 || e.stack[len(e.stack)-1].clo != nil {
				return val{}, ErrInvalidStack
			}
			r, err := e.unary(op, e.stack[len(e.stack)-1].v)
			if err != nil {
				return val{}, err
			}
			e.stack[len(e.stack)-1] = sv{v: r}
		case copBinary:
			if len(e.stack)-base < 2 {
				return val{}, ErrInvalidStack
			}
			l, r := e.stack[len(e.stack)-2], e.stack[len(e.stack)-1]
			e.stack = e.stack[:len(e.stack)-2]
			var res val
			var err error
			switch {
			case l.clo == nil && r.clo == nil:
				res, err = e.binary(op, l.v, r.v)
			case l.clo == nil && r.clo != nil:
				res, err = e.withClosure(op.binary, l.v, r.clo, binding)
			case l.clo != nil && r.clo == nil:
				res, err = e.withClosure(op.binary, r.v, l.clo, binding)
			default:
				err = ErrInvalidStack
			}
			if err != nil {
				return val{}, err
			}
			e.stack = append(e.stack, sv{v: res})
		}
	}
	if len(e.stack)-base != 1 || e.stack[base].clo != nil {
		return val{}, ErrInvalidStack
	}
	return e.stack[base].v, nil
}

func boolVal(b bool) val {
	if b {
		return val{KindBool, 1}
	}
	return val{KindBool, 0}
}

var typeNames = map[Kind]string{
	KindInteger: "integer", KindString: "string", KindDate: "date", KindBytes: "bytes",
	KindBool: "bool", KindSet: "set", KindNull: "null", KindArray: "array", KindMap: "map",
}

func (e *evaluator) unary(op *cop, v val) (val, error) {
	in := e.w.in
	switch op.unary {
	case OpNegate:
		if v.k == KindBool {
			return boolVal(v.n == 0), nil
		}
	case OpParens:
		return v, nil
	case OpLength:
		switch v.k {
		case KindString, KindBytes:
			return val{KindInteger, uint64(len(in.strAt(v.n)))}, nil
		case KindSet, KindArray:
			return val{KindInteger, uint64(len(in.elems(v)))}, nil
		case KindMap:
			return val{KindInteger, uint64(len(in.elems(v)) / 2)}, nil
		}
	case OpTypeOf:
		if name, ok := typeNames[v.k]; ok {
			return val{KindString, in.str(name)}, nil
		}
	case OpUnaryExtern:
		return e.extern(op.extern, v, nil)
	default:
		return val{}, fmt.Errorf("%w: unknown unary operation %d", ErrInvalidStack, op.unary)
	}
	return val{}, fmt.Errorf("%w: %s of %s", ErrInvalidType, unaryNames[op.unary], v.k)
}

var unaryNames = map[UnaryOp]string{OpNegate: "!", OpLength: "length()", OpTypeOf: "type()"}

func (e *evaluator) extern(name string, left val, right *val) (val, error) {
	f, ok := e.w.externs[name]
	if !ok {
		return val{}, fmt.Errorf("%w: %s", ErrUndefinedExtern, name)
	}
	var r Term
	if right != nil {
		r = e.w.in.term(*right)
	}
	res, err := f(e.w.in.term(left), r)
	if err != nil {
		return val{}, fmt.Errorf("%w: %s: %w", ErrExtern, name, err)
	}
	if res == nil || res.Kind() == KindVariable || checkGround(res, e.w.limits.MaxDepth) != "" {
		return val{}, fmt.Errorf("%w: %s returned %v, not a value", ErrExtern, name, res)
	}
	return e.w.in.intern(res), nil
}

func (e *evaluator) binary(op *cop, l, r val) (val, error) {
	in := e.w.in
	b := op.binary
	if err := e.w.charge(e.binaryCost(b, l, r)); err != nil {
		return val{}, err
	}
	switch b {
	case OpBinaryExtern:
		return e.extern(op.extern, l, &r)
	case OpLenientEqual:
		return boolVal(l == r), nil
	case OpLenientNotEqual:
		return boolVal(l != r), nil
	case OpStrictEqual, OpStrictNotEqual:
		if l.k != r.k {
			break
		}
		return boolVal((l == r) == (b == OpStrictEqual)), nil
	case OpLessThan, OpGreaterThan, OpLessOrEqual, OpGreaterOrEqual:
		var c int
		switch {
		case l.k == KindInteger && r.k == KindInteger:
			c = cmpInt(int64(l.n), int64(r.n))
		case l.k == KindDate && r.k == KindDate:
			c = cmpInt(l.n, r.n)
		default:
			return val{}, typeError(b, l, r)
		}
		switch b {
		case OpLessThan:
			return boolVal(c < 0), nil
		case OpGreaterThan:
			return boolVal(c > 0), nil
		case OpLessOrEqual:
			return boolVal(c <= 0), nil
		}
		return boolVal(c >= 0), nil
	case OpAdd, OpSub, OpMul, OpDiv, OpBitwiseAnd, OpBitwiseOr, OpBitwiseXor:
		if b == OpAdd && l.k == KindString && r.k == KindString {
			s := in.strAt(l.n) + in.strAt(r.n)
			if len(s) > e.w.limits.MaxValueBytes {
				return val{}, &LimitError{Kind: LimitValueBytes, Max: int64(e.w.limits.MaxValueBytes)}
			}
			return val{KindString, in.str(s)}, nil
		}
		if l.k != KindInteger || r.k != KindInteger {
			break
		}
		n, err := intOp(b, int64(l.n), int64(r.n))
		return val{KindInteger, uint64(n)}, err
	case OpEagerAnd, OpEagerOr:
		if l.k != KindBool || r.k != KindBool {
			break
		}
		if b == OpEagerAnd {
			return boolVal(l.n == 1 && r.n == 1), nil
		}
		return boolVal(l.n == 1 || r.n == 1), nil
	case OpContains:
		return e.contains(l, r)
	case OpPrefix, OpSuffix:
		switch {
		case l.k == KindString && r.k == KindString:
			if b == OpPrefix {
				return boolVal(strings.HasPrefix(in.strAt(l.n), in.strAt(r.n))), nil
			}
			return boolVal(strings.HasSuffix(in.strAt(l.n), in.strAt(r.n))), nil
		case l.k == KindArray && r.k == KindArray:
			le, re := in.elems(l), in.elems(r)
			if len(re) > len(le) {
				return boolVal(false), nil
			}
			if b == OpPrefix {
				return boolVal(valsEqual(le[:len(re)], re)), nil
			}
			return boolVal(valsEqual(le[len(le)-len(re):], re)), nil
		}
	case OpRegex:
		if l.k == KindString && r.k == KindString {
			return e.matches(in.strAt(l.n), in.strAt(r.n))
		}
	case OpIntersection, OpUnion:
		if l.k != KindSet || r.k != KindSet {
			break
		}
		return e.setOp(b, l, r)
	case OpGet:
		switch {
		case l.k == KindArray && r.k == KindInteger:
			es := in.elems(l)
			if i := int64(r.n); i >= 0 && i < int64(len(es)) {
				return es[i], nil
			}
			return val{KindNull, 0}, nil
		case l.k == KindMap && (r.k == KindInteger || r.k == KindString):
			es := in.elems(l)
			for i := 0; i < len(es); i += 2 {
				if es[i] == r {
					return es[i+1], nil
				}
			}
			return val{KindNull, 0}, nil
		}
	case OpLazyAnd, OpLazyOr, OpAll, OpAny, OpTryOr:
		// These take a closure operand; two plain values are a malformed
		// expression.
	default:
		return val{}, fmt.Errorf("%w: unknown binary operation %d", ErrInvalidStack, b)
	}
	return val{}, typeError(b, l, r)
}

func typeError(b BinaryOp, l, r val) error {
	return fmt.Errorf("%w: %s %s %s", ErrInvalidType, l.k, binaryName(b), r.k)
}

func binaryName(b BinaryOp) string {
	if m, ok := binaryMethodNames[b]; ok {
		return "." + m + "()"
	}
	if int(b) < len(binaryInfix) && binaryInfix[b] != "" {
		return binaryInfix[b]
	}
	return fmt.Sprintf("op%d", b)
}

func cmpInt[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func valsEqual(a, b []val) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func intOp(b BinaryOp, x, y int64) (int64, error) {
	switch b {
	case OpAdd:
		s := x + y
		if (s > x) != (y > 0) {
			return 0, ErrOverflow
		}
		return s, nil
	case OpSub:
		d := x - y
		if (d < x) != (y > 0) {
			return 0, ErrOverflow
		}
		return d, nil
	case OpMul:
		if x == 0 || y == 0 {
			return 0, nil
		}
		p := x * y
		if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
			return 0, ErrOverflow
		}
		return p, nil
	case OpDiv:
		if y == 0 {
			return 0, ErrDivideByZero
		}
		if x == math.MinInt64 && y == -1 {
			return 0, ErrOverflow
		}
		return x / y, nil
	case OpBitwiseAnd:
		return x & y, nil
	case OpBitwiseOr:
		return x | y, nil
	}
	return x ^ y, nil
}

func (e *evaluator) contains(l, r val) (val, error) {
	in := e.w.in
	switch l.k {
	case KindString:
		if r.k == KindString {
			return boolVal(strings.Contains(in.strAt(l.n), in.strAt(r.n))), nil
		}
	case KindSet:
		es := in.elems(l)
		switch r.k {
		case KindSet:
			for _, x := range in.elems(r) {
				if !hasVal(es, x) {
					return boolVal(false), nil
				}
			}
			return boolVal(true), nil
		case KindInteger, KindDate, KindBool, KindString, KindBytes:
			return boolVal(hasVal(es, r)), nil
		}
	case KindArray:
		for _, x := range in.elems(l) {
			if x == r {
				return boolVal(true), nil
			}
		}
		return boolVal(false), nil
	case KindMap:
		es := in.elems(l)
		for i := 0; i < len(es); i += 2 {
			if es[i] == r {
				return boolVal(true), nil
			}
		}
		return boolVal(false), nil
	}
	return val{}, typeError(OpContains, l, r)
}

// hasVal searches a set's sorted elements.
func hasVal(sorted []val, x val) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		if compareVals(sorted[m], x) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(sorted) && sorted[lo] == x
}

func (e *evaluator) setOp(b BinaryOp, l, r val) (val, error) {
	in := e.w.in
	le, re := in.elems(l), in.elems(r)
	var out []val
	if b == OpIntersection {
		for _, x := range le {
			if hasVal(re, x) {
				out = append(out, x)
			}
		}
	} else {
		if n := len(le) + len(re); 8*n > e.w.limits.MaxValueBytes {
			return val{}, &LimitError{Kind: LimitValueBytes, Max: int64(e.w.limits.MaxValueBytes)}
		}
		out = append(append(make([]val, 0, len(le)+len(re)), le...), re...)
	}
	return in.collection(KindSet, out), nil
}

func (e *evaluator) matches(s, pattern string) (val, error) {
	if len(pattern) > e.w.limits.MaxRegexpBytes {
		return val{}, &LimitError{Kind: LimitRegexpBytes, Max: int64(e.w.limits.MaxRegexpBytes)}
	}
	// Compiled, and its cost charged, by binaryCost before this runs.
	c, _ := compileRegexp(pattern)
	if c.re == nil {
		// As in the reference: a pattern that does not compile matches
		// nothing.
		return boolVal(false), nil
	}
	return boolVal(c.re.MatchString(s)), nil
}

// withClosure applies an operation whose operand is a closure: the lazy
// boolean operators, all, any and try_or.
func (e *evaluator) withClosure(b BinaryOp, v val, clo *cclosure, binding []val) (val, error) {
	in := e.w.in
	switch {
	case b == OpTryOr && len(clo.params) == 0:
		r, err := e.eval(clo.ops, binding)
		if err != nil {
			var limit *LimitError
			if errors.As(err, &limit) || errors.Is(err, errStopped) {
				return val{}, err
			}
			return v, nil
		}
		return r, nil
	case (b == OpLazyAnd || b == OpLazyOr) && len(clo.params) == 0 && v.k == KindBool:
		if (b == OpLazyAnd) != (v.n == 1) {
			return v, nil
		}
		return e.eval(clo.ops, binding)
	case (b == OpAll || b == OpAny) && len(clo.params) == 1:
		var items []val
		var isMap bool
		switch v.k {
		case KindSet, KindArray:
			items = in.elems(v)
		case KindMap:
			items, isMap = in.elems(v), true
		default:
			return val{}, typeError(b, v, val{k: kindUnbound})
		}
		slot := clo.params[0]
		defer func() { binding[slot] = unbound }()
		step := 1
		if isMap {
			step = 2
		}
		for i := 0; i < len(items); i += step {
			if isMap {
				binding[slot] = in.collection(KindArray, []val{items[i], items[i+1]})
			} else {
				binding[slot] = items[i]
			}
			ok, err := e.evalBool(clo.ops, binding)
			if err != nil {
				return val{}, err
			}
			if ok == (b == OpAny) {
				return boolVal(ok), nil
			}
		}
		return boolVal(b == OpAll), nil
	}
	return val{}, fmt.Errorf("%w: %s with a closure", ErrInvalidType, binaryName(b))
}
