package datalog

import "strconv"

// Pos is where a statement starts in its source text: a line and a column,
// both from 1 (the column counts characters). The zero value is unknown: a
// program decoded from the wire has no source. A position never takes part
// in printing, in the wire form or in what a statement means.
type Pos struct {
	Line, Column int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String prints line:col, or "-" for an unknown position.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// Predicate is a name applied to terms: right("file1", $op).
type Predicate struct {
	Name  string
	Terms []Term
}

// Fact is a predicate whose terms are all ground: values, not variables.
type Fact struct {
	Predicate
}

// NewFact returns the fact name(terms...), such as a fact of a request:
//
//	datalog.NewFact("resource", datalog.String("/reports/q3"))
//
// The terms must be values, not variables; [World.AddFact] rejects any
// other. The fact keeps terms, it does not copy them: a fact is never
// changed once made.
func NewFact(name string, terms ...Term) Fact {
	return Fact{Predicate{Name: name, Terms: terms}}
}

// Rule derives its Head from every match of its Body. Every variable of the
// head and of the body's expressions is bound by a predicate of the body.
type Rule struct {
	Head Predicate
	Body Body
	Pos  Pos // of the head, when parsed
}

// Body is what a rule, a check or a policy matches: predicates joined on
// their variables, expressions over those variables, and the scopes whose
// facts it trusts (none: the defaults of its block).
type Body struct {
	Predicates  []Predicate
	Expressions []Expression
	Scopes      []Scope
}

// CheckKind is how a check judges its queries.
type CheckKind uint8

const (
	// CheckIf passes when a query matches at least once.
	CheckIf CheckKind = iota
	// CheckAll passes when a query matches and every match satisfies its
	// expressions.
	CheckAll
	// RejectIf passes when no query matches.
	RejectIf
)

// Check is a condition the request must meet; its queries are alternatives
// joined by "or".
type Check struct {
	Kind    CheckKind
	Queries []Body
	Pos     Pos // of its first keyword, when parsed
}

// PolicyKind is what a matching policy decides.
type PolicyKind uint8

const (
	Allow PolicyKind = iota
	Deny
)

// Policy is an allow or deny decision taken when one of its queries
// matches. Policies belong to the authorizer; they are tried in order.
type Policy struct {
	Kind    PolicyKind
	Queries []Body
	Pos     Pos // of its first keyword, when parsed
}

// ScopeKind is the kind of origin a trusting clause names.
type ScopeKind uint8

const (
	// ScopeAuthority trusts the authority block (block 0).
	ScopeAuthority ScopeKind = iota
	// ScopePrevious trusts every block before the current one. It means
	// nothing in the authorizer, which has no place in the chain.
	ScopePrevious
	// ScopePublicKey trusts the third-party blocks signed by PublicKey.
	ScopePublicKey
)

// Scope is one origin named in a trusting clause.
type Scope struct {
	Kind      ScopeKind
	PublicKey PublicKey // for ScopePublicKey
}

// Program is a parsed block or authorizer: its block-level scopes, facts,
// rules, checks and (authorizer only) policies, in source order.
type Program struct {
	Scopes   []Scope
	Facts    []Fact
	Rules    []Rule
	Checks   []Check
	Policies []Policy
}

// Expression is a condition over variables, kept as the opcodes of the
// stack machine of the specification: the form a token carries on the wire.
type Expression struct {
	Ops []Op
}

// Op is one opcode of an [Expression]: a [Value], a [Unary] or [Binary]
// operation, or a [Closure].
type Op interface{ isOp() }

// Value pushes a term (a ground value or a variable) onto the stack.
type Value struct{ Term Term }

// Unary pops one value and pushes the result of its operation.
type Unary struct {
	Op     UnaryOp
	Extern string // function name, for OpUnaryExtern
}

// Binary pops two values (the right one first) and pushes the result.
type Binary struct {
	Op     BinaryOp
	Extern string // function name, for OpBinaryExtern
}

// Closure pushes a function of Params whose body is Ops. It is the right
// operand of the lazy operators, of all and any, and the left one of try_or.
type Closure struct {
	Params []string
	Ops    []Op
}

func (Value) isOp()   {}
func (Unary) isOp()   {}
func (Binary) isOp()  {}
func (Closure) isOp() {}

// UnaryOp is a unary operation; the numbering is the wire's.
type UnaryOp uint8

const (
	OpNegate UnaryOp = iota
	OpParens
	OpLength
	OpTypeOf
	OpUnaryExtern
)

// BinaryOp is a binary operation; the numbering is the wire's.
type BinaryOp uint8

const (
	OpLessThan BinaryOp = iota
	OpGreaterThan
	OpLessOrEqual
	OpGreaterOrEqual
	OpStrictEqual
	OpContains
	OpPrefix
	OpSuffix
	OpRegex
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpEagerAnd
	OpEagerOr
	OpIntersection
	OpUnion
	OpBitwiseAnd
	OpBitwiseOr
	OpBitwiseXor
	OpStrictNotEqual
	OpLenientEqual
	OpLenientNotEqual
	OpLazyAnd
	OpLazyOr
	OpAll
	OpAny
	OpGet
	OpBinaryExtern
	OpTryOr
)

// BlockID numbers the blocks of a world: 0 is the authority block, then
// each attenuation block in order; the authorizer has its own id.
type BlockID int

// AuthorizerBlock is the BlockID of the authorizer's facts, rules, checks
// and policies.
const AuthorizerBlock BlockID = -1

func (b BlockID) String() string {
	if b == AuthorizerBlock {
		return "authorizer"
	}
	return "block " + strconv.Itoa(int(b))
}
