package refdiff

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Case is one differential case: a token described as Datalog source
// text, which both implementations parse, and the authorizer that decides
// it. Its JSON form is what the reference program reads.
type Case struct {
	// Root is the root private key (ed25519 secret, hex).
	Root       string      `json:"root"`
	Authority  string      `json:"authority"`
	Blocks     []BlockCase `json:"blocks,omitempty"`
	Authorizer string      `json:"authorizer"`
	// Time is the request's time (RFC 3339), or empty for none.
	Time string `json:"time"`
	// Token is a serialized token (hex) to decide instead of minting one.
	Token *string `json:"token,omitempty"`

	MaxFacts      int `json:"max_facts"`
	MaxIterations int `json:"max_iterations"`
	MaxTimeMS     int `json:"max_time_ms"`
}

// BlockCase is an attenuation block: first-party when Key is nil, else
// signed by the third party whose private key (ed25519 secret, hex) it is.
type BlockCase struct {
	Source string  `json:"source"`
	Key    *string `json:"key"`
}

// String prints a case as its source texts, for a failing test's log.
func (c *Case) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- authority (root %s)\n%s\n", c.Root, c.Authority)
	for i, blk := range c.Blocks {
		who := "first party"
		if blk.Key != nil {
			who = "third party " + *blk.Key
		}
		fmt.Fprintf(&b, "-- block %d (%s)\n%s\n", i+1, who, blk.Source)
	}
	fmt.Fprintf(&b, "-- authorizer (time %s)\n%s\n", c.Time, c.Authorizer)
	return b.String()
}

// thirdPartyKeys are the secrets of the third parties a case may use. Each
// case trusts some of them, by scope, and not the others.
var thirdPartyKeys = []string{
	strings.Repeat("11", 32),
	strings.Repeat("22", 32),
	strings.Repeat("33", 32),
}

// Generator makes random cases from a seed. It writes source text
// directly, mostly well typed so that evaluation goes deep, sometimes not,
// and now and then broken, so that errors are compared too.
type Generator struct {
	r *rand.Rand
	// publicKeys are thirdPartyKeys' public keys as Datalog prints them.
	publicKeys []string
	// vars are the body variables of the rule being written, by type.
	vars map[kind][]string
	// params counts closure parameters, so each gets a fresh name.
	params int
}

// NewGenerator returns a generator; publicKeys are the public keys of
// thirdPartyKeys, hex, in order.
func NewGenerator(seed uint64, publicKeys []string) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), publicKeys: publicKeys}
}

// ThirdPartyKeys returns the third parties' secrets, hex.
func ThirdPartyKeys() []string { return thirdPartyKeys }

type kind int

const (
	kInt kind = iota
	kStr
	kBool
	kDate
	kBytes
	kSet
	kArray
	kMap
	kNull
	kinds
)

// predicates names the facts holding one term of each kind.
var predicates = [kinds]string{"int", "str", "bool", "date", "bytes", "set", "arr", "map", "nul"}

func (g *Generator) n(k int) int           { return g.r.IntN(k) }
func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *Generator, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// Case returns the next case.
func (g *Generator) Case() *Case {
	var root [32]byte
	for i := range root {
		root[i] = byte(g.r.Uint32())
	}
	c := &Case{Root: hex.EncodeToString(root[:]), MaxFacts: 1000, MaxIterations: 100, MaxTimeMS: 1000}
	c.Authority = g.block(0, true)
	for i := range g.n(4) {
		var key *string
		if g.chance(0.4) {
			k := thirdPartyKeys[g.n(len(thirdPartyKeys))]
			key = &k
		}
		c.Blocks = append(c.Blocks, BlockCase{Source: g.block(i+1, false), Key: key})
	}
	c.Authorizer = g.authorizer()
	if g.chance(0.8) {
		t := time.Date(2026, time.Month(1+g.n(12)), 1+g.n(28), g.n(24), g.n(60), g.n(60), 0, time.UTC)
		c.Time = t.Format(time.RFC3339)
	}
	return c
}

// block writes a block's source: facts of every kind, rules, checks, and
// sometimes a block-wide scope.
func (g *Generator) block(index int, authority bool) string {
	var b strings.Builder
	if !authority && g.chance(0.1) {
		fmt.Fprintf(&b, "trusting %s;\n", g.scopes())
	}
	for range 1 + g.n(6) {
		k := kind(g.n(int(kinds)))
		fmt.Fprintf(&b, "%s(%s);\n", predicates[k], g.literal(k, 2))
	}
	if g.chance(0.3) {
		fmt.Fprintf(&b, "right(%q, %q);\n", pick(g, "file1", "file2"), pick(g, "read", "write"))
	}
	for range g.n(3) {
		b.WriteString(g.rule())
	}
	for range g.n(3) {
		b.WriteString(g.check())
	}
	return g.mutate(b.String())
}

func (g *Generator) authorizer() string {
	var b strings.Builder
	if g.chance(0.03) {
		fmt.Fprintf(&b, "trusting %s;\n", g.scopes())
	}
	fmt.Fprintf(&b, "resource(%q);\noperation(%q);\n", pick(g, "file1", "file2"), pick(g, "read", "write"))
	for range g.n(3) {
		k := kind(g.n(int(kinds)))
		fmt.Fprintf(&b, "%s(%s);\n", predicates[k], g.literal(k, 2))
	}
	for range g.n(3) {
		b.WriteString(g.rule())
	}
	for range g.n(3) {
		b.WriteString(g.check())
	}
	for range 1 + g.n(3) {
		fmt.Fprintf(&b, "%s if %s;\n", pick(g, "allow", "allow", "deny"), g.queries())
	}
	if g.chance(0.25) {
		b.WriteString("allow if true;\n")
	}
	return g.mutate(b.String())
}

// mutate breaks a program now and then: parse errors, unbound variables.
// It keeps the text valid UTF-8, which the JSON to the reference requires.
func (g *Generator) mutate(src string) string {
	if out := g.breakSource(src); utf8.ValidString(out) {
		return out
	}
	return src
}

func (g *Generator) breakSource(src string) string {
	switch {
	case g.chance(0.006):
		i := g.n(len(src))
		return src[:i] + pick(g, "(", ")", ",", "$", "\"", "<-", "if", ";", "{", "[", "->", "..") + src[i:]
	case g.chance(0.006):
		i := g.n(len(src))
		return src[:i] + src[min(len(src), i+1+g.n(3)):]
	case g.chance(0.003):
		return src + "unbound($nowhere) <- int($i);\n"
	case g.chance(0.003):
		return src + "check if int($i), $missing > 1;\n"
	}
	return src
}

// scopes writes a trusting clause's list.
func (g *Generator) scopes() string {
	var s []string
	for range 1 + g.n(2) {
		switch g.n(4) {
		case 0:
			s = append(s, "authority")
		case 1:
			s = append(s, "previous")
		default:
			s = append(s, "ed25519/"+g.publicKeys[g.n(len(g.publicKeys))])
		}
	}
	return strings.Join(s, ", ")
}

// body writes a rule body: predicates binding typed variables, then
// expressions over them, then sometimes a scope.
func (g *Generator) body() string {
	g.vars = map[kind][]string{}
	var parts []string
	for i := range 1 + g.n(3) {
		if g.chance(0.15) {
			parts = append(parts, fmt.Sprintf("resource($res%d), right($res%d, $op%d)", i, i, i))
			g.vars[kStr] = append(g.vars[kStr], fmt.Sprintf("$res%d", i), fmt.Sprintf("$op%d", i))
			continue
		}
		k := kind(g.n(int(kinds)))
		if g.chance(0.3) {
			k = kInt
		}
		v := fmt.Sprintf("$%s%d", predicates[k], i)
		parts = append(parts, fmt.Sprintf("%s(%s)", predicates[k], v))
		g.vars[k] = append(g.vars[k], v)
	}
	if g.chance(0.1) {
		// the request's time, as an expiry check reads it
		parts = append(parts, "time($time)")
		g.vars[kDate] = append(g.vars[kDate], "$time")
	}
	if g.chance(0.1) {
		parts = append(parts, fmt.Sprintf("derived%d($d)", g.n(2)))
		g.vars[kInt] = append(g.vars[kInt], "$d")
	}
	for range g.n(3) {
		parts = append(parts, g.expr(kBool, 3))
	}
	s := strings.Join(parts, ", ")
	if g.chance(0.15) {
		s += " trusting " + g.scopes()
	}
	return s
}

func (g *Generator) queries() string {
	if g.chance(0.1) {
		g.vars = map[kind][]string{}
		return g.expr(kBool, 3)
	}
	q := []string{g.body()}
	for g.chance(0.25) {
		q = append(q, g.body())
	}
	return strings.Join(q, " or ")
}

func (g *Generator) rule() string {
	body := g.body()
	var head string
	if vs := g.vars[kInt]; len(vs) > 0 && g.chance(0.6) {
		head = fmt.Sprintf("derived%d(%s)", g.n(2), vs[g.n(len(vs))])
	} else {
		var args []string
		for k := range kinds {
			if vs := g.vars[k]; len(vs) > 0 && g.chance(0.5) {
				args = append(args, vs[0])
			}
		}
		if len(args) == 0 {
			args = []string{g.literal(kInt, 1)}
		}
		head = fmt.Sprintf("head(%s)", strings.Join(args, ", "))
	}
	return fmt.Sprintf("%s <- %s;\n", head, body)
}

func (g *Generator) check() string {
	return fmt.Sprintf("%s %s;\n", pick(g, "check if", "check if", "check all", "reject if"), g.queries())
}

// literal writes a term of kind k; depth bounds nested collections.
func (g *Generator) literal(k kind, depth int) string {
	switch k {
	case kInt:
		return pick(g, "0", "1", "2", "3", "-1", "7", "42", "-42", "1000",
			"9223372036854775807", "-9223372036854775808", "4611686018427387904")
	case kStr:
		if g.chance(0.001) { // known differences: keep them rare
			return pick(g, `"\t"`, `"a\rb"`)
		}
		return pick(g, `""`, `"a"`, `"b"`, `"ab"`, `"file1"`, `"read"`, `"é"`, `"a\"b"`, `"a\\b"`, `"x\ny"`, `"abc123"`, `"A"`)
	case kBool:
		return pick(g, "true", "false")
	case kDate:
		return pick(g, "2026-01-01T00:00:00Z", "2026-06-15T12:30:00Z", "2027-01-01T00:00:00+01:00", "1970-01-01T00:00:00Z", "2026-12-31T23:59:59Z")
	case kBytes:
		if g.chance(0.002) {
			return "hex:"
		}
		return pick(g, "hex:00", "hex:0a0b", "hex:deadbeef", "hex:ff", "hex:DEAD")
	case kNull:
		return "null"
	case kSet:
		var xs []string
		ek := pick(g, kInt, kStr, kInt, kBool, kDate, kBytes)
		for range g.n(4) {
			if g.chance(0.02) {
				ek = pick(g, kInt, kStr)
			}
			xs = append(xs, g.literal(ek, 0))
		}
		if len(xs) == 0 {
			return "{,}"
		}
		if len(xs) == 1 && (ek == kBool || ek == kBytes) && g.chance(0.9) {
			// {true} and {hex:ff} are a known difference: keep them rare
			xs = append(xs, xs[0])
		}
		return "{" + strings.Join(xs, ", ") + "}"
	case kArray:
		var xs []string
		for range g.n(4) {
			if depth > 0 && g.chance(0.2) {
				xs = append(xs, g.literal(pick(g, kArray, kMap, kSet), depth-1))
			} else {
				xs = append(xs, g.literal(pick(g, kInt, kStr, kBool, kNull), 0))
			}
		}
		return "[" + strings.Join(xs, ", ") + "]"
	case kMap:
		var xs []string
		for range 1 + g.n(3) {
			key := pick(g, `"a"`, `"b"`, `"c"`, "1", "2")
			var v string
			if depth > 0 && g.chance(0.2) {
				v = g.literal(pick(g, kArray, kMap), depth-1)
			} else {
				v = g.literal(pick(g, kInt, kStr, kBool, kNull), 0)
			}
			xs = append(xs, key+": "+v)
		}
		if g.chance(0.005) {
			return "{}"
		}
		return "{" + strings.Join(xs, ", ") + "}"
	}
	panic("refdiff: unknown kind")
}

// receiver is an expression a method is called on: a date literal is
// mostly parenthesized, since the reference's date scanner would take the
// method for part of the date (a known difference, kept rare).
func (g *Generator) receiver(s string) string {
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' && strings.Contains(s, "T") && g.chance(0.95) {
		return g.parens(s)
	}
	return s
}

// recv is an expression of kind k to call a method on, mostly
// parenthesized when compound, since a method binds tighter than any
// operator.
func (g *Generator) recv(k kind, depth int) string {
	return g.receiver(g.group(g.expr(k, depth), 0.8))
}

// operand is a term of kind k: a bound variable or a literal.
func (g *Generator) operand(k kind) string {
	if vs := g.vars[k]; len(vs) > 0 && g.chance(0.6) {
		return vs[g.n(len(vs))]
	}
	return g.literal(k, 1)
}

// expr writes an expression of kind k, mostly well typed; depth bounds it.
func (g *Generator) expr(k kind, depth int) string {
	if depth <= 0 || g.chance(0.25) {
		return g.operand(k)
	}
	d := depth - 1
	if g.chance(0.03) { // ill-typed on purpose
		return g.expr(kind(g.n(int(kinds))), d)
	}
	switch k {
	case kInt:
		switch g.n(6) {
		case 0:
			return fmt.Sprintf("%s %s %s", g.group(g.expr(kInt, d), 0.5), pick(g, "+", "-", "*", "/", "&", "|", "^"), g.group(g.expr(kInt, d), 0.5))
		case 1:
			return fmt.Sprintf("(%s)", g.expr(kInt, d))
		case 2:
			return fmt.Sprintf("%s.length()", g.recv(pick(g, kStr, kBytes, kSet, kArray, kMap), d))
		case 3:
			return fmt.Sprintf("%s.try_or(%s)", g.recv(kInt, d), g.literal(pick(g, kInt, kInt, kStr), 0))
		case 4:
			return fmt.Sprintf("%s.get(%s).try_or(0)", g.operand(pick(g, kArray, kMap)), g.literal(pick(g, kInt, kStr), 0))
		default:
			return g.operand(kInt)
		}
	case kBool:
		switch g.n(14) {
		case 0:
			return fmt.Sprintf("%s %s %s", g.group(g.expr(kInt, d), 1), pick(g, "<", ">", "<=", ">=", "==", "!="), g.group(g.expr(kInt, d), 1))
		case 1:
			ek := kind(g.n(int(kinds)))
			return fmt.Sprintf("%s %s %s", g.group(g.expr(ek, d), 1), pick(g, "==", "!=", "===", "!=="), g.group(g.expr(pick(g, ek, ek, kind(g.n(int(kinds)))), d), 1))
		case 2:
			return fmt.Sprintf("%s %s %s", g.group(g.expr(kBool, d), 0.5), pick(g, "&&", "||"), g.group(g.expr(kBool, d), 0.5))
		case 3:
			return fmt.Sprintf("!%s", g.parens(g.expr(kBool, d)))
		case 4:
			return fmt.Sprintf("%s.%s(%s)", g.recv(kStr, d), pick(g, "starts_with", "ends_with", "contains"), g.expr(kStr, d))
		case 5:
			return fmt.Sprintf("%s.matches(%s)", g.recv(kStr, d), pick(g, `"^a"`, `"b$"`, `"[0-9]+"`, `"a|b"`, `"("`, `".*"`, `"^file\\d$"`))
		case 6:
			return fmt.Sprintf("%s.contains(%s)", g.recv(kSet, d), g.expr(pick(g, kInt, kStr, kSet), d))
		case 7:
			return fmt.Sprintf("%s.%s(%s)", g.recv(pick(g, kSet, kArray), d), pick(g, "all", "any"), g.closure(d))
		case 8:
			return fmt.Sprintf("%s.type() == %q", g.receiver(g.operand(kind(g.n(int(kinds))))), pick(g, "integer", "string", "bool", "date", "bytes", "set", "array", "map", "null"))
		case 9:
			return fmt.Sprintf("%s %s %s", g.group(g.expr(kDate, d), 1), pick(g, "<", ">", "<=", ">=", "=="), g.group(g.expr(kDate, d), 1))
		case 10:
			return fmt.Sprintf("%s.try_or(%s)", g.parens(g.recv(kBool, d)), pick(g, "true", "false", "1"))
		case 11:
			return fmt.Sprintf("%s.contains(%s)", g.recv(pick(g, kArray, kMap), d), g.literal(pick(g, kInt, kStr, kArray), 0))
		case 12:
			return fmt.Sprintf("%s.%s(%s)", g.recv(kArray, d), pick(g, "starts_with", "ends_with"), g.literal(kArray, 0))
		default:
			return g.operand(kBool)
		}
	case kStr:
		switch g.n(4) {
		case 0:
			return fmt.Sprintf("%s + %s", g.group(g.expr(kStr, d), 0.5), g.group(g.expr(kStr, d), 0.5))
		case 1:
			return fmt.Sprintf("%s.type()", g.receiver(g.operand(kind(g.n(int(kinds))))))
		default:
			return g.operand(kStr)
		}
	case kSet:
		switch g.n(3) {
		case 0:
			return fmt.Sprintf("%s.%s(%s)", g.recv(kSet, d), pick(g, "union", "intersection"), g.expr(kSet, d))
		default:
			return g.operand(kSet)
		}
	case kDate:
		return g.operand(kDate)
	case kBytes:
		return g.operand(kBytes)
	case kArray:
		return g.operand(kArray)
	case kMap:
		return g.operand(kMap)
	case kNull:
		return "null"
	}
	panic("refdiff: unknown kind")
}

func (g *Generator) parens(s string) string { return "(" + s + ")" }

// group parenthesizes a compound operand with probability p: always where
// the grammar requires it (comparisons do not chain), sometimes elsewhere,
// so that precedence is exercised too.
func (g *Generator) group(s string, p float64) string {
	if strings.Contains(s, " ") && g.chance(p) {
		return g.parens(s)
	}
	return s
}

// closure writes $p -> expr over its parameter. The parameter's kind is
// unknown (any element), so the body tests it with type() first or lets
// try_or absorb a type error; sometimes it shadows a bound variable.
func (g *Generator) closure(depth int) string {
	g.params++
	p := fmt.Sprintf("$p%d", g.params)
	if vs := g.vars[kInt]; len(vs) > 0 && g.chance(0.03) {
		p = vs[0]
	}
	saved := g.vars[kInt]
	g.vars[kInt] = append(slices.Clone(saved), p)
	defer func() { g.vars[kInt] = saved }()
	switch g.n(3) {
	case 0:
		return fmt.Sprintf("%s -> %s.type() == \"integer\" && %s > %s", p, p, p, g.literal(kInt, 0))
	case 1:
		return fmt.Sprintf("%s -> (%s).try_or(false)", p, g.expr(kBool, depth))
	default:
		return fmt.Sprintf("%s -> %s %s %s", p, p, pick(g, "==", "!=", "===", "!=="), g.literal(pick(g, kInt, kStr), 0))
	}
}
