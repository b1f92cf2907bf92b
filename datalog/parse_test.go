package datalog

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Helpers that spell expected ASTs tersely.

func astPred(name string, terms ...Term) Predicate { return Predicate{Name: name, Terms: terms} }

func opVal(t Term) Op                         { return Value{Term: t} }
func opInt(n int64) Op                        { return Value{Term: Integer(n)} }
func opStr(s string) Op                       { return Value{Term: String(s)} }
func opVar(name string) Op                    { return Value{Term: Variable(name)} }
func opBool(b bool) Op                        { return Value{Term: Bool(b)} }
func opBin(op BinaryOp) Op                    { return Binary{Op: op} }
func opUn(op UnaryOp) Op                      { return Unary{Op: op} }
func opClosure(params []string, ops ...Op) Op { return Closure{Params: params, Ops: ops} }
func astExpr(ops ...Op) Expression            { return Expression{Ops: ops} }
func astDate(y int, mo time.Month, d, h, mi, s int) Date {
	return Date(time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix())
}

// astKey decodes a hex public key for an expected scope.
func astKey(alg Algorithm, hexKey string) PublicKey {
	k, err := hex.DecodeString(hexKey)
	if err != nil {
		panic(err)
	}
	return PublicKey{Algorithm: alg, Key: k}
}

const (
	ed25519Hex   = "acdd6d5b53bfee478bf689f8e012fe7988bf755e3d7c5152947abc149bc20189"
	secp256r1Hex = "025e918fd4463832aea2823dfd9716a36b4d9b1377bd53dd82ddf4c0bc75ed6bbf"
)

// astCmp compares ASTs: empty and nil slices are the same, since the
// parser's choice between them means nothing, and positions are ignored,
// since they are not part of what a statement means.
var astCmp = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreTypes(Pos{})}

// withoutPositions returns a copy of prog whose statements have no
// position, for comparisons with reflect.
func withoutPositions(prog *Program) *Program {
	out := *prog
	out.Rules = slices.Clone(prog.Rules)
	for i := range out.Rules {
		out.Rules[i].Pos = Pos{}
	}
	out.Checks = slices.Clone(prog.Checks)
	for i := range out.Checks {
		out.Checks[i].Pos = Pos{}
	}
	out.Policies = slices.Clone(prog.Policies)
	for i := range out.Policies {
		out.Policies[i].Pos = Pos{}
	}
	return &out
}

var epoch2019 = astDate(2019, 12, 4, 9, 46, 41)

// parseTermTests are terms of every kind and their ASTs. TestRoundTrip
// prints and parses them again.
var parseTermTests = []struct {
	src  string
	want Term
}{
	// Integers, with the whole 64-bit range.
	{"0", Integer(0)},
	{"42", Integer(42)},
	{"007", Integer(7)},
	{"-1", Integer(-1)},
	{"9223372036854775807", Integer(math.MaxInt64)},
	{"-9223372036854775808", Integer(math.MinInt64)},

	// Strings and their escapes.
	{`""`, String("")},
	{`"hello"`, String("hello")},
	{`"a\"b"`, String(`a"b`)},
	{`"a\\b"`, String(`a\b`)},
	{`"a\nb"`, String("a\nb")},
	{`"\\\"\n"`, String("\\\"\n")},
	{`"tab\there"`, String("tab\there")},
	{"\"raw\nnewline\"", String("raw\nnewline")},
	{`"été 🎉 {p} $x // not a comment"`, String("été 🎉 {p} $x // not a comment")},

	// Dates: RFC 3339, any offset, converted to seconds since the epoch
	// in UTC; a fraction of a second is dropped.
	{"1970-01-01T00:00:00Z", Date(0)},
	{"2019-12-04T09:46:41Z", epoch2019},
	{"2019-12-04T10:46:41+01:00", epoch2019},
	{"2019-12-04T04:16:41-05:30", epoch2019},
	{"2019-12-05T09:16:41+23:30", epoch2019},
	{"2019-12-04t09:46:41z", epoch2019},
	{"2019-12-04T09:46:41.999999Z", epoch2019},
	{"1970-01-01T01:00:00+01:00", Date(0)},
	{"9999-12-31T23:59:59Z", Date(253402300799)},

	// Byte strings.
	{"hex:00ff", Bytes{0x00, 0xff}},
	{"hex:DEADbeef", Bytes{0xde, 0xad, 0xbe, 0xef}},

	{"true", Bool(true)},
	{"false", Bool(false)},
	{"null", Null{}},

	// Sets: deduplicated and in canonical order.
	{"{,}", Set{}},
	{"{3, 1, 2, 1}", Set{Integer(1), Integer(2), Integer(3)}},
	{`{"b", "a", "b"}`, Set{String("a"), String("b")}},
	{"{2020-01-01T00:00:00Z, 1970-01-01T00:00:00Z}", Set{Date(0), astDate(2020, 1, 1, 0, 0, 0)}},
	{"{hex:02, hex:01}", Set{Bytes{1}, Bytes{2}}},
	{"{false, true, false}", Set{Bool(false), Bool(true)}},
	// A value between braces is a set, not a parameter.
	{"{true}", Set{Bool(true)}},
	{"{null}", Set{Null{}}},
	{"{hex:01}", Set{Bytes{1}}},
	{`{{"a": 1}, {}}`, Set{Map{}, Map{{String("a"), Integer(1)}}}},
	{"{[2], [1]}", Set{Array{Integer(1)}, Array{Integer(2)}}},
	{"{ -1 , /* c */ 1 }", Set{Integer(-1), Integer(1)}},

	// Arrays keep order and duplicates, and nest.
	{"[]", Array{}},
	{"[2, 1, 2]", Array{Integer(2), Integer(1), Integer(2)}},
	{`[1, "a", null, [true, []], {,}, {}]`, Array{Integer(1), String("a"), Null{}, Array{Bool(true), Array{}}, Set{}, Map{}}},
	{"[[[[0]]]]", Array{Array{Array{Array{Integer(0)}}}}},

	// Maps: string or integer keys, ordered by key (integers first),
	// the last of repeated keys wins.
	{"{}", Map{}},
	{`{"b": 1, "a": [2], 3: {"x": null}, -1: {,}}`, Map{
		{Integer(-1), Set{}},
		{Integer(3), Map{{String("x"), Null{}}}},
		{String("a"), Array{Integer(2)}},
		{String("b"), Integer(1)},
	}},
	{`{"a": 1, "a": 2}`, Map{{String("a"), Integer(2)}}},
	{`{"m": {"m": {"m": {}}}}`, Map{{String("m"), Map{{String("m"), Map{{String("m"), Map{}}}}}}}},
}

func TestParseTerm(t *testing.T) {
	for _, tc := range parseTermTests {
		t.Run(tc.src, func(t *testing.T) {
			got, err := ParseTerm(tc.src, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, astCmp...); diff != "" {
				t.Errorf("ParseTerm(%q) mismatch (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

// exprOps parses src as the expression of a check whose predicate binds $a,
// $b and $c, and returns its opcodes.
func exprOps(t *testing.T, src string) []Op {
	t.Helper()
	c, err := ParseCheck("check if v($a, $b, $c), "+src, nil)
	if err != nil {
		t.Fatalf("parsing %q: %v", src, err)
	}
	if len(c.Queries) != 1 || len(c.Queries[0].Expressions) != 1 {
		t.Fatalf("parsing %q: want one query with one expression, got %v", src, c)
	}
	return c.Queries[0].Expressions[0].Ops
}

// parseExpressionTests are expressions with every operator and method and
// their opcodes. TestRoundTrip prints and parses them again.
var parseExpressionTests = []struct {
	src  string
	want []Op
}{
	{"true", []Op{opBool(true)}},
	{"$a", []Op{opVar("a")}},
	{"-3", []Op{opInt(-3)}},

	// Every comparison.
	{"$a < 1", []Op{opVar("a"), opInt(1), opBin(OpLessThan)}},
	{"$a > 1", []Op{opVar("a"), opInt(1), opBin(OpGreaterThan)}},
	{"$a <= 1", []Op{opVar("a"), opInt(1), opBin(OpLessOrEqual)}},
	{"$a >= -1234", []Op{opVar("a"), opInt(-1234), opBin(OpGreaterOrEqual)}},
	{"$a === 1", []Op{opVar("a"), opInt(1), opBin(OpStrictEqual)}},
	{"$a !== 1", []Op{opVar("a"), opInt(1), opBin(OpStrictNotEqual)}},
	{"$a == 1", []Op{opVar("a"), opInt(1), opBin(OpLenientEqual)}},
	{"$a != 1", []Op{opVar("a"), opInt(1), opBin(OpLenientNotEqual)}},
	{"$a <= 2030-12-31T12:59:59+00:00", []Op{opVar("a"), opVal(Date(1924952399)), opBin(OpLessOrEqual)}},

	// Every arithmetic and bitwise operator.
	{"1 + 2", []Op{opInt(1), opInt(2), opBin(OpAdd)}},
	{"1 - 2", []Op{opInt(1), opInt(2), opBin(OpSub)}},
	{"1-2", []Op{opInt(1), opInt(2), opBin(OpSub)}},
	{"1 -2", []Op{opInt(1), opInt(2), opBin(OpSub)}},
	{"1 - -2", []Op{opInt(1), opInt(-2), opBin(OpSub)}},
	{"1 * -9223372036854775808", []Op{opInt(1), opInt(math.MinInt64), opBin(OpMul)}},
	{"1 / 2", []Op{opInt(1), opInt(2), opBin(OpDiv)}},
	{"1 & 2", []Op{opInt(1), opInt(2), opBin(OpBitwiseAnd)}},
	{"1 | 2", []Op{opInt(1), opInt(2), opBin(OpBitwiseOr)}},
	{"1 ^ 2", []Op{opInt(1), opInt(2), opBin(OpBitwiseXor)}},
	{`"a" + "b"`, []Op{opStr("a"), opStr("b"), opBin(OpAdd)}},

	// Lazy operators put their right operand in a closure.
	{"true && false", []Op{opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyAnd)}},
	{"true || false", []Op{opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyOr)}},

	// Left associativity.
	{"1 - 2 - 3", []Op{opInt(1), opInt(2), opBin(OpSub), opInt(3), opBin(OpSub)}},
	{"8 / 4 / 2", []Op{opInt(8), opInt(4), opBin(OpDiv), opInt(2), opBin(OpDiv)}},
	{"1 + 2 - 3", []Op{opInt(1), opInt(2), opBin(OpAdd), opInt(3), opBin(OpSub)}},
	{"1 ^ 2 ^ 3", []Op{opInt(1), opInt(2), opBin(OpBitwiseXor), opInt(3), opBin(OpBitwiseXor)}},
	{"true || false || true", []Op{
		opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyOr),
		opClosure(nil, opBool(true)), opBin(OpLazyOr),
	}},
	{"true && false && true", []Op{
		opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyAnd),
		opClosure(nil, opBool(true)), opBin(OpLazyAnd),
	}},

	// Precedence, loosest first: || && comparisons ^ | & +- */ ! methods.
	{"true || false && true", []Op{
		opBool(true),
		opClosure(nil, opBool(false), opClosure(nil, opBool(true)), opBin(OpLazyAnd)),
		opBin(OpLazyOr),
	}},
	{"true && false || true", []Op{
		opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyAnd),
		opClosure(nil, opBool(true)), opBin(OpLazyOr),
	}},
	{"1 < 2 && 3 > 4", []Op{
		opInt(1), opInt(2), opBin(OpLessThan),
		opClosure(nil, opInt(3), opInt(4), opBin(OpGreaterThan)), opBin(OpLazyAnd),
	}},
	{"1 ^ 2 < 3 ^ 4", []Op{
		opInt(1), opInt(2), opBin(OpBitwiseXor), opInt(3), opInt(4), opBin(OpBitwiseXor), opBin(OpLessThan),
	}},
	{"1 | 2 ^ 3 | 4", []Op{
		opInt(1), opInt(2), opBin(OpBitwiseOr), opInt(3), opInt(4), opBin(OpBitwiseOr), opBin(OpBitwiseXor),
	}},
	{"1 ^ 2 | 3", []Op{opInt(1), opInt(2), opInt(3), opBin(OpBitwiseOr), opBin(OpBitwiseXor)}},
	{"1 & 2 | 3 & 4", []Op{
		opInt(1), opInt(2), opBin(OpBitwiseAnd), opInt(3), opInt(4), opBin(OpBitwiseAnd), opBin(OpBitwiseOr),
	}},
	{"1 + 2 & 3 + 4", []Op{
		opInt(1), opInt(2), opBin(OpAdd), opInt(3), opInt(4), opBin(OpAdd), opBin(OpBitwiseAnd),
	}},
	{"1 + 2 * 3", []Op{opInt(1), opInt(2), opInt(3), opBin(OpMul), opBin(OpAdd)}},
	{"1 * 2 + 3", []Op{opInt(1), opInt(2), opBin(OpMul), opInt(3), opBin(OpAdd)}},
	{"1 - 6 / 3", []Op{opInt(1), opInt(6), opInt(3), opBin(OpDiv), opBin(OpSub)}},
	{"1 + 2 == 3", []Op{opInt(1), opInt(2), opBin(OpAdd), opInt(3), opBin(OpLenientEqual)}},
	{"$a.length() * 2", []Op{opVar("a"), opUn(OpLength), opInt(2), opBin(OpMul)}},
	{"2 * $a.length()", []Op{opInt(2), opVar("a"), opUn(OpLength), opBin(OpMul)}},

	// The operand of ! is an additive expression, as in the reference.
	{"!true", []Op{opBool(true), opUn(OpNegate)}},
	{"!!true", []Op{opBool(true), opUn(OpNegate), opUn(OpNegate)}},
	{"!$a + 1", []Op{opVar("a"), opInt(1), opBin(OpAdd), opUn(OpNegate)}},
	{"!$a * 2 - 1", []Op{opVar("a"), opInt(2), opBin(OpMul), opInt(1), opBin(OpSub), opUn(OpNegate)}},
	{"!$a & 1", []Op{opVar("a"), opUn(OpNegate), opInt(1), opBin(OpBitwiseAnd)}},
	{"!$a == 1", []Op{opVar("a"), opUn(OpNegate), opInt(1), opBin(OpLenientEqual)}},
	{"!true && false", []Op{opBool(true), opUn(OpNegate), opClosure(nil, opBool(false)), opBin(OpLazyAnd)}},
	{"1 + !2 + 3", []Op{opInt(1), opInt(2), opInt(3), opBin(OpAdd), opUn(OpNegate), opBin(OpAdd)}},
	{"2 * !$a", []Op{opInt(2), opVar("a"), opUn(OpNegate), opBin(OpMul)}},
	{"!$a.contains(1)", []Op{opVar("a"), opInt(1), opBin(OpContains), opUn(OpNegate)}},
	{"!(1 < 2)", []Op{opInt(1), opInt(2), opBin(OpLessThan), opUn(OpParens), opUn(OpNegate)}},

	// Parentheses are kept as an opcode.
	{"(1)", []Op{opInt(1), opUn(OpParens)}},
	{"((1))", []Op{opInt(1), opUn(OpParens), opUn(OpParens)}},
	{"(1 + 2) * 3", []Op{opInt(1), opInt(2), opBin(OpAdd), opUn(OpParens), opInt(3), opBin(OpMul)}},
	{"(1 < 2) == true", []Op{opInt(1), opInt(2), opBin(OpLessThan), opUn(OpParens), opBool(true), opBin(OpLenientEqual)}},
	{"( 1 /* c */ + 2 )", []Op{opInt(1), opInt(2), opBin(OpAdd), opUn(OpParens)}},

	// Every method.
	{`$a.contains("x")`, []Op{opVar("a"), opStr("x"), opBin(OpContains)}},
	{`$a.starts_with("x")`, []Op{opVar("a"), opStr("x"), opBin(OpPrefix)}},
	{`$a.ends_with("x")`, []Op{opVar("a"), opStr("x"), opBin(OpSuffix)}},
	{`$a.matches("^x+$")`, []Op{opVar("a"), opStr("^x+$"), opBin(OpRegex)}},
	{"$a.intersection({1})", []Op{opVar("a"), opVal(Set{Integer(1)}), opBin(OpIntersection)}},
	{"$a.union({1})", []Op{opVar("a"), opVal(Set{Integer(1)}), opBin(OpUnion)}},
	{"$a.get(0)", []Op{opVar("a"), opInt(0), opBin(OpGet)}},
	{`$a.get("k")`, []Op{opVar("a"), opStr("k"), opBin(OpGet)}},
	{"$a.length()", []Op{opVar("a"), opUn(OpLength)}},
	{"$a.type()", []Op{opVar("a"), opUn(OpTypeOf)}},
	{"$a.length( )", []Op{opVar("a"), opUn(OpLength)}},
	{"$a.contains($b + 1)", []Op{opVar("a"), opVar("b"), opInt(1), opBin(OpAdd), opBin(OpContains)}},
	{"$a.contains(1 < 2 || false)", []Op{
		opVar("a"), opInt(1), opInt(2), opBin(OpLessThan), opClosure(nil, opBool(false)), opBin(OpLazyOr), opBin(OpContains),
	}},
	{"[1, 2].contains($a)", []Op{opVal(Array{Integer(1), Integer(2)}), opVar("a"), opBin(OpContains)}},
	{`{"k": 1}.get("k")`, []Op{opVal(Map{{String("k"), Integer(1)}}), opStr("k"), opBin(OpGet)}},
	{"{,}.length()", []Op{opVal(Set{}), opUn(OpLength)}},
	{"{}.length()", []Op{opVal(Map{}), opUn(OpLength)}},
	{"-1.type()", []Op{opInt(-1), opUn(OpTypeOf)}},
	{`"a".length().type()`, []Op{opStr("a"), opUn(OpLength), opUn(OpTypeOf)}},
	{"(1 + 2).type()", []Op{opInt(1), opInt(2), opBin(OpAdd), opUn(OpParens), opUn(OpTypeOf)}},

	// Chained calls apply left to right.
	{"{1}.intersection({2}).contains(3)", []Op{
		opVal(Set{Integer(1)}), opVal(Set{Integer(2)}), opBin(OpIntersection), opInt(3), opBin(OpContains),
	}},
	{"{1}.intersection({2}).length().union({3})", []Op{
		opVal(Set{Integer(1)}), opVal(Set{Integer(2)}), opBin(OpIntersection), opUn(OpLength),
		opVal(Set{Integer(3)}), opBin(OpUnion),
	}},

	// all and any take a closure of one parameter; closures nest and see
	// the parameters of the closures around them.
	{"$a.all($p -> $p > 1)", []Op{
		opVar("a"), opClosure([]string{"p"}, opVar("p"), opInt(1), opBin(OpGreaterThan)), opBin(OpAll),
	}},
	{"$a.any($p -> $p == $b)", []Op{
		opVar("a"), opClosure([]string{"p"}, opVar("p"), opVar("b"), opBin(OpLenientEqual)), opBin(OpAny),
	}},
	{"$a.all($p -> $b.any($q -> $p == $q))", []Op{
		opVar("a"),
		opClosure([]string{"p"},
			opVar("b"),
			opClosure([]string{"q"}, opVar("p"), opVar("q"), opBin(OpLenientEqual)),
			opBin(OpAny)),
		opBin(OpAll),
	}},
	{"[1].any($p -> $p > 0 && $p < 2)", []Op{
		opVal(Array{Integer(1)}),
		opClosure([]string{"p"},
			opVar("p"), opInt(0), opBin(OpGreaterThan),
			opClosure(nil, opVar("p"), opInt(2), opBin(OpLessThan)), opBin(OpLazyAnd)),
		opBin(OpAny),
	}},

	// try_or wraps its receiver, the whole chain before it, in a closure.
	{"true.length().try_or(false)", []Op{
		opClosure(nil, opBool(true), opUn(OpLength)), opBool(false), opBin(OpTryOr),
	}},
	{"$a.get(0).try_or(1) + 1", []Op{
		opClosure(nil, opVar("a"), opInt(0), opBin(OpGet)), opInt(1), opBin(OpTryOr), opInt(1), opBin(OpAdd),
	}},
	{"(1 / 0).try_or(0).type()", []Op{
		opClosure(nil, opInt(1), opInt(0), opBin(OpDiv), opUn(OpParens)), opInt(0), opBin(OpTryOr), opUn(OpTypeOf),
	}},

	// Extern functions take no argument or one.
	{"2.extern::toto()", []Op{opInt(2), Unary{Op: OpUnaryExtern, Extern: "toto"}}},
	{"2.extern::toto(3)", []Op{opInt(2), opInt(3), Binary{Op: OpBinaryExtern, Extern: "toto"}}},
	{"$a.extern::f_1($b + 1).length()", []Op{
		opVar("a"), opVar("b"), opInt(1), opBin(OpAdd), Binary{Op: OpBinaryExtern, Extern: "f_1"}, opUn(OpLength),
	}},
}

func TestParseExpression(t *testing.T) {
	for _, tc := range parseExpressionTests {
		t.Run(tc.src, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, exprOps(t, tc.src), astCmp...); diff != "" {
				t.Errorf("%q mismatch (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

func TestParseStatements(t *testing.T) {
	edKey := astKey(Ed25519, ed25519Hex)
	p256Key := astKey(Secp256r1, secp256r1Hex)
	t.Run("fact", func(t *testing.T) {
		for src, want := range map[string]Fact{
			`right("file1", "read")`:           {astPred("right", String("file1"), String("read"))},
			`right("file1", "read");`:          {astPred("right", String("file1"), String("read"))},
			"  f( 1 ,\n[2] ) // trailing":      {astPred("f", Integer(1), Array{Integer(2)})},
			"é:x_1(null)":                      {astPred("é:x_1", Null{})},
			"null(true)":                       {astPred("null", Bool(true))},
			"check(1)":                         {astPred("check", Integer(1))},
			"f(2019-12-04T09:46:41+00:00, {})": {astPred("f", astDate(2019, 12, 4, 9, 46, 41), Map{})},
		} {
			got, err := ParseFact(src, nil)
			if err != nil {
				t.Errorf("ParseFact(%q): %v", src, err)
				continue
			}
			if diff := cmp.Diff(want, got, astCmp...); diff != "" {
				t.Errorf("ParseFact(%q) mismatch (-want +got):\n%s", src, diff)
			}
		}
	})
	t.Run("rule", func(t *testing.T) {
		for src, want := range map[string]Rule{
			`right($0, "read") <- resource($0), owner($1, $0)`: {
				Head: astPred("right", Variable("0"), String("read")),
				Body: Body{Predicates: []Predicate{
					astPred("resource", Variable("0")), astPred("owner", Variable("1"), Variable("0")),
				}},
			},
			// Expressions and predicates may interleave; the AST keeps each
			// kind in order.
			"valid($d) <- $d > 0, time($d), $d < 9, ok(true)": {
				Head: astPred("valid", Variable("d")),
				Body: Body{
					Predicates: []Predicate{astPred("time", Variable("d")), astPred("ok", Bool(true))},
					Expressions: []Expression{
						astExpr(opVar("d"), opInt(0), opBin(OpGreaterThan)),
						astExpr(opVar("d"), opInt(9), opBin(OpLessThan)),
					},
				},
			},
			"ok(1) <- true": {
				Head: astPred("ok", Integer(1)),
				Body: Body{Expressions: []Expression{astExpr(opBool(true))}},
			},
			"a($x) <- b($x) trusting authority, previous, ed25519/" + ed25519Hex + ", secp256r1/" + secp256r1Hex: {
				Head: astPred("a", Variable("x")),
				Body: Body{
					Predicates: []Predicate{astPred("b", Variable("x"))},
					Scopes: []Scope{
						{Kind: ScopeAuthority}, {Kind: ScopePrevious},
						{Kind: ScopePublicKey, PublicKey: edKey}, {Kind: ScopePublicKey, PublicKey: p256Key},
					},
				},
			},
			// A predicate may be named like a keyword.
			"trusting($x) <- or($x), allow($x), check($x)": {
				Head: astPred("trusting", Variable("x")),
				Body: Body{Predicates: []Predicate{
					astPred("or", Variable("x")), astPred("allow", Variable("x")), astPred("check", Variable("x")),
				}},
			},
		} {
			got, err := ParseRule(src, nil)
			if err != nil {
				t.Errorf("ParseRule(%q): %v", src, err)
				continue
			}
			if diff := cmp.Diff(want, got, astCmp...); diff != "" {
				t.Errorf("ParseRule(%q) mismatch (-want +got):\n%s", src, diff)
			}
		}
	})
	t.Run("check", func(t *testing.T) {
		for src, want := range map[string]Check{
			`check if operation("read")`: {Kind: CheckIf, Queries: []Body{
				{Predicates: []Predicate{astPred("operation", String("read"))}},
			}},
			"check all f($x), $x > 0": {Kind: CheckAll, Queries: []Body{{
				Predicates:  []Predicate{astPred("f", Variable("x"))},
				Expressions: []Expression{astExpr(opVar("x"), opInt(0), opBin(OpGreaterThan))},
			}}},
			"reject if f(1)": {Kind: RejectIf, Queries: []Body{
				{Predicates: []Predicate{astPred("f", Integer(1))}},
			}},
			"check if f(1) or g(2) trusting previous or h($x), $x": {Kind: CheckIf, Queries: []Body{
				{Predicates: []Predicate{astPred("f", Integer(1))}},
				{Predicates: []Predicate{astPred("g", Integer(2))}, Scopes: []Scope{{Kind: ScopePrevious}}},
				{Predicates: []Predicate{astPred("h", Variable("x"))}, Expressions: []Expression{astExpr(opVar("x"))}},
			}},
			"check if true trusting ed25519/" + ed25519Hex: {Kind: CheckIf, Queries: []Body{{
				Expressions: []Expression{astExpr(opBool(true))},
				Scopes:      []Scope{{Kind: ScopePublicKey, PublicKey: edKey}},
			}}},
			"check if\n  resource($0),\n  operation(\"read\") // restrict\n  or resource(\"file2\")": {Kind: CheckIf, Queries: []Body{
				{Predicates: []Predicate{astPred("resource", Variable("0")), astPred("operation", String("read"))}},
				{Predicates: []Predicate{astPred("resource", String("file2"))}},
			}},
			// A parenthesised expression after or starts a new query.
			"check if f(1) or (true)": {Kind: CheckIf, Queries: []Body{
				{Predicates: []Predicate{astPred("f", Integer(1))}},
				{Expressions: []Expression{astExpr(opBool(true), opUn(OpParens))}},
			}},
		} {
			got, err := ParseCheck(src, nil)
			if err != nil {
				t.Errorf("ParseCheck(%q): %v", src, err)
				continue
			}
			if diff := cmp.Diff(want, got, astCmp...); diff != "" {
				t.Errorf("ParseCheck(%q) mismatch (-want +got):\n%s", src, diff)
			}
		}
	})
	t.Run("policy", func(t *testing.T) {
		for src, want := range map[string]Policy{
			"allow if true": {Kind: Allow, Queries: []Body{{Expressions: []Expression{astExpr(opBool(true))}}}},
			"deny if f($x), $x == 1 or g(2) trusting secp256r1/" + secp256r1Hex + ";": {Kind: Deny, Queries: []Body{
				{
					Predicates:  []Predicate{astPred("f", Variable("x"))},
					Expressions: []Expression{astExpr(opVar("x"), opInt(1), opBin(OpLenientEqual))},
				},
				{Predicates: []Predicate{astPred("g", Integer(2))}, Scopes: []Scope{{Kind: ScopePublicKey, PublicKey: p256Key}}},
			}},
		} {
			got, err := ParsePolicy(src, nil)
			if err != nil {
				t.Errorf("ParsePolicy(%q): %v", src, err)
				continue
			}
			if diff := cmp.Diff(want, got, astCmp...); diff != "" {
				t.Errorf("ParsePolicy(%q) mismatch (-want +got):\n%s", src, diff)
			}
		}
	})
}

func TestParseProgram(t *testing.T) {
	edKey := astKey(Ed25519, ed25519Hex)
	block := `trusting previous, ed25519/` + ed25519Hex + `;
// A line comment.
right("file1", "read"); /* a block
comment */ right("file1", "write");
check if resource($r), right($r, "read") trusting authority;
can($r) <- right($r, $op), $op.starts_with("r");
reject if resource("admin") or operation("delete");
check all right($r, $op), $op != "write"
`
	want := &Program{
		Scopes: []Scope{{Kind: ScopePrevious}, {Kind: ScopePublicKey, PublicKey: edKey}},
		Facts: []Fact{
			{astPred("right", String("file1"), String("read"))},
			{astPred("right", String("file1"), String("write"))},
		},
		Rules: []Rule{{
			Head: astPred("can", Variable("r")),
			Body: Body{
				Predicates:  []Predicate{astPred("right", Variable("r"), Variable("op"))},
				Expressions: []Expression{astExpr(opVar("op"), opStr("r"), opBin(OpPrefix))},
			},
		}},
		Checks: []Check{
			{Kind: CheckIf, Queries: []Body{{
				Predicates: []Predicate{astPred("resource", Variable("r")), astPred("right", Variable("r"), String("read"))},
				Scopes:     []Scope{{Kind: ScopeAuthority}},
			}}},
			{Kind: RejectIf, Queries: []Body{
				{Predicates: []Predicate{astPred("resource", String("admin"))}},
				{Predicates: []Predicate{astPred("operation", String("delete"))}},
			}},
			{Kind: CheckAll, Queries: []Body{{
				Predicates:  []Predicate{astPred("right", Variable("r"), Variable("op"))},
				Expressions: []Expression{astExpr(opVar("op"), opStr("write"), opBin(OpLenientNotEqual))},
			}}},
		},
	}
	got, err := ParseBlock(block, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, astCmp...); diff != "" {
		t.Errorf("ParseBlock mismatch (-want +got):\n%s", diff)
	}

	authorizer := `
resource("file1");
time(2020-01-01T00:00:00Z);
allow if resource($r), $r.starts_with("file") trusting previous;
check if time($t), $t < 2030-01-01T00:00:00Z;
deny if true;
is_file($r) <- resource($r);
`
	want = &Program{
		Facts: []Fact{
			{astPred("resource", String("file1"))},
			{astPred("time", astDate(2020, 1, 1, 0, 0, 0))},
		},
		Rules: []Rule{{
			Head: astPred("is_file", Variable("r")),
			Body: Body{Predicates: []Predicate{astPred("resource", Variable("r"))}},
		}},
		Checks: []Check{{Kind: CheckIf, Queries: []Body{{
			Predicates:  []Predicate{astPred("time", Variable("t"))},
			Expressions: []Expression{astExpr(opVar("t"), opVal(astDate(2030, 1, 1, 0, 0, 0)), opBin(OpLessThan))},
		}}}},
		Policies: []Policy{
			{Kind: Allow, Queries: []Body{{
				Predicates:  []Predicate{astPred("resource", Variable("r"))},
				Expressions: []Expression{astExpr(opVar("r"), opStr("file"), opBin(OpPrefix))},
				Scopes:      []Scope{{Kind: ScopePrevious}},
			}}},
			{Kind: Deny, Queries: []Body{{Expressions: []Expression{astExpr(opBool(true))}}}},
		},
	}
	got, err = ParseAuthorizer(authorizer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, astCmp...); diff != "" {
		t.Errorf("ParseAuthorizer mismatch (-want +got):\n%s", diff)
	}

	// A fact or a rule named trusting may come first; it is no clause.
	got, err = ParseBlock("trusting(1); trusting($x) <- f($x);", nil)
	if err != nil {
		t.Fatal(err)
	}
	want = &Program{
		Facts: []Fact{{astPred("trusting", Integer(1))}},
		Rules: []Rule{{Head: astPred("trusting", Variable("x")), Body: Body{Predicates: []Predicate{astPred("f", Variable("x"))}}}},
	}
	if diff := cmp.Diff(want, got, astCmp...); diff != "" {
		t.Errorf("ParseBlock mismatch (-want +got):\n%s", diff)
	}

	for _, src := range []string{"", "  \n\t", "// only a comment", "/* only a comment */"} {
		for _, parse := range []func(string, *ParseOptions) (*Program, error){ParseBlock, ParseAuthorizer} {
			got, err := parse(src, nil)
			if err != nil {
				t.Errorf("parsing %q: %v", src, err)
				continue
			}
			if diff := cmp.Diff(&Program{}, got, astCmp...); diff != "" {
				t.Errorf("parsing %q: want an empty program, got %s", src, diff)
			}
		}
	}
}

func TestParseParams(t *testing.T) {
	edKey := astKey(Ed25519, ed25519Hex)
	p256Key := astKey(Secp256r1, secp256r1Hex)
	params := Params{
		"int":   Integer(-7),
		"str":   String("s"),
		"date":  Date(0),
		"bytes": Bytes{1, 2},
		"bool":  Bool(true),
		"nul":   Null{},
		"set":   Set{Integer(1), Integer(2)},
		"array": Array{Integer(1), Array{String("x")}},
		"map":   Map{{String("k"), Integer(1)}},
		"key":   String("k2"),
		"ed":    edKey,
		"p256":  p256Key,
	}
	src := `
f({int}, {str}, {date}, {bytes}, {bool}, {nul}, {set}, {array}, {map});
g([{int}, {str}], { {key}: {map} }, { {str}, "t" });
check if f($i), $i == {int}, {set}.contains($i) trusting {ed}, {p256};
allow if {bool} trusting {ed};
`
	want := &Program{
		Facts: []Fact{
			{astPred("f", Integer(-7), String("s"), Date(0), Bytes{1, 2}, Bool(true), Null{},
				Set{Integer(1), Integer(2)}, Array{Integer(1), Array{String("x")}}, Map{{String("k"), Integer(1)}})},
			{astPred("g",
				Array{Integer(-7), String("s")},
				Map{{String("k2"), Map{{String("k"), Integer(1)}}}},
				Set{String("s"), String("t")})},
		},
		Checks: []Check{{Kind: CheckIf, Queries: []Body{{
			Predicates: []Predicate{astPred("f", Variable("i"))},
			Expressions: []Expression{
				astExpr(opVar("i"), opInt(-7), opBin(OpLenientEqual)),
				astExpr(opVal(Set{Integer(1), Integer(2)}), opVar("i"), opBin(OpContains)),
			},
			Scopes: []Scope{{Kind: ScopePublicKey, PublicKey: edKey}, {Kind: ScopePublicKey, PublicKey: p256Key}},
		}}}},
		Policies: []Policy{{Kind: Allow, Queries: []Body{{
			Expressions: []Expression{astExpr(opBool(true))},
			Scopes:      []Scope{{Kind: ScopePublicKey, PublicKey: edKey}},
		}}}},
	}
	got, err := ParseAuthorizer(src, &ParseOptions{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, astCmp...); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}

	// Block-level scopes take key parameters too.
	prog, err := ParseBlock("trusting {ed}, authority; f(1);", &ParseOptions{Params: Params{"ed": edKey}})
	if err != nil {
		t.Fatal(err)
	}
	wantScopes := []Scope{{Kind: ScopePublicKey, PublicKey: edKey}, {Kind: ScopeAuthority}}
	if diff := cmp.Diff(wantScopes, prog.Scopes, astCmp...); diff != "" {
		t.Errorf("block scopes mismatch (-want +got):\n%s", diff)
	}

	// The single-statement parsers bind parameters too.
	fact, err := ParseFact("f({p})", &ParseOptions{Params: Params{"p": String("v")}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Fact{astPred("f", String("v"))}, fact, astCmp...); diff != "" {
		t.Errorf("ParseFact mismatch (-want +got):\n%s", diff)
	}
	term, err := ParseTerm("[{p}]", &ParseOptions{Params: Params{"p": Integer(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Term(Array{Integer(1)}), term, astCmp...); diff != "" {
		t.Errorf("ParseTerm mismatch (-want +got):\n%s", diff)
	}
}

// TestParsePositions checks that rules, checks and policies carry the
// line and column of their first token, counted in characters.
func TestParsePositions(t *testing.T) {
	src := "f(1);\n" +
		"// a comment\n" +
		"\tr($x) <- f($x);\n" +
		"g(\"é\"); check if r(1)\n" +
		"  or r(2);\n" +
		"\n" +
		"  check all r($x), $x > 0; reject if r(3);\n" +
		"allow if r(1);\n" +
		"   deny if true;\n"
	prog, err := ParseAuthorizer(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range prog.Rules {
		got = append(got, "rule "+r.Pos.String())
	}
	for _, c := range prog.Checks {
		got = append(got, "check "+c.Pos.String())
	}
	for _, p := range prog.Policies {
		got = append(got, "policy "+p.Pos.String())
	}
	want := []string{"rule 3:2", "check 4:9", "check 7:3", "check 7:28", "policy 8:1", "policy 9:4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(prog.authorizerString(), ":") {
		t.Errorf("printed program holds a position:\n%s", prog.authorizerString())
	}

	c, err := ParseCheck("\n  check if true", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pos != (Pos{Line: 2, Column: 3}) {
		t.Errorf("ParseCheck position = %v, want 2:3", c.Pos)
	}
	if p := (Pos{}); p.IsValid() || p.String() != "-" {
		t.Errorf("zero Pos: IsValid() = %v, String() = %q; want false, \"-\"", p.IsValid(), p.String())
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// parseErrorTests are bad sources; testdata/errors.txt holds the exact
// error text of each, in this order. Regenerate it with
//
//	go test ./datalog -run TestParseErrors -update
var parseErrorTests = []struct {
	name string
	mode string // block (the default), authorizer, fact, rule, check, policy or term
	src  string
	opts *ParseOptions // nil: Filename test.datalog, no parameters, default limits
}{
	// Lexical errors.
	{name: "unterminated string", src: `f("abc);`},
	{name: "unterminated string eats the rest", src: "f(\"abc);\ng(1);\n"},
	{name: "unknown escape", src: `f("a\qb");`},
	{name: "invalid UTF-8", src: "f(\xff);"},
	{name: "invalid UTF-8 in a string", src: "f(\"a\xffb\");"},
	{name: "unterminated comment", src: "f(1);\n/* no end"},
	{name: "unexpected character", src: "f(1) @;"},
	{name: "lone dollar", src: "r($) <- f(1);"},

	// Values.
	{name: "integer overflow", src: "f(9223372036854775808);"},
	{name: "negative integer overflow", src: "f(-9223372036854775809);"},
	{name: "integer overflow in an expression", src: "check if 9223372036854775808 > 0;"},
	{name: "invalid date", src: "f(2020-02-30T00:00:00Z);"},
	{name: "invalid time of day", src: "f(2020-01-01T24:00:00Z);"},
	{name: "date offset hour out of range", src: "f(2020-01-01T00:00:00+24:00);"},
	{name: "date offset minute out of range", src: "f(2020-01-01T00:00:00-22:60);"},
	{name: "date before 1970", src: "f(1969-12-31T23:59:59Z);"},
	{name: "date before 1970 by its offset", src: "f(1970-01-01T00:00:00+00:01);"},
	{name: "date after 9999 by its offset", src: "f(9999-12-31T23:59:59-00:01);"},
	{name: "bad hex", src: "f(hex:0g);"},
	{name: "odd hex", src: "f(hex:abc);"},
	{name: "set of mixed types", src: `f({1, "a"});`},
	{name: "set in a set", src: "f({{,}});"},
	{name: "map key of another type", src: "f({true: 1});"},
	{name: "map missing a colon", src: `f({"a": 1, "b"});`},
	{name: "variable in a set", src: "r($x) <- f({$x});"},
	{name: "variable in an array", src: "r($x) <- f([$x]);"},
	{name: "minus before a space", src: "f(- 1);"},
	{name: "not a term", src: "f(abc);"},

	// Statements.
	{name: "variable in a fact", src: `right("file1", $op);`},
	{name: "fact without terms in a block", src: "f();"},
	{name: "rule head without terms in a block", src: "right(\"a\");\nf() <- right($x);"},
	{name: "rule missing its arrow", src: "f($x) g($x);"},
	{name: "missing semicolon", src: "f(1)\ng(2);"},
	{name: "missing closing parenthesis", src: "f(1, 2;"},
	{name: "empty statement", src: "f(1);;"},
	{name: "unsafe rule head variable", src: "h($x, $y) <- f($y);"},
	{name: "unsafe expression variable", src: "h($y) <- f($y), $x > 1;"},
	{name: "unsafe variable in a check", src: "check if f($y), $z == $y;"},
	{name: "unsafe closure", src: "check if f($y), [1].all($p -> $p == $q);"},
	{name: "closure parameter used outside", src: "check if f($y), [1].all($p -> true), $p;"},
	{name: "check without a body", src: "check if;"},
	{name: "check keyword alone", src: "check f(1);"},
	{name: "policies in a block", src: "f(1);\nallow if true;\ndeny if false;"},
	{name: "block-level trusting in an authorizer", mode: "authorizer", src: "trusting authority;\nf(1);"},
	{name: "block-level trusting after a statement", src: "f(1);\ntrusting authority;"},
	{name: "unknown scope", src: "check if true trusting everyone;"},
	{name: "short ed25519 key", src: "check if true trusting ed25519/00;"},
	{name: "long secp256r1 key", src: "check if true trusting secp256r1/" + secp256r1Hex + "00;"},
	{name: "odd public key", src: "check if true trusting ed25519/abc;"},
	{name: "public key without hex", src: "check if true trusting ed25519/;"},

	// Expressions.
	{name: "chained comparisons", src: "check if 1 < 2 < 3;"},
	{name: "chained equalities", src: "check if 1 == 1 == true;"},
	{name: "unknown method", src: `check if "a".frobnicate();`},
	{name: "unknown method without arguments", src: `check if "a".size();`},
	{name: "method with two arguments", src: `check if "a".contains("b", "c");`},
	{name: "unary method with an argument", src: `check if "a".length(1);`},
	{name: "extern with two arguments", src: "check if 1.extern::f(2, 3);"},
	{name: "extern without a name", src: "check if 1.extern::();"},
	{name: "closure without a parameter", src: "check if [1].all(true);"},
	{name: "closure without an arrow", src: "check if [1].all($p $p);"},
	{name: "predicate in an expression", src: "check if 1 + f(1);"},
	{name: "missing operand", src: "check if 1 + ;"},
	{name: "unbalanced parentheses", src: "check if (1 + 2;"},
	{name: "method name missing", src: "check if $x.(1), f($x);"},

	// Parameters.
	{name: "unbound parameter", src: "f({p});"},
	{name: "unused parameter", src: "f(1);", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Integer(1), "q": Integer(2)}}},
	{name: "public key where a term is expected", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": astKey(Ed25519, ed25519Hex)}}},
	{name: "term where a public key is expected", src: "check if true trusting {p};", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": String("key")}}},
	{name: "nil parameter", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": nil}}},
	{name: "variable parameter", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Variable("x")}}},
	{name: "set in a set parameter", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Set{Set{}}}}},
	{name: "set parameter of mixed types", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Set{Integer(1), String("a")}}}},
	{name: "date parameter past year 9999", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Array{Date(253402300800)}}}},
	{name: "string parameter not UTF-8", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Map{{String("k"), String("\xff")}}}}},
	{name: "short key parameter", src: "check if true trusting {p};", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": PublicKey{Algorithm: Ed25519, Key: []byte{1}}}}},
	{name: "key parameter of no algorithm", src: "check if true trusting {p};", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": PublicKey{Algorithm: 7, Key: make([]byte, 32)}}}},
	{name: "parameter set in a set", src: "f({ {p} });", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Set{}}}},

	// Several errors, and the limits.
	{name: "several errors", src: "f(;\ng($x);\nh(1)\ni(1);\ncheck if 1 < 2 < 3;\nallow if true;\nj(\"\\q\");"},
	{name: "error limit", src: "a(;\nb(;\nc(;\nd(;\ne(;", opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxParseErrors: 3}}},
	{name: "nesting beyond MaxDepth", src: "check if " + strings.Repeat("(", 65) + "1" + strings.Repeat(")", 65) + ";"},
	{name: "nested arrays beyond MaxDepth", src: "f([[[[1]]]]);", opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxDepth: 3}}},
	{name: "nested maps beyond MaxDepth", src: `f({"a": {"b": {"c": {}}}});`, opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxDepth: 3}}},
	{name: "nested negations beyond MaxDepth", src: "check if !!!!true;", opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxDepth: 3}}},
	{name: "nested method calls beyond MaxDepth", src: "check if 1.contains(1.contains(1.contains(1)));", opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxDepth: 2}}},
	{name: "nested closures beyond MaxDepth", src: "check if [1].all($a -> [1].all($b -> [1].all($c -> true)));", opts: &ParseOptions{Filename: "test.datalog", Limits: Limits{MaxDepth: 2}}},
	{name: "parameter nested beyond MaxDepth", src: "f({p});", opts: &ParseOptions{Filename: "test.datalog", Params: Params{"p": Array{Array{Array{Array{}}}}}, Limits: Limits{MaxDepth: 2}}},
	{name: "source larger than MaxSourceBytes", src: "f(123456789);", opts: &ParseOptions{Limits: Limits{MaxSourceBytes: 12}}},

	// Positions: lines, columns in characters, tabs kept under the caret,
	// no file name.
	{name: "column counts characters", src: `f("été", "ü", $x);`, opts: &ParseOptions{}},
	{name: "tabs line up", src: "f(1);\n\t\tf(\t$x);", opts: &ParseOptions{}},
	{name: "error at the end of input", src: "f(1", opts: &ParseOptions{}},
	{name: "CRLF line ends", src: "f(1);\r\ng($x);\r\n", opts: &ParseOptions{}},

	// The single-statement parsers.
	{name: "fact with a variable", mode: "fact", src: "f($x)"},
	{name: "fact with a variable in an array", mode: "fact", src: "f(1, [$x])"},
	{name: "fact without terms", mode: "fact", src: "f()"},
	{name: "fact then more", mode: "fact", src: "f(1); g(2)"},
	{name: "rule without body", mode: "rule", src: "f(1) <-"},
	{name: "rule head without terms", mode: "rule", src: "f() <- g($x)"},
	{name: "not a check", mode: "check", src: "allow if true"},
	{name: "not a policy", mode: "policy", src: "check if true"},
	{name: "variable term", mode: "term", src: "$x"},
	{name: "term then more", mode: "term", src: "1 2"},
}

func parseMode(mode, src string, opts *ParseOptions) error {
	var err error
	switch mode {
	case "", "block":
		_, err = ParseBlock(src, opts)
	case "authorizer":
		_, err = ParseAuthorizer(src, opts)
	case "fact":
		_, err = ParseFact(src, opts)
	case "rule":
		_, err = ParseRule(src, opts)
	case "check":
		_, err = ParseCheck(src, opts)
	case "policy":
		_, err = ParsePolicy(src, opts)
	case "term":
		_, err = ParseTerm(src, opts)
	default:
		panic("unknown mode " + mode)
	}
	return err
}

const errorsGolden = "testdata/errors.txt"

const errorsGoldenHeader = `# The expected errors of TestParseErrors, one section per case of
# parseErrorTests, in its order. Regenerate with
#	go test ./datalog -run TestParseErrors -update
`

func TestParseErrors(t *testing.T) {
	var got []goldenSection
	for _, tc := range parseErrorTests {
		opts := tc.opts
		if opts == nil {
			opts = &ParseOptions{Filename: "test.datalog"}
		}
		err := parseMode(tc.mode, tc.src, opts)
		if err == nil {
			t.Errorf("%s: parsed without error", tc.name)
			continue
		}
		got = append(got, goldenSection{tc.name, err.Error()})

		var limitErr *LimitError
		if errors.As(err, &limitErr) {
			if !errors.Is(err, ErrLimit) {
				t.Errorf("%s: %v is a *LimitError but not ErrLimit", tc.name, err)
			}
			continue
		}
		var pe *ParseError
		if !errors.Is(err, ErrSyntax) || !errors.As(err, &pe) {
			t.Errorf("%s: %v (%T) is not ErrSyntax and a *ParseError", tc.name, err, err)
		}
		list, ok := err.(ParseErrors)
		if !ok {
			t.Errorf("%s: error is a %T, not ParseErrors", tc.name, err)
			continue
		}
		max := opts.Limits.WithDefaults().MaxParseErrors
		if len(list) == 0 || len(list) > max {
			t.Errorf("%s: %d errors, want 1 to %d", tc.name, len(list), max)
		}
		for _, e := range list {
			if e.Line < 1 || e.Col < 1 || e.Filename != opts.Filename {
				t.Errorf("%s: error %q at %s:%d:%d", tc.name, e.Msg, e.Filename, e.Line, e.Col)
			}
		}
	}

	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(errorsGolden, formatGolden(errorsGoldenHeader, got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(errorsGolden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	want := parseGolden(data)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(goldenSection{})); diff != "" {
		t.Errorf("errors differ from %s (-want +got), run with -update if the change is right:\n%s", errorsGolden, diff)
	}
}

// goldenSection is one case of a golden file: a "-- name --" line, then
// the text up to the next such line.
type goldenSection struct {
	name string
	text string
}

func formatGolden(header string, sections []goldenSection) []byte {
	var b strings.Builder
	b.WriteString(header)
	for _, s := range sections {
		b.WriteString("-- " + s.name + " --\n")
		b.WriteString(s.text)
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func parseGolden(data []byte) []goldenSection {
	var sections []goldenSection
	var text []string
	flush := func() {
		if len(sections) > 0 {
			sections[len(sections)-1].text = strings.Join(text, "\n")
		}
		text = nil
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, line := range lines {
		if name, ok := strings.CutPrefix(line, "-- "); ok && strings.HasSuffix(name, " --") {
			flush()
			sections = append(sections, goldenSection{name: strings.TrimSuffix(name, " --")})
			continue
		}
		if len(sections) > 0 {
			text = append(text, line)
		}
	}
	flush()
	return sections
}

// TestParseHostileInput parses inputs built to exhaust the parser: deep
// nesting, huge lines, floods of errors. Each must end promptly, with an
// error or (for the long but valid ones) a program that prints; how long
// parsing, printing and formatting the error take is logged, not asserted.
func TestParseHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 20 MiB")
	}
	const deep = 100000
	const mib = 1 << 20
	nestedArray := Term(Array{})
	for range deep {
		nestedArray = Array{nestedArray}
	}
	manyParams := Params{}
	for i := range deep {
		manyParams[fmt.Sprintf("p%d", i)] = Integer(i)
	}
	tests := []struct {
		name string
		src  string
		opts *ParseOptions
		want error // ErrSyntax, ErrLimit, or nil for a valid program
	}{
		{name: "nested parentheses", src: "check if " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + ";", want: ErrSyntax},
		{name: "unclosed parentheses", src: "check if " + strings.Repeat("(", deep), want: ErrSyntax},
		{name: "nested arrays", src: "f(" + strings.Repeat("[", deep) + "1" + strings.Repeat("]", deep) + ");", want: ErrSyntax},
		{name: "nested sets", src: "f(" + strings.Repeat("{", deep) + "1" + strings.Repeat("}", deep) + ");", want: ErrSyntax},
		{name: "nested maps", src: "f(" + strings.Repeat(`{"a": `, deep) + "1" + strings.Repeat("}", deep) + ");", want: ErrSyntax},
		{name: "negations", src: "check if " + strings.Repeat("!", deep) + "true;", want: ErrSyntax},
		{name: "nested closures", src: "check if " + strings.Repeat("[1].all($x -> ", deep/10) + "true" + strings.Repeat(")", deep/10) + ";", want: ErrSyntax},
		{name: "nested method arguments", src: "check if " + strings.Repeat("1.contains(", deep/2) + "1" + strings.Repeat(")", deep/2) + ";", want: ErrSyntax},
		{name: "nested parameter", src: "f({p});", opts: &ParseOptions{Params: Params{"p": nestedArray}}, want: ErrSyntax},
		{name: "long method chain", src: `check if "a"` + strings.Repeat(".length()", deep) + ";", want: nil},
		{name: "long sum", src: "check if " + strings.Repeat("1 + ", mib/4-100) + "1 == 1;", want: nil},
		{name: "long disjunction", src: "check if " + strings.Repeat("false || ", mib/9-100) + "true;", want: nil},
		{name: "long conjunction of predicates", src: "check if " + strings.Repeat("f($x), ", mib/7-100) + "true;", want: nil},
		{name: "many facts", src: strings.Repeat("f(1);", mib/5), want: nil},
		{name: "1 MiB string", src: `f("` + strings.Repeat("a", mib-6) + `");`, want: nil},
		{name: "1 MiB line without semicolons", src: strings.Repeat("f(1) ", mib/5), want: ErrSyntax},
		{name: "1 MiB unterminated string", src: `f("` + strings.Repeat("a", mib-3), want: ErrSyntax},
		{name: "1 MiB name", src: strings.Repeat("a", mib), want: ErrSyntax},
		{name: "1 MiB of invalid UTF-8", src: strings.Repeat("\xff", mib), want: ErrSyntax},
		{name: "1 MiB of unknown escapes", src: strings.Repeat(`"\q`, mib/3), want: ErrSyntax},
		{name: "1 MiB unterminated comment", src: "/*" + strings.Repeat("*", mib-2), want: ErrSyntax},
		{name: "100k errors on lines", src: strings.Repeat("f(;\n", deep), want: ErrSyntax},
		{name: "100k errors on one line", src: strings.Repeat("f(;", deep), want: ErrSyntax},
		{name: "100k unsafe rules", src: strings.Repeat("r($x) <- f($y);\n", mib/16), want: ErrSyntax},
		{name: "100k unused parameters", src: "f(1);", opts: &ParseOptions{Params: manyParams}, want: ErrSyntax},
		{name: "one byte too many", src: strings.Repeat(" ", mib+1), want: ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			prog, err := ParseAuthorizer(tc.src, tc.opts)
			parsed := time.Since(start)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("%.200v", err)
				}
				start = time.Now()
				text := prog.String()
				t.Logf("%d bytes: parsed in %v, printed in %v", len(tc.src), parsed, time.Since(start))
				if len(text) == 0 {
					t.Error("printed nothing")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %.200v, want %v", err, tc.want)
			}
			start = time.Now()
			msg := err.Error()
			t.Logf("%d bytes: failed in %v; formatted a %d-byte error in %v", len(tc.src), parsed, len(msg), time.Since(start))
		})
	}
}

// BenchmarkParseLarge parses an authorizer of about 1 MiB: facts, rules,
// checks and policies.
func BenchmarkParseLarge(b *testing.B) {
	stmt := `right("/files/report.pdf", "read", 2030-01-01T00:00:00Z);
can($f, $op) <- right($f, $op, $t), time($now), $now < $t, {"read", "write"}.contains($op);
check if resource($f), operation($op), can($f, $op) or admin(true) trusting authority;
allow if user($u), $u.starts_with("svc-") && $u.length() < 32;
`
	src := strings.Repeat(stmt, (1<<20)/len(stmt))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorizer(src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseErrorFlood parses 100k bad statements: the parse stops at
// Limits.MaxParseErrors.
func BenchmarkParseErrorFlood(b *testing.B) {
	src := strings.Repeat("f(;\n", 100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorizer(src, nil); err == nil {
			b.Fatal("parsed")
		}
	}
}

// TestReferenceGrammar holds three readings the differential test against
// the reference found Codios getting wrong: "<-" inside an expression is
// '<' then '-', a byte string has at least one byte, and a predicate at
// least one term.
func TestReferenceGrammar(t *testing.T) {
	c, err := ParseCheck(`check if 1<-9`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "check if 1 < -9" {
		t.Errorf("1<-9 reads %q, want 1 < -9", got)
	}
	for _, src := range []string{`b(hex:);`, `check if f();`, `check if g(1), f();`, `r(1) <- f();`} {
		if _, err := ParseBlock(src, nil); err == nil {
			t.Errorf("%s parsed", src)
		}
	}
}
