package datalog

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPrintTerm(t *testing.T) {
	tests := []struct {
		term Term
		want string
	}{
		{Integer(0), "0"},
		{Integer(math.MinInt64), "-9223372036854775808"},
		{Integer(math.MaxInt64), "9223372036854775807"},
		{String(""), `""`},
		{String(`a"b\c`), `"a\"b\\c"`},
		// Only the quote and the backslash are escaped, as the reference does.
		{String("line\nbreak\ttab"), "\"line\nbreak\ttab\""},
		{String("été"), `"été"`},
		{Date(0), "1970-01-01T00:00:00Z"},
		{Date(1575452801), "2019-12-04T09:46:41Z"},
		{Date(253402300799), "9999-12-31T23:59:59Z"},
		// Past year 9999 RFC 3339 has no form; the reference prints this.
		{Date(253402300800), "<invalid date>"},
		{Date(math.MaxUint64), "<invalid date>"},
		{Bytes{}, "hex:"},
		{Bytes{0xde, 0xad, 0x00}, "hex:dead00"},
		{Bool(true), "true"},
		{Bool(false), "false"},
		{Null{}, "null"},
		{Set{}, "{,}"},
		{Set{Integer(1), Integer(2)}, "{1, 2}"},
		{Set{String("a")}, `{"a"}`},
		{Array{}, "[]"},
		{Array{Integer(1), String("a"), Array{Null{}}, Set{}, Map{}}, `[1, "a", [null], {,}, {}]`},
		{Map{}, "{}"},
		{Map{{Integer(1), String("a")}, {String("k"), Array{}}}, `{1: "a", "k": []}`},
		{Variable("x"), "$x"},
		{Array{nil}, "[<nil>]"},
	}
	for _, tc := range tests {
		if got := termString(tc.term); got != tc.want {
			t.Errorf("%#v printed %q, want %q", tc.term, got, tc.want)
		}
	}
}

func TestPrintExpression(t *testing.T) {
	tests := []struct {
		ops  []Op
		want string
	}{
		{[]Op{opInt(1), opInt(2), opBin(OpAdd), opUn(OpParens), opInt(3), opBin(OpMul)}, "(1 + 2) * 3"},
		// Without an OpParens opcode there are no parentheses, even where the
		// text then reads otherwise: opcodes are printed, not re-derived.
		{[]Op{opInt(1), opInt(2), opBin(OpAdd), opInt(3), opBin(OpMul)}, "1 + 2 * 3"},
		{[]Op{opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyAnd)}, "true && false"},
		{[]Op{opBool(true), opClosure(nil, opBool(false)), opBin(OpLazyOr)}, "true || false"},
		{[]Op{opBool(true), opBool(false), opBin(OpEagerAnd)}, "true &&! false"},
		{[]Op{opBool(true), opBool(false), opBin(OpEagerOr)}, "true ||! false"},
		{[]Op{opVar("a"), opClosure([]string{"p"}, opVar("p")), opBin(OpAll)}, "$a.all($p -> $p)"},
		{[]Op{opVar("a"), opClosure([]string{"p", "q"}, opVar("p")), opBin(OpAny)}, "$a.any($p, $q -> $p)"},
		{[]Op{opClosure(nil, opVar("a"), opUn(OpLength)), opInt(0), opBin(OpTryOr)}, "$a.length().try_or(0)"},
		{[]Op{opVar("a"), opUn(OpTypeOf), opUn(OpNegate)}, "!$a.type()"},
		{[]Op{opInt(2), Unary{Op: OpUnaryExtern, Extern: "f"}}, "2.extern::f()"},
		{[]Op{opInt(2), opInt(3), Binary{Op: OpBinaryExtern, Extern: "g"}}, "2.extern::g(3)"},
		{[]Op{opStr("a"), opStr("b"), opBin(OpPrefix), opStr("c"), opBin(OpSuffix)}, `"a".starts_with("b").ends_with("c")`},

		// Malformed opcodes, as a decoded token may carry them.
		{nil, "<invalid expression>"},
		{[]Op{opBin(OpAdd)}, "<invalid expression>"},
		{[]Op{opInt(1), opBin(OpAdd)}, "<invalid expression>"},
		{[]Op{opUn(OpNegate)}, "<invalid expression>"},
		{[]Op{opInt(1), opInt(2)}, "<invalid expression>"},
		{[]Op{Value{}}, "<invalid expression>"},
		{[]Op{nil}, "<invalid expression>"},
		{[]Op{opClosure(nil)}, "<invalid expression>"},
		{[]Op{opInt(1), Unary{Op: 99}}, "<invalid unary>"},
		{[]Op{opInt(1), opInt(2), Binary{Op: 99}}, "<invalid binary>"},
	}
	for _, tc := range tests {
		if got := (Expression{Ops: tc.ops}).String(); got != tc.want {
			t.Errorf("%v printed %q, want %q", tc.ops, got, tc.want)
		}
	}

	// Closures nested past maxPrintDepth do not print.
	ops := []Op{opBool(true)}
	for range maxPrintDepth + 1 {
		ops = []Op{opClosure(nil, ops...)}
	}
	if got := (Expression{Ops: ops}).String(); got != "<invalid expression>" {
		t.Errorf("deep closures printed %.40q..., want <invalid expression>", got)
	}
}

func TestPrintProgram(t *testing.T) {
	prog, err := ParseAuthorizer(`
		allow if true;
		check if f(1);
		r($x) <- f($x);
		f(1);
		deny if false;
		f(2);
	`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Facts, rules, checks, policies: each group in source order.
	want := "f(1);\nf(2);\nr($x) <- f($x);\ncheck if f(1);\nallow if true;\ndeny if false;\n"
	if got := prog.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	want = "f(1);\nf(2);\n\nr($x) <- f($x);\n\ncheck if f(1);\n\nallow if true;\ndeny if false;\n"
	if got := prog.authorizerString(); got != want {
		t.Errorf("authorizerString() =\n%s\nwant\n%s", got, want)
	}

	prog, err = ParseBlock("trusting authority, previous; check if true;", nil)
	if err != nil {
		t.Fatal(err)
	}
	want = "trusting authority, previous;\ncheck if true;\n"
	if got := prog.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}

	if got := (&Program{}).String(); got != "" {
		t.Errorf("empty program printed %q", got)
	}
	if got := (&Program{}).authorizerString(); got != "" {
		t.Errorf("empty authorizer printed %q", got)
	}
}

// roundTripSources are blocks whose canonical form differs from the source
// in every way the printer normalises: spacing, comments, order of
// statements, escapes, date offsets, hex case, set order and duplicates,
// map order and repeated keys.
var roundTripSources = []string{
	"",
	"f(1);",
	"f(1)",
	"  f( 1 ,2 ) ;g(3);\n\n// comment\n/* comment */ h(4);",
	`f("a\"b\\c\nd\te\rf");`,
	`f("été 🎉", "", "{p}", "$x", "//", "/*");`,
	"f(2019-12-04T10:46:41+01:00, 2019-12-04t09:46:41.5z, 1970-01-01T00:00:00Z, 9999-12-31T23:59:59Z);",
	"f(9999-12-31T23:59:59+01:00, 1970-01-01T00:59:59+00:59);",
	"f(hex:DEADbeef, hex:00);",
	`f({3, 1, 2, 1}, {"b", "a"}, {,}, {}, {hex:02, hex:01});`,
	`f({"b": 1, "a": 2, 3: 4, "a": 5}, {"m": {"n": [1, {}]}});`,
	"f([[[[0]]]], [], [1, [2, [3]]]);",
	"f({true, true}, {null, null}, {hex:01, hex:01}, {false}, {hex:00});",
	"f(-9223372036854775808, 9223372036854775807, -0, 007);",
	"f(true, false, null);",
	"trusting previous, ed25519/" + ed25519Hex + ", secp256r1/" + secp256r1Hex + "; f(1);",
	"r($x) <- f($x) trusting authority, previous;",
	"check if f(1) or g(2) trusting ed25519/" + ed25519Hex + " or h($x), $x > 0;",
	"check all f($x), $x > 0; reject if g(1);",
	"check if f(1) or (true);",
	"h($y) <- $y > 0, f($y), $y < 10, g($y);",
	"r($x) <- f($x); check if r(1); f(1); r2($x) <- r($x);",
	"trusting($x) <- or($x), allow($x); check(1); null(1); true(1);",
	"f(1); trusting(2);",
	"check if [1].all($p -> [2].any($q -> $p < $q) && $p > 0);",
	"check if 1 + 2 * 3 == 7 && (1 + 2) * 3 == 9 || !false;",
	"check if !1 + 2 == 3;",
	"check if 1 --2 == 3, 1-2 == -1, 1 -2 == -1;",
	"check if -1.type() == \"integer\";",
	"check if $x.extern::f() && $x.extern::g(1 + 2), v($x);",
	"check if (1 / 0).try_or(0) == 0, [1].get(2).try_or(3).type() == \"integer\";",
}

// authorizerRoundTripSources add what only an authorizer has: policies.
var authorizerRoundTripSources = []string{
	"allow if true; deny if false; check if f(1); f(1); r($x) <- f($x);",
	"deny if f($x), $x == 1 or g(2) trusting previous; allow if h(1) trusting secp256r1/" + secp256r1Hex + ";",
}

// TestRoundTrip checks that the canonical form is a fixed point: printing a
// parsed program and parsing the text again gives the same program, which
// prints the same text.
func TestRoundTrip(t *testing.T) {
	check := func(t *testing.T, src string, authorizer bool) {
		t.Helper()
		parse := ParseBlock
		if authorizer {
			parse = ParseAuthorizer
		}
		prog, err := parse(src, nil)
		if err != nil {
			t.Fatalf("parsing %q: %v", src, err)
		}
		printers := []func(*Program) string{(*Program).String}
		if authorizer {
			printers = append(printers, (*Program).authorizerString)
		}
		for _, printer := range printers {
			text := printer(prog)
			again, err := parse(text, nil)
			if err != nil {
				t.Fatalf("%q printed\n%s\nwhich does not parse: %v", src, text, err)
			}
			if diff := cmp.Diff(prog, again, astCmp...); diff != "" {
				t.Errorf("%q printed\n%s\nwhich parses differently (-first +second):\n%s", src, text, diff)
			}
			if text2 := printer(again); text2 != text {
				t.Errorf("%q printed\n%s\nthen\n%s", src, text, text2)
			}
		}
	}
	for _, src := range roundTripSources {
		check(t, src, false)
		if !strings.HasPrefix(src, "trusting ") {
			check(t, src, true)
		}
	}
	for _, src := range authorizerRoundTripSources {
		check(t, src, true)
	}
	for _, tc := range parseTermTests {
		check(t, "f("+tc.src+");", false)
	}
	for _, tc := range parseExpressionTests {
		check(t, "check if v($a, $b, $c), "+tc.src+";", false)
	}
	for _, tc := range parseExpressionTests {
		// As the operand of every operator level, to exercise the
		// parentheses the printer must keep.
		check(t, "check if v($a, $b, $c), !("+tc.src+") || ("+tc.src+").type() == \"bool\";", false)
	}
}

// TestRoundTripSamples parses every block and authorizer of the samples,
// prints it and parses it again.
func TestRoundTripSamples(t *testing.T) {
	f := loadSamples(t)
	for _, tc := range f.TestCases {
		for _, b := range tc.Token {
			prog, err := ParseBlock(b.Code, nil)
			if err != nil {
				continue // TestPrintSamples covers the one unsafe sample
			}
			again, err := ParseBlock(prog.String(), nil)
			if err != nil {
				t.Errorf("%s: printed block does not parse: %v", tc.Filename, err)
				continue
			}
			if diff := cmp.Diff(prog, again, astCmp...); diff != "" {
				t.Errorf("%s: printed block parses differently (-first +second):\n%s", tc.Filename, diff)
			}
		}
		for name, v := range tc.Validations {
			prog, err := ParseAuthorizer(v.AuthorizerCode, nil)
			if err != nil {
				t.Errorf("%s %q: %v", tc.Filename, name, err)
				continue
			}
			again, err := ParseAuthorizer(prog.String(), nil)
			if err != nil {
				t.Errorf("%s %q: printed authorizer does not parse: %v", tc.Filename, name, err)
				continue
			}
			if diff := cmp.Diff(prog, again, astCmp...); diff != "" {
				t.Errorf("%s %q: printed authorizer parses differently (-first +second):\n%s", tc.Filename, name, diff)
			}
		}
	}
}

// TestPrintParams checks that values bound to parameters print as the
// source would spell them, so that the printed program parses back.
func TestPrintParams(t *testing.T) {
	prog, err := ParseBlock("f({a}, {b}, {c}); check if true trusting {k};", &ParseOptions{Params: Params{
		"a": Integer(1),
		"b": Array{String("x"), Bytes{1}},
		"c": Map{{String("k"), Set{Integer(1)}}},
		"k": astKey(Ed25519, ed25519Hex),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := `f(1, ["x", hex:01], {"k": {1}});
check if true trusting ed25519/` + ed25519Hex + ";\n"
	if got := prog.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	if _, err := ParseBlock(prog.String(), nil); err != nil {
		t.Errorf("printed program does not parse: %v", err)
	}

	// Sets and maps given out of order, or with repeats, are put in
	// canonical order, as they would be read from source text.
	prog, err = ParseBlock("f({s}, {m}, [{s}]);", &ParseOptions{Params: Params{
		"s": Set{Integer(3), Integer(1), Integer(3)},
		"m": Map{{String("b"), Set{String("y"), String("x")}}, {Integer(1), Null{}}, {String("b"), Integer(2)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want = "f({1, 3}, {1: null, \"b\": 2}, [{1, 3}]);\n"
	if got := prog.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	again, err := ParseBlock(prog.String(), nil)
	if err != nil {
		t.Fatalf("printed program does not parse: %v", err)
	}
	if diff := cmp.Diff(prog, again, astCmp...); diff != "" {
		t.Errorf("printed program parses differently (-first +second):\n%s", diff)
	}
}

// TestPrintLong prints long flat expressions: the printer's time must grow
// linearly with their length. It is logged, not asserted.
func TestPrintLong(t *testing.T) {
	const n = 20000
	for name, src := range map[string]string{
		"sum":     "check if " + strings.Repeat("1 + ", n) + "1 == 0;",
		"or":      "check if " + strings.Repeat("false || ", n) + "true;",
		"methods": `check if "a"` + strings.Repeat(".length()", n) + ` == 1;`,
	} {
		prog, err := ParseBlock(src, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		start := time.Now()
		got := prog.String()
		t.Logf("%s: printed %d bytes in %v", name, len(got), time.Since(start))
		if got != src+"\n" {
			t.Errorf("%s: printed %d bytes, want %d", name, len(got), len(src)+1)
		}
	}

	// Decoded opcodes may nest as deep as they are long: 1 + (1 + (...)),
	// with no OpParens opcode.
	ops := make([]Op, 0, 2*n+1)
	for range n + 1 {
		ops = append(ops, opInt(1))
	}
	for range n {
		ops = append(ops, opBin(OpAdd))
	}
	start := time.Now()
	got := (Expression{Ops: ops}).String()
	t.Logf("right-deep sum: printed %d bytes in %v", len(got), time.Since(start))
	if want := strings.Repeat("1 + ", n) + "1"; got != want {
		t.Errorf("right-deep sum: printed %d bytes, want %d", len(got), len(want))
	}
}
