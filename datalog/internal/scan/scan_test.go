package scan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tok is the part of a token that the table checks: kind, text, and where
// it starts as line:col.
type tok struct {
	Kind Kind
	Text string
	Line int
	Col  int
}

func kinds(src string) []tok {
	var out []tok
	for _, t := range Scan(src, len(src)+1) {
		text := t.Text
		if t.Kind == Illegal {
			text = t.Err
		}
		out = append(out, tok{t.Kind, text, t.Pos.Line, t.Pos.Col})
	}
	return out
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []tok
	}{
		{"empty", "", []tok{{EOF, "", 1, 1}}},
		{"space only", " \t\r\n ", []tok{{EOF, "", 2, 2}}},
		{"fact", `right("file1", 12);`, []tok{
			{Ident, "right", 1, 1}, {LParen, "(", 1, 6}, {String, "file1", 1, 7}, {Comma, ",", 1, 14},
			{Int, "12", 1, 16}, {RParen, ")", 1, 18}, {Semicolon, ";", 1, 19}, {EOF, "", 1, 20},
		}},
		{"names with digits, underscores and colons", "a_b:c9 é::x", []tok{
			{Ident, "a_b:c9", 1, 1}, {Ident, "é::x", 1, 8}, {EOF, "", 1, 12},
		}},
		{"variables", "$x $0 $a:b_c $é", []tok{
			{Variable, "x", 1, 1}, {Variable, "0", 1, 4}, {Variable, "a:b_c", 1, 7}, {Variable, "é", 1, 14}, {EOF, "", 1, 16},
		}},
		{"parameters", "{p} {p_1:x} {é}", []tok{
			{Parameter, "p", 1, 1}, {Parameter, "p_1:x", 1, 5}, {Parameter, "é", 1, 13}, {EOF, "", 1, 16},
		}},
		{"braces that are not parameters", "{1} {,} {} { p} {p }", []tok{
			{LBrace, "{", 1, 1}, {Int, "1", 1, 2}, {RBrace, "}", 1, 3},
			{LBrace, "{", 1, 5}, {Comma, ",", 1, 6}, {RBrace, "}", 1, 7},
			{LBrace, "{", 1, 9}, {RBrace, "}", 1, 10},
			{LBrace, "{", 1, 12}, {Ident, "p", 1, 14}, {RBrace, "}", 1, 15},
			{LBrace, "{", 1, 17}, {Ident, "p", 1, 18}, {RBrace, "}", 1, 20},
			{EOF, "", 1, 21},
		}},
		{"braces around a value are not parameters", "{true} {null} {hex:01} {hex:} {false} {trueish}", []tok{
			{LBrace, "{", 1, 1}, {Ident, "true", 1, 2}, {RBrace, "}", 1, 6},
			{LBrace, "{", 1, 8}, {Ident, "null", 1, 9}, {RBrace, "}", 1, 13},
			{LBrace, "{", 1, 15}, {Ident, "hex:01", 1, 16}, {RBrace, "}", 1, 22},
			{LBrace, "{", 1, 24}, {Ident, "hex:", 1, 25}, {RBrace, "}", 1, 29},
			{LBrace, "{", 1, 31}, {Ident, "false", 1, 32}, {RBrace, "}", 1, 37},
			{Parameter, "trueish", 1, 39},
			{EOF, "", 1, 48},
		}},
		{"strings and escapes", `"" "a\"b" "c\\d" "e\nf" "g\th" "i\rj" "été"`, []tok{
			{String, "", 1, 1}, {String, `a"b`, 1, 4}, {String, `c\d`, 1, 11}, {String, "e\nf", 1, 18},
			{String, "g\th", 1, 25}, {String, "i\rj", 1, 32}, {String, "été", 1, 39}, {EOF, "", 1, 44},
		}},
		{"raw newline in a string", "\"a\nb\" c", []tok{
			{String, "a\nb", 1, 1}, {Ident, "c", 2, 4}, {EOF, "", 2, 5},
		}},
		{"integers", "0 42 9223372036854775808", []tok{
			{Int, "0", 1, 1}, {Int, "42", 1, 3}, {Int, "9223372036854775808", 1, 6}, {EOF, "", 1, 25},
		}},
		{"minus is its own token", "-1 - 2", []tok{
			{Minus, "-", 1, 1}, {Int, "1", 1, 2}, {Minus, "-", 1, 4}, {Int, "2", 1, 6}, {EOF, "", 1, 7},
		}},
		{"dates", "2019-12-04T09:46:41Z 2019-12-04t09:46:41.5+01:00 1985-04-12T23:20:50.52-08:00 2019-12-04T09:46:41z", []tok{
			{Date, "2019-12-04T09:46:41Z", 1, 1},
			{Date, "2019-12-04t09:46:41.5+01:00", 1, 22},
			{Date, "1985-04-12T23:20:50.52-08:00", 1, 50},
			{Date, "2019-12-04T09:46:41z", 1, 79},
			{EOF, "", 1, 99},
		}},
		{"not quite a date", "2019-12-04T09:46:41 2019-12-04", []tok{
			{Int, "2019", 1, 1}, {Minus, "-", 1, 5}, {Int, "12", 1, 6}, {Minus, "-", 1, 8}, {Int, "04", 1, 9},
			{Ident, "T09:46:41", 1, 11},
			{Int, "2019", 1, 21}, {Minus, "-", 1, 25}, {Int, "12", 1, 26}, {Minus, "-", 1, 28}, {Int, "04", 1, 29},
			{EOF, "", 1, 31},
		}},
		{"bytes are names", "hex:00ff hex:", []tok{
			{Ident, "hex:00ff", 1, 1}, {Ident, "hex:", 1, 10}, {EOF, "", 1, 14},
		}},
		{"public keys", "ed25519/0aB1 secp256r1/ff ed25519", []tok{
			{PublicKey, "ed25519/0aB1", 1, 1}, {PublicKey, "secp256r1/ff", 1, 14}, {Ident, "ed25519", 1, 27}, {EOF, "", 1, 34},
		}},
		{"every operator", "( ) [ ] { } , ; : . <- -> < > <= >= === !== == != && || & | ^ + - * / !", []tok{
			{LParen, "(", 1, 1}, {RParen, ")", 1, 3}, {LBracket, "[", 1, 5}, {RBracket, "]", 1, 7},
			{LBrace, "{", 1, 9}, {RBrace, "}", 1, 11}, {Comma, ",", 1, 13}, {Semicolon, ";", 1, 15},
			{Colon, ":", 1, 17}, {Dot, ".", 1, 19}, {LeftArrow, "<-", 1, 21}, {RightArrow, "->", 1, 24},
			{Lt, "<", 1, 27}, {Gt, ">", 1, 29}, {Le, "<=", 1, 31}, {Ge, ">=", 1, 34},
			{StrictEq, "===", 1, 37}, {StrictNotEq, "!==", 1, 41}, {Eq, "==", 1, 45}, {NotEq, "!=", 1, 48},
			{LazyAnd, "&&", 1, 51}, {LazyOr, "||", 1, 54}, {BitAnd, "&", 1, 57}, {BitOr, "|", 1, 59},
			{BitXor, "^", 1, 61}, {Plus, "+", 1, 63}, {Minus, "-", 1, 65}, {Star, "*", 1, 67},
			{Slash, "/", 1, 69}, {Bang, "!", 1, 71}, {EOF, "", 1, 72},
		}},
		{"operators without spaces", "$a<=-1&&!$b", []tok{
			{Variable, "a", 1, 1}, {Le, "<=", 1, 3}, {Minus, "-", 1, 5}, {Int, "1", 1, 6},
			{LazyAnd, "&&", 1, 7}, {Bang, "!", 1, 9}, {Variable, "b", 1, 10}, {EOF, "", 1, 12},
		}},
		{"methods", `$s.starts_with("a").extern::f()`, []tok{
			{Variable, "s", 1, 1}, {Dot, ".", 1, 3}, {Ident, "starts_with", 1, 4}, {LParen, "(", 1, 15},
			{String, "a", 1, 16}, {RParen, ")", 1, 19}, {Dot, ".", 1, 20}, {Ident, "extern::f", 1, 21},
			{LParen, "(", 1, 30}, {RParen, ")", 1, 31}, {EOF, "", 1, 32},
		}},
		{"comments", "a // line $x \"\n/* block\n * ; */ b /**/c//", []tok{
			{Ident, "a", 1, 1}, {Ident, "b", 3, 9}, {Ident, "c", 3, 15}, {EOF, "", 3, 18},
		}},
		{"lines and columns count characters", "ééé\n\tx\r\n  y", []tok{
			{Ident, "ééé", 1, 1}, {Ident, "x", 2, 2}, {Ident, "y", 3, 3}, {EOF, "", 3, 4},
		}},

		// Errors are Illegal tokens; scanning goes on after them.
		{"unterminated string", `a "bc`, []tok{
			{Ident, "a", 1, 1}, {Illegal, "unterminated string", 1, 3}, {EOF, "", 1, 6},
		}},
		{"unterminated string ending in a backslash", `"bc\`, []tok{
			{Illegal, "unterminated string", 1, 1}, {EOF, "", 1, 5},
		}},
		{"unknown escape", `"a\qb" c`, []tok{
			{Illegal, `unknown escape \q in string`, 1, 3}, {Ident, "c", 1, 8}, {EOF, "", 1, 9},
		}},
		{"unknown escape, then an escaped quote", `"\q\"" c`, []tok{
			{Illegal, `unknown escape \q in string`, 1, 2}, {Ident, "c", 1, 8}, {EOF, "", 1, 9},
		}},
		{"invalid UTF-8 in a string", "\"a\xffb\" c", []tok{
			{Illegal, "invalid UTF-8 in string", 1, 3}, {Ident, "c", 1, 7}, {EOF, "", 1, 8},
		}},
		{"invalid UTF-8", "a \xff\xfe b", []tok{
			{Ident, "a", 1, 1}, {Illegal, "invalid UTF-8", 1, 3}, {Illegal, "invalid UTF-8", 1, 4},
			{Ident, "b", 1, 6}, {EOF, "", 1, 7},
		}},
		{"lone dollar", "$ x", []tok{
			{Illegal, "expected a variable name after '$'", 1, 1}, {Ident, "x", 1, 3}, {EOF, "", 1, 4},
		}},
		{"public key without hex", "ed25519/ x", []tok{
			{Illegal, "expected the key in hex after ed25519/", 1, 1}, {Ident, "x", 1, 10}, {EOF, "", 1, 11},
		}},
		{"unexpected character", "a @ b # ~", []tok{
			{Ident, "a", 1, 1}, {Illegal, `unexpected character '@'`, 1, 3}, {Ident, "b", 1, 5},
			{Illegal, `unexpected character '#'`, 1, 7}, {Illegal, `unexpected character '~'`, 1, 9}, {EOF, "", 1, 10},
		}},
		{"unterminated comment", "a /* b", []tok{
			{Ident, "a", 1, 1}, {Illegal, "unterminated comment", 1, 3}, {EOF, "", 1, 7},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, kinds(tc.src)); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

func TestScanPositions(t *testing.T) {
	src := "a(\"é\")\n  $b"
	got := Scan(src, 100)
	want := []Token{
		{Kind: Ident, Text: "a", Pos: Pos{0, 1, 1}, End: Pos{1, 1, 2}},
		{Kind: LParen, Text: "(", Pos: Pos{1, 1, 2}, End: Pos{2, 1, 3}},
		{Kind: String, Text: "é", Pos: Pos{2, 1, 3}, End: Pos{6, 1, 6}},
		{Kind: RParen, Text: ")", Pos: Pos{6, 1, 6}, End: Pos{7, 1, 7}},
		{Kind: Variable, Text: "b", Pos: Pos{10, 2, 3}, End: Pos{12, 2, 5}, SpaceBefore: true},
		{Kind: EOF, Pos: Pos{12, 2, 5}, End: Pos{12, 2, 5}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestScanSpaceBefore(t *testing.T) {
	var got []bool
	for _, tk := range Scan("a b/**/c//\nd-1 - 1", 100) {
		got = append(got, tk.SpaceBefore)
	}
	want := []bool{false, true, true, true, false, false, true, true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SpaceBefore mismatch (-want +got):\n%s", diff)
	}
}

func TestScanMaxTokens(t *testing.T) {
	toks := Scan("a b c d e", 3)
	if len(toks) != 5 {
		t.Fatalf("got %d tokens, want 3, an Illegal one and EOF: %v", len(toks), toks)
	}
	if tk := toks[3]; tk.Kind != Illegal || tk.Err != "more than 3 tokens" || tk.Pos.Col != 6 {
		t.Errorf("token 3 = %+v, want Illegal 'more than 3 tokens' at column 6", tk)
	}
	if toks[4].Kind != EOF {
		t.Errorf("last token = %v, want EOF", toks[4].Kind)
	}
}

func TestKindString(t *testing.T) {
	for k := EOF; k <= Bang; k++ {
		if s := k.String(); strings.HasPrefix(s, "Kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if s := Kind(200).String(); s != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", s)
	}
}

// TestScanLinear scans 256 KiB inputs of every shape that loops over bytes;
// each must take time linear in its size. The time is logged, not asserted.
func TestScanLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 3 MiB")
	}
	const n = 1 << 18
	for name, src := range map[string]string{
		"identifier":           strings.Repeat("a", n),
		"string":               `"` + strings.Repeat("a", n),
		"escapes":              `"` + strings.Repeat(`\"`, n/2),
		"comment":              "/*" + strings.Repeat("*", n),
		"line comments":        strings.Repeat("//\n", n/3),
		"unclosed braces":      strings.Repeat("{a", n/2),
		"digits":               strings.Repeat("1", n),
		"dates":                strings.Repeat("2019-12-04T09:46:4", n/18),
		"invalid UTF-8":        strings.Repeat("\xff", n),
		"public key":           "ed25519/" + strings.Repeat("a", n),
		"operators":            strings.Repeat("!==", n/3),
		"multi-byte names":     strings.Repeat("é", n/2),
		"unterminated strings": strings.Repeat(`"\q`, n/3),
	} {
		start := time.Now()
		toks := Scan(src, len(src)+1)
		t.Logf("%s: %d bytes, %d tokens in %v", name, len(src), len(toks), time.Since(start))
		if toks[len(toks)-1].Kind != EOF {
			t.Errorf("%s: no EOF", name)
		}
	}
}

// TestScanner reads tokens one at a time: the same as Scan, then EOF for
// ever.
func TestScanner(t *testing.T) {
	src := "check if f($x), $x < 2019-12-04T09:46:41Z; \xff \"\\q\" /*"
	want := Scan(src, len(src)+1)
	s := New(src)
	var got []Token
	for range len(want) + 3 {
		got = append(got, s.Next())
	}
	eof := want[len(want)-1]
	want = append(want, eof, eof, eof)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-Scan +Next):\n%s", diff)
	}
}

// FuzzString holds the scanning of a string without escapes, which takes
// its text from the source, to the rune-by-rune scanning of any string.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"é"`, "\"a\nb\" x", `"unterminated`, "\"\xff\"", `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if !strings.HasPrefix(src, `"`) {
			src = `"` + src
		}
		start := Pos{Line: 1, Col: 1}
		fast := &scanner{src: src, pos: start}
		slow := &scanner{src: src, pos: start}
		got, want := fast.string(start), slow.escapedString(start)
		if got != want || fast.pos != slow.pos {
			t.Fatalf("%q: got %+v at %+v, want %+v at %+v", src, got, fast.pos, want, slow.pos)
		}
	})
}
