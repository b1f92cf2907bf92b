package datalog

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// The canonical printer. Its output is the printed form of the
// specification and of the reference implementation, character for
// character: a block printed here reads the same as the same block printed
// by any other Biscuit implementation. Parsing printed text gives back the
// same program.

func (v Variable) String() string { return "$" + string(v) }
func (i Integer) String() string  { return strconv.FormatInt(int64(i), 10) }
func (s String) String() string   { return quote(string(s)) }
func (b Bytes) String() string    { return "hex:" + hex.EncodeToString(b) }
func (Null) String() string       { return "null" }

func (b Bool) String() string {
	if b {
		return "true"
	}
	return "false"
}

// String prints the date in RFC 3339, UTC. A date past year 9999 has no
// RFC 3339 form; it prints as the reference prints it.
func (d Date) String() string {
	if d > maxRFC3339Date {
		return "<invalid date>"
	}
	return d.Time().Format("2006-01-02T15:04:05Z07:00")
}

// maxRFC3339Date is 9999-12-31T23:59:59Z.
const maxRFC3339Date = 253402300799

func (s Set) String() string {
	if len(s) == 0 {
		return "{,}"
	}
	return "{" + joinTerms(s) + "}"
}

func (a Array) String() string { return "[" + joinTerms(a) + "]" }

func (m Map) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(termString(e.Key))
		b.WriteString(": ")
		b.WriteString(termString(e.Value))
	}
	b.WriteByte('}')
	return b.String()
}

func joinTerms(ts []Term) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(termString(t))
	}
	return b.String()
}

func termString(t Term) string {
	if s, ok := t.(interface{ String() string }); ok {
		return s.String()
	}
	return "<nil>"
}

// quote writes a string literal, escaping only what the parser needs
// escaped: the quote and the backslash.
func quote(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func (p Predicate) String() string {
	var b strings.Builder
	b.WriteString(p.Name)
	b.WriteByte('(')
	b.WriteString(joinTerms(p.Terms))
	b.WriteByte(')')
	return b.String()
}

func (s Scope) String() string {
	switch s.Kind {
	case ScopeAuthority:
		return "authority"
	case ScopePrevious:
		return "previous"
	}
	return s.PublicKey.String()
}

// String prints predicates, then expressions, then the trusting clause.
func (b Body) String() string {
	var sb strings.Builder
	b.write(&sb)
	return sb.String()
}

func (b Body) write(sb *strings.Builder) {
	for i, p := range b.Predicates {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p.String())
	}
	for i, e := range b.Expressions {
		if i > 0 || len(b.Predicates) > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(e.String())
	}
	if len(b.Scopes) > 0 {
		sb.WriteString(" trusting ")
		writeScopes(sb, b.Scopes)
	}
}

func writeScopes(sb *strings.Builder, scopes []Scope) {
	for i, s := range scopes {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(s.String())
	}
}

func (r Rule) String() string {
	var sb strings.Builder
	sb.WriteString(r.Head.String())
	sb.WriteString(" <- ")
	r.Body.write(&sb)
	return sb.String()
}

func (k CheckKind) String() string {
	switch k {
	case CheckAll:
		return "check all"
	case RejectIf:
		return "reject if"
	}
	return "check if"
}

func (c Check) String() string { return writeQueries(c.Kind.String(), c.Queries) }

func (k PolicyKind) String() string {
	if k == Deny {
		return "deny if"
	}
	return "allow if"
}

func (p Policy) String() string { return writeQueries(p.Kind.String(), p.Queries) }

func writeQueries(keyword string, queries []Body) string {
	var sb strings.Builder
	sb.WriteString(keyword)
	sb.WriteByte(' ')
	for i, q := range queries {
		if i > 0 {
			sb.WriteString(" or ")
		}
		q.write(&sb)
	}
	return sb.String()
}

// String prints a block: the trusting clause, facts, rules, checks (and
// policies, if any), one per line, each ended by ';'.
func (p *Program) String() string {
	var sb strings.Builder
	if len(p.Scopes) > 0 {
		sb.WriteString("trusting ")
		writeScopes(&sb, p.Scopes)
		sb.WriteString(";\n")
	}
	for _, group := range p.groups() {
		for _, s := range group {
			sb.WriteString(s)
			sb.WriteString(";\n")
		}
	}
	return sb.String()
}

func (p *Program) groups() [4][]string {
	var g [4][]string
	for _, f := range p.Facts {
		g[0] = append(g[0], f.String())
	}
	for _, r := range p.Rules {
		g[1] = append(g[1], r.String())
	}
	for _, c := range p.Checks {
		g[2] = append(g[2], c.String())
	}
	for _, pol := range p.Policies {
		g[3] = append(g[3], pol.String())
	}
	return g
}

// String prints the expression. The opcodes are replayed on a stack, as
// they are evaluated, into a tree of texts that is written out once at the
// end, so that printing takes time linear in the output; parentheses appear
// where an OpParens opcode stands and nowhere else. Malformed opcodes print as
// <invalid expression>.
func (e Expression) String() string {
	var sb strings.Builder
	if !printOps(&sb, e.Ops, 0) {
		return "<invalid expression>"
	}
	return sb.String()
}

// maxPrintDepth bounds the closures nested in opcodes that the printer
// follows; decoded opcodes are checked against Limits.MaxDepth long before.
const maxPrintDepth = 256

// printNode is one sub-expression: pre, the first operand, mid, the second
// operand, post. A value has no operands, a unary operation one.
type printNode struct {
	pre, mid, post string
	kids           [2]int
	nkids          int
}

func printOps(sb *strings.Builder, ops []Op, depth int) bool {
	if depth > maxPrintDepth {
		return false
	}
	nodes := make([]printNode, 0, len(ops)) // one per opcode
	var stack []int                         // indexes into nodes
	push := func(n printNode) {
		nodes = append(nodes, n)
		stack = append(stack, len(nodes)-1)
	}
	for _, op := range ops {
		switch op := op.(type) {
		case Value:
			if op.Term == nil {
				return false
			}
			push(printNode{pre: termString(op.Term)})
		case Unary:
			if len(stack) < 1 {
				return false
			}
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			push(printUnary(op, v))
		case Binary:
			if len(stack) < 2 {
				return false
			}
			l, r := stack[len(stack)-2], stack[len(stack)-1]
			stack = stack[:len(stack)-2]
			push(printBinary(op, l, r))
		case Closure:
			var body strings.Builder
			if len(op.Params) > 0 {
				for i, p := range op.Params {
					if i > 0 {
						body.WriteString(", ")
					}
					body.WriteString("$" + p)
				}
				body.WriteString(" -> ")
			}
			if !printOps(&body, op.Ops, depth+1) {
				return false
			}
			push(printNode{pre: body.String()})
		default:
			return false
		}
	}
	if len(stack) != 1 {
		return false
	}
	writeNodes(sb, nodes, stack[0])
	return true
}

// writeNodes writes the tree under root without recursion: decoded opcodes
// may nest as deep as they are long.
func writeNodes(sb *strings.Builder, nodes []printNode, root int) {
	type frame struct{ node, next int } // next: the operand to write next
	sb.WriteString(nodes[root].pre)
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		n := &nodes[top.node]
		if top.next == n.nkids {
			sb.WriteString(n.post)
			stack = stack[:len(stack)-1]
			continue
		}
		if top.next == 1 {
			sb.WriteString(n.mid)
		}
		kid := n.kids[top.next]
		top.next++
		sb.WriteString(nodes[kid].pre)
		stack = append(stack, frame{kid, 0})
	}
}

func printUnary(op Unary, v int) printNode {
	n := printNode{kids: [2]int{v}, nkids: 1}
	switch op.Op {
	case OpNegate:
		n.pre = "!"
	case OpParens:
		n.pre, n.post = "(", ")"
	case OpLength:
		n.post = ".length()"
	case OpTypeOf:
		n.post = ".type()"
	case OpUnaryExtern:
		n.post = ".extern::" + op.Extern + "()"
	default:
		return printNode{pre: "<invalid unary>"}
	}
	return n
}

var binaryInfix = [...]string{
	OpLessThan: "<", OpGreaterThan: ">", OpLessOrEqual: "<=", OpGreaterOrEqual: ">=",
	OpStrictEqual: "===", OpStrictNotEqual: "!==", OpLenientEqual: "==", OpLenientNotEqual: "!=",
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/",
	OpEagerAnd: "&&!", OpEagerOr: "||!",
	OpBitwiseAnd: "&", OpBitwiseOr: "|", OpBitwiseXor: "^", OpLazyAnd: "&&", OpLazyOr: "||",
	OpContains: "", OpPrefix: "", OpSuffix: "", OpRegex: "", OpIntersection: "", OpUnion: "",
	OpAll: "", OpAny: "", OpGet: "", OpBinaryExtern: "", OpTryOr: "",
}

var binaryMethodNames = map[BinaryOp]string{
	OpContains: "contains", OpPrefix: "starts_with", OpSuffix: "ends_with", OpRegex: "matches",
	OpIntersection: "intersection", OpUnion: "union", OpAll: "all", OpAny: "any", OpGet: "get", OpTryOr: "try_or",
}

func printBinary(op Binary, l, r int) printNode {
	n := printNode{kids: [2]int{l, r}, nkids: 2}
	if op.Op == OpBinaryExtern {
		n.mid, n.post = ".extern::"+op.Extern+"(", ")"
		return n
	}
	if m, ok := binaryMethodNames[op.Op]; ok {
		n.mid, n.post = "."+m+"(", ")"
		return n
	}
	if int(op.Op) < len(binaryInfix) && binaryInfix[op.Op] != "" {
		n.mid = " " + binaryInfix[op.Op] + " "
		return n
	}
	return printNode{pre: "<invalid binary>"}
}
