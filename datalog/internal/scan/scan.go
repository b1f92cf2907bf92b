// Package scan splits Datalog source text into tokens. It knows the lexical
// shapes of the language (names, variables, strings, numbers, dates, public
// keys, operators) and nothing of its grammar.
package scan

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of a token.
type Kind uint8

const (
	EOF Kind = iota
	Illegal
	Ident     // name, keyword, method name, hex:bytes
	Variable  // $name (Text without the $)
	Parameter // {name} (Text without the braces)
	String    // "..." (Text unescaped)
	Int       // digits (Text as written, without sign)
	Date      // RFC 3339 (Text as written)
	PublicKey // ed25519/hex or secp256r1/hex (Text as written)
	LParen
	RParen
	LBracket
	RBracket
	LBrace
	RBrace
	Comma
	Semicolon
	Colon
	Dot
	LeftArrow  // <-
	RightArrow // ->
	Lt
	Gt
	Le
	Ge
	StrictEq    // ===
	StrictNotEq // !==
	Eq          // ==
	NotEq       // !=
	LazyAnd     // &&
	LazyOr      // ||
	BitAnd
	BitOr
	BitXor
	Plus
	Minus
	Star
	Slash
	Bang
)

var kindNames = map[Kind]string{
	EOF: "end of input", Illegal: "illegal character", Ident: "name", Variable: "variable",
	Parameter: "parameter", String: "string", Int: "integer", Date: "date", PublicKey: "public key",
	LParen: "'('", RParen: "')'", LBracket: "'['", RBracket: "']'", LBrace: "'{'", RBrace: "'}'",
	Comma: "','", Semicolon: "';'", Colon: "':'", Dot: "'.'", LeftArrow: "'<-'", RightArrow: "'->'",
	Lt: "'<'", Gt: "'>'", Le: "'<='", Ge: "'>='", StrictEq: "'==='", StrictNotEq: "'!=='",
	Eq: "'=='", NotEq: "'!='", LazyAnd: "'&&'", LazyOr: "'||'", BitAnd: "'&'", BitOr: "'|'",
	BitXor: "'^'", Plus: "'+'", Minus: "'-'", Star: "'*'", Slash: "'/'", Bang: "'!'",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Pos is a place in the source: a byte offset, and a line and a column
// counted in characters, both from 1.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Token is one lexical unit. End is the position just after it.
type Token struct {
	Kind Kind
	Text string
	Pos  Pos
	End  Pos
	// SpaceBefore is true when white space or a comment precedes the token.
	SpaceBefore bool
	// Err explains an Illegal token.
	Err string
}

// Scanner reads the tokens of a source one at a time, so that a parser that
// stops early, at its error limit, never scans the rest of a huge input.
type Scanner struct{ s scanner }

// New returns a Scanner at the start of src.
func New(src string) *Scanner {
	return &Scanner{scanner{src: src, pos: Pos{Line: 1, Col: 1}}}
}

// Next returns the next token. A lexical error is an Illegal token with its
// explanation; at the end of src, Next returns EOF, again and again.
func (s *Scanner) Next() Token { return s.s.next() }

// Scan returns the tokens of src, ending with one EOF token. A lexical error
// becomes an Illegal token with its explanation; scanning goes on after it.
// At most maxTokens tokens are returned (the last one then an Illegal token
// saying so), so that a huge input costs a bounded amount of memory.
func Scan(src string, maxTokens int) []Token {
	s := scanner{src: src, pos: Pos{Line: 1, Col: 1}}
	var toks []Token
	for {
		if len(toks) >= maxTokens {
			t := Token{Kind: Illegal, Pos: s.pos, End: s.pos, Err: fmt.Sprintf("more than %d tokens", maxTokens)}
			return append(toks, t, Token{Kind: EOF, Pos: s.pos, End: s.pos})
		}
		t := s.next()
		toks = append(toks, t)
		if t.Kind == EOF {
			return toks
		}
	}
}

type scanner struct {
	src string
	pos Pos
}

func (s *scanner) peek(n int) byte {
	if s.pos.Offset+n < len(s.src) {
		return s.src[s.pos.Offset+n]
	}
	return 0
}

// advance moves over n bytes, counting lines and characters.
func (s *scanner) advance(n int) {
	end := s.pos.Offset + n
	for s.pos.Offset < end {
		r, size := utf8.DecodeRuneInString(s.src[s.pos.Offset:])
		s.pos.Offset += size
		if r == '\n' {
			s.pos.Line++
			s.pos.Col = 1
		} else {
			s.pos.Col++
		}
	}
}

// skipSpace skips white space and comments. It returns whether it skipped
// anything, and an error for an unterminated block comment.
func (s *scanner) skipSpace() (bool, *Token) {
	skipped := false
	for s.pos.Offset < len(s.src) {
		c := s.src[s.pos.Offset]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			s.advance(1)
		case c == '/' && s.peek(1) == '/':
			i := strings.IndexByte(s.src[s.pos.Offset:], '\n')
			if i < 0 {
				i = len(s.src) - s.pos.Offset
			}
			s.advance(i)
		case c == '/' && s.peek(1) == '*':
			start := s.pos
			i := strings.Index(s.src[s.pos.Offset+2:], "*/")
			if i < 0 {
				s.advance(len(s.src) - s.pos.Offset)
				return true, &Token{Kind: Illegal, Pos: start, End: s.pos, Err: "unterminated comment"}
			}
			s.advance(i + 4)
		default:
			return skipped, nil
		}
		skipped = true
	}
	return skipped, nil
}

func (s *scanner) next() Token {
	space, bad := s.skipSpace()
	if bad != nil {
		bad.SpaceBefore = space
		return *bad
	}
	t := s.token()
	t.SpaceBefore = space
	return t
}

type operator struct {
	text string
	kind Kind
}

// operators, longest first.
var operators = []operator{
	{"===", StrictEq}, {"!==", StrictNotEq},
	{"<-", LeftArrow}, {"->", RightArrow}, {"<=", Le}, {">=", Ge}, {"==", Eq}, {"!=", NotEq},
	{"&&", LazyAnd}, {"||", LazyOr},
	{"(", LParen}, {")", RParen}, {"[", LBracket}, {"]", RBracket}, {"{", LBrace}, {"}", RBrace},
	{",", Comma}, {";", Semicolon}, {":", Colon}, {".", Dot}, {"<", Lt}, {">", Gt},
	{"&", BitAnd}, {"|", BitOr}, {"^", BitXor}, {"+", Plus}, {"-", Minus}, {"*", Star},
	{"/", Slash}, {"!", Bang},
}

// operatorsByByte lists the operators by their first byte, longest first,
// so that a token is matched against the few that can start it.
var operatorsByByte = func() (t [256][]operator) {
	for _, op := range operators {
		t[op.text[0]] = append(t[op.text[0]], op)
	}
	return t
}()

func (s *scanner) token() Token {
	start := s.pos
	if start.Offset >= len(s.src) {
		return Token{Kind: EOF, Pos: start, End: start}
	}
	rest := s.src[start.Offset:]
	r, size := utf8.DecodeRuneInString(rest)
	switch {
	case r == utf8.RuneError && size == 1:
		s.advance(1)
		return s.illegal(start, "invalid UTF-8")
	case r == '"':
		return s.string(start)
	case r == '$':
		n := nameLen(rest[1:])
		if n == 0 {
			s.advance(1)
			return s.illegal(start, "expected a variable name after '$'")
		}
		s.advance(1 + n)
		return s.tok(Variable, start, rest[1:1+n])
	case r == '{':
		// {name} with nothing between is a parameter; anything else opens
		// a set or a map. A name that is a value, {true} or {hex:01}, is
		// the set of that value: the printer writes such sets so.
		if n := nameLen(rest[1:]); n > 0 && isLetter(rest[1:]) && len(rest) > 1+n && rest[1+n] == '}' && !isValueName(rest[1:1+n]) {
			s.advance(n + 2)
			return s.tok(Parameter, start, rest[1:1+n])
		}
	case r >= '0' && r <= '9':
		return s.number(start, rest)
	case isNameStart(r):
		n := nameLen(rest)
		name := rest[:n]
		if (name == "ed25519" || name == "secp256r1") && len(rest) > n && rest[n] == '/' {
			h := hexLen(rest[n+1:])
			s.advance(n + 1 + h)
			if h == 0 {
				return s.illegal(start, "expected the key in hex after "+name+"/")
			}
			return s.tok(PublicKey, start, rest[:n+1+h])
		}
		s.advance(n)
		return s.tok(Ident, start, name)
	}
	for _, op := range operatorsByByte[rest[0]] {
		if strings.HasPrefix(rest, op.text) {
			s.advance(len(op.text))
			return s.tok(op.kind, start, op.text)
		}
	}
	s.advance(size)
	return s.illegal(start, fmt.Sprintf("unexpected character %q", r))
}

func (s *scanner) tok(k Kind, start Pos, text string) Token {
	return Token{Kind: k, Text: text, Pos: start, End: s.pos}
}

func (s *scanner) illegal(start Pos, msg string) Token {
	return Token{Kind: Illegal, Pos: start, End: s.pos, Err: msg}
}

func (s *scanner) string(start Pos) Token {
	// Most strings hold no escape: their text is a part of the source, as
	// a name's is.
	body := s.src[start.Offset+1:]
	if end := strings.IndexAny(body, "\\\""); end >= 0 && body[end] == '"' && utf8.ValidString(body[:end]) {
		s.advance(end + 2)
		return s.tok(String, start, body[:end])
	}
	return s.escapedString(start)
}

// escapedString scans a string rune by rune, unescaping.
func (s *scanner) escapedString(start Pos) Token {
	var b strings.Builder
	i := start.Offset + 1
	for i < len(s.src) {
		c := s.src[i]
		switch c {
		case '"':
			s.advance(i + 1 - start.Offset)
			return s.tok(String, start, b.String())
		case '\\':
			if i+1 >= len(s.src) {
				i++
				continue
			}
			switch s.src[i+1] {
			case '"':
				b.WriteByte('"')
			case '\\':
				b.WriteByte('\\')
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				s.advance(i - start.Offset)
				bad := s.pos
				s.advance(2)
				s.skipString()
				return Token{Kind: Illegal, Pos: bad, End: s.pos, Err: fmt.Sprintf("unknown escape \\%c in string", s.src[i+1])}
			}
			i += 2
		default:
			r, size := utf8.DecodeRuneInString(s.src[i:])
			if r == utf8.RuneError && size == 1 {
				s.advance(i - start.Offset)
				bad := s.pos
				s.advance(1)
				s.skipString()
				return Token{Kind: Illegal, Pos: bad, End: s.pos, Err: "invalid UTF-8 in string"}
			}
			b.WriteString(s.src[i : i+size])
			i += size
		}
	}
	s.advance(len(s.src) - start.Offset)
	return s.illegal(start, "unterminated string")
}

// skipString moves past the rest of a string after an error inside it, so
// that scanning resumes after its closing quote.
func (s *scanner) skipString() {
	for s.pos.Offset < len(s.src) {
		c := s.src[s.pos.Offset]
		if c == '\\' && s.pos.Offset+1 < len(s.src) {
			s.advance(2)
			continue
		}
		s.advance(1)
		if c == '"' {
			return
		}
	}
}

// number scans an integer, or a date when the digits start an RFC 3339
// date-time.
func (s *scanner) number(start Pos, rest string) Token {
	if n := dateLen(rest); n > 0 {
		s.advance(n)
		return s.tok(Date, start, rest[:n])
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	s.advance(n)
	return s.tok(Int, start, rest[:n])
}

// dateLen returns the length of the RFC 3339 date-time at the start of s,
// or 0: YYYY-MM-DDTHH:MM:SS, optional fraction, then Z or ±HH:MM.
func dateLen(s string) int {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout) {
		return 0
	}
	for i := 0; i < len(layout); i++ {
		c := s[i]
		switch layout[i] {
		case 'd':
			if c < '0' || c > '9' {
				return 0
			}
		case 'T':
			if c != 'T' && c != 't' {
				return 0
			}
		default:
			if c != layout[i] {
				return 0
			}
		}
	}
	n := len(layout)
	if n < len(s) && s[n] == '.' {
		n++
		d := n
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == d {
			return 0
		}
	}
	if n < len(s) && (s[n] == 'Z' || s[n] == 'z') {
		return n + 1
	}
	const offset = "+dd:dd"
	if n+len(offset) > len(s) || (s[n] != '+' && s[n] != '-') {
		return 0
	}
	for i := 1; i < len(offset); i++ {
		c := s[n+i]
		if offset[i] == 'd' && (c < '0' || c > '9') || offset[i] == ':' && c != ':' {
			return 0
		}
	}
	return n + len(offset)
}

func isNameStart(r rune) bool { return unicode.IsLetter(r) || r == '_' }

// isValueName reports whether a name is a value rather than a name.
func isValueName(s string) bool {
	return s == "true" || s == "false" || s == "null" || strings.HasPrefix(s, "hex:")
}

func isLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// nameLen returns the length of the run of name characters at the start of
// s: letters, digits, '_' and ':'.
func nameLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == ':') || r == utf8.RuneError {
			break
		}
		n += size
	}
	return n
}

func hexLen(s string) int {
	n := 0
	for n < len(s) && isHex(s[n]) {
		n++
	}
	return n
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
