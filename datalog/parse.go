package datalog

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/codios/codios/datalog/internal/scan"
)

// Params binds the {name} parameters of a source: a ground [Term] for a
// parameter in a term, a [PublicKey] for one in a trusting clause. A value
// takes the place of its parameter as if written there: sets and maps are
// put in canonical order, and what source text could not spell (a set of
// mixed types, a date past year 9999) is an error. The names true, false,
// null and hex:.. are values, not parameters: {true} is a set.
type Params map[string]Param

// ParseOptions are the optional settings of a parse. A nil *ParseOptions
// means no file name, no parameters and the default limits.
type ParseOptions struct {
	// Filename names the source in errors.
	Filename string
	// Params binds the source's {name} parameters. A parameter of the
	// source missing here, or one here that the source does not use, is an
	// error.
	Params Params
	// Limits bounds the source size, nesting depth and error count.
	Limits Limits
}

// ParseBlock parses the source of a token block: an optional block-level
// "trusting ...;" clause, then facts, rules and checks. Policies are an
// error: they belong to the authorizer.
func ParseBlock(src string, opts *ParseOptions) (*Program, error) {
	return parseProgram(src, opts, false)
}

// ParseAuthorizer parses the source of an authorizer: facts, rules, checks
// and policies.
func ParseAuthorizer(src string, opts *ParseOptions) (*Program, error) {
	return parseProgram(src, opts, true)
}

// ParseFact parses one fact, with or without its final ';'.
func ParseFact(src string, opts *ParseOptions) (Fact, error) {
	var f Fact
	err := parseOne(src, opts, func(p *parser) {
		pred, vars := p.predicate(true)
		if len(vars) > 0 {
			p.failAt(vars[0].pos, "a fact has no variables")
		}
		f = Fact{pred}
	})
	return f, err
}

// ParseRule parses one rule.
func ParseRule(src string, opts *ParseOptions) (Rule, error) {
	var r Rule
	err := parseOne(src, opts, func(p *parser) {
		pos := p.tok().Pos
		head, headVars := p.predicate(true)
		p.expect(scan.LeftArrow)
		r = Rule{Head: head, Body: p.body(headVars), Pos: astPos(pos)}
	})
	return r, err
}

// ParseCheck parses one check: check if, check all or reject if.
func ParseCheck(src string, opts *ParseOptions) (Check, error) {
	var c Check
	err := parseOne(src, opts, func(p *parser) {
		if !p.atCheck() {
			p.fail("expected 'check if', 'check all' or 'reject if'")
		}
		c = p.check()
	})
	return c, err
}

// ParsePolicy parses one policy: allow if or deny if.
func ParsePolicy(src string, opts *ParseOptions) (Policy, error) {
	var pol Policy
	err := parseOne(src, opts, func(p *parser) {
		if !p.atPolicy() {
			p.fail("expected 'allow if' or 'deny if'")
		}
		pol = p.policy()
	})
	return pol, err
}

// ParseTerm parses one ground term: a value, not a variable.
func ParseTerm(src string, opts *ParseOptions) (Term, error) {
	var t Term
	err := parseOne(src, opts, func(p *parser) { t = p.term(false) })
	return t, err
}

type parser struct {
	src      string
	filename string
	limits   Limits
	params   Params
	used     map[string]bool
	errs     ParseErrors
	depth    int
	// unsafeRules skips the safety check, to read back the unsafe rules
	// that the samples carry on purpose.
	unsafeRules bool

	// closure parameters in scope while parsing an expression
	closureParams []string
	// variables an expression uses, outside its closures' parameters
	exprVars []varUse

	// The tokens are scanned as the parse goes, so that a parse that stops
	// at its error limit neither scans nor holds the rest of a large input.
	scanner *scan.Scanner
	cur     scan.Token // the current token
	prevEnd scan.Pos   // where the token before it ended
	ahead   scan.Token // the one after it, when peeked
	peeked  bool
}

type varUse struct {
	name string
	pos  scan.Pos
}

// bailout unwinds the parse of one statement after an error.
type bailout struct{}

// tooManyErrors unwinds the whole parse once the error limit is reached.
type tooManyErrors struct{}

func newParser(src string, opts *ParseOptions) (*parser, error) {
	if opts == nil {
		opts = &ParseOptions{}
	}
	p := &parser{src: src, filename: opts.Filename, limits: opts.Limits.WithDefaults(), params: opts.Params, used: map[string]bool{}}
	if len(src) > p.limits.MaxSourceBytes {
		return nil, &LimitError{Kind: LimitSourceBytes, Max: int64(p.limits.MaxSourceBytes)}
	}
	p.scanner = scan.New(src)
	p.cur = p.scanner.Next()
	return p, nil
}

func parseOne(src string, opts *ParseOptions, one func(p *parser)) error {
	p, err := newParser(src, opts)
	if err != nil {
		return err
	}
	p.run(func() {
		p.statement(one)
		// Outside the statement, an error must not unwind: record it.
		if t := p.tok(); t.Kind != scan.EOF {
			p.errorAt(t.Pos, fmt.Sprintf("unexpected %s after the end", p.describe()))
		}
	})
	return p.finish()
}

func parseProgram(src string, opts *ParseOptions, authorizer bool) (*Program, error) {
	p, err := newParser(src, opts)
	if err != nil {
		return nil, err
	}
	return p.program(authorizer)
}

func (p *parser) program(authorizer bool) (*Program, error) {
	prog := &Program{}
	p.run(func() {
		// trusting(...) is a fact or a rule head, not the clause.
		if p.isIdent("trusting") && p.peek().Kind != scan.LParen {
			p.statement(func(p *parser) {
				pos := p.tok().Pos
				p.next()
				scopes := p.scopeList()
				if authorizer {
					p.failAt(pos, "a block-level trusting clause is only allowed in a token block")
				}
				prog.Scopes = scopes
			})
		}
		for p.tok().Kind != scan.EOF {
			p.statement(func(p *parser) { p.element(prog, authorizer) })
		}
	})
	if err := p.finish(); err != nil {
		return nil, err
	}
	return prog, nil
}

// run calls parse, stopping quietly when the error limit is reached.
func (p *parser) run(parse func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(tooManyErrors); !ok {
				panic(r)
			}
		}
	}()
	parse()
}

// statement parses one element and its terminating ';'. After an error it
// skips to the next ';' so that one parse reports several errors.
func (p *parser) statement(parse func(p *parser)) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			p.depth = 0
			p.closureParams = p.closureParams[:0]
			for k := p.tok().Kind; k != scan.EOF && k != scan.Semicolon; k = p.tok().Kind {
				p.next()
			}
			p.accept(scan.Semicolon)
		}
	}()
	parse(p)
	if !p.accept(scan.Semicolon) && p.tok().Kind != scan.EOF {
		p.missingSemicolon(fmt.Sprintf("expected ';' or the next term, found %s", p.describe()))
	}
}

// missingSemicolon fails a statement not ended by ';'. When what follows
// is on a later line, the ';' was most likely forgotten at the end of the
// statement: the error is placed there, not at the next line's start.
func (p *parser) missingSemicolon(msg string) {
	if p.tok().Pos.Line > p.prevEnd.Line {
		p.failAt(p.prevEnd, "missing ';' at the end of the statement")
	}
	p.fail(msg)
}

func (p *parser) finish() error {
	if len(p.errs) < p.limits.MaxParseErrors {
		var unused []string
		for name := range p.params {
			if !p.used[name] {
				unused = append(unused, name)
			}
		}
		sort.Strings(unused)
		for _, name := range unused {
			if len(p.errs) == p.limits.MaxParseErrors {
				break
			}
			p.errs = append(p.errs, &ParseError{Filename: p.filename, Line: 1, Col: 1,
				Msg: fmt.Sprintf("parameter {%s} is given but the source does not use it", name)})
		}
	}
	if len(p.errs) > 0 {
		return p.errs
	}
	return nil
}

func (p *parser) tok() scan.Token { return p.cur }

// peek returns the token after the current one.
func (p *parser) peek() scan.Token {
	if !p.peeked {
		p.ahead, p.peeked = p.scanner.Next(), true
	}
	return p.ahead
}

// next moves to the next token and returns the one it leaves; at the end
// of the input the current token stays EOF.
func (p *parser) next() scan.Token {
	t := p.cur
	p.prevEnd = t.End
	if p.peeked {
		p.cur, p.peeked = p.ahead, false
	} else {
		p.cur = p.scanner.Next()
	}
	return t
}

func (p *parser) accept(k scan.Kind) bool {
	if p.tok().Kind == k {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(k scan.Kind) scan.Token {
	if p.tok().Kind != k {
		p.fail(fmt.Sprintf("expected %s, found %s", k, p.describe()))
	}
	return p.next()
}

func (p *parser) isIdent(text string) bool {
	t := p.tok()
	return t.Kind == scan.Ident && t.Text == text
}

func (p *parser) describe() string {
	t := p.tok()
	switch t.Kind {
	case scan.EOF:
		return "end of input"
	case scan.Illegal:
		return t.Err
	case scan.String:
		return strconv.Quote(t.Text)
	case scan.Variable:
		return "$" + t.Text
	case scan.Parameter:
		return "{" + t.Text + "}"
	}
	return "'" + t.Text + "'"
}

func (p *parser) fail(msg string) {
	t := p.tok()
	if t.Kind == scan.Illegal {
		msg = t.Err
	}
	p.failAt(t.Pos, msg)
}

// failAt records an error and unwinds the current statement.
func (p *parser) failAt(pos scan.Pos, msg string) {
	p.errorAt(pos, msg)
	panic(bailout{})
}

// errorAt records an error and lets the parse go on.
func (p *parser) errorAt(pos scan.Pos, msg string) {
	start := strings.LastIndexByte(p.src[:pos.Offset], '\n') + 1
	end := strings.IndexByte(p.src[pos.Offset:], '\n')
	if end < 0 {
		end = len(p.src)
	} else {
		end += pos.Offset
	}
	excerpt := strings.TrimRight(p.src[start:end], "\r")
	p.errs = append(p.errs, &ParseError{Filename: p.filename, Line: pos.Line, Col: pos.Col, Msg: msg, Excerpt: excerpt})
	if len(p.errs) >= p.limits.MaxParseErrors {
		panic(tooManyErrors{})
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > p.limits.MaxDepth {
		p.fail(fmt.Sprintf("nesting deeper than %d", p.limits.MaxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) atCheck() bool {
	t, n := p.tok(), p.peek()
	if t.Kind != scan.Ident || n.Kind != scan.Ident {
		return false
	}
	return t.Text == "check" && (n.Text == "if" || n.Text == "all") || t.Text == "reject" && n.Text == "if"
}

func (p *parser) atPolicy() bool {
	t, n := p.tok(), p.peek()
	return t.Kind == scan.Ident && (t.Text == "allow" || t.Text == "deny") && n.Kind == scan.Ident && n.Text == "if"
}

// element parses a fact, a rule, a check or a policy into prog.
func (p *parser) element(prog *Program, authorizer bool) {
	switch {
	case p.atCheck():
		prog.Checks = append(prog.Checks, p.check())
	case p.atPolicy():
		pos := p.tok().Pos
		pol := p.policy()
		if !authorizer {
			p.failAt(pos, "policies (allow if, deny if) are only allowed in the authorizer")
		}
		prog.Policies = append(prog.Policies, pol)
	default:
		pos := p.tok().Pos
		pred, vars := p.predicate(true)
		if p.accept(scan.LeftArrow) {
			prog.Rules = append(prog.Rules, Rule{Head: pred, Body: p.body(vars), Pos: astPos(pos)})
			return
		}
		if len(vars) > 0 {
			if p.tok().Kind == scan.Semicolon || p.tok().Kind == scan.EOF {
				p.failAt(vars[0].pos, "a fact has no variables: is this a rule missing its '<-'?")
			}
			p.fail(fmt.Sprintf("expected '<-' or ';', found %s", p.describe()))
		}
		if p.tok().Kind != scan.Semicolon && p.tok().Kind != scan.EOF {
			p.missingSemicolon(fmt.Sprintf("expected '<-' or ';' after %s, found %s", pred.Name, p.describe()))
		}
		prog.Facts = append(prog.Facts, Fact{pred})
	}
}

func (p *parser) check() Check {
	c := Check{Kind: CheckIf, Pos: astPos(p.tok().Pos)}
	kw := p.next().Text
	mode := p.next().Text
	switch {
	case kw == "reject":
		c.Kind = RejectIf
	case mode == "all":
		c.Kind = CheckAll
	}
	c.Queries = p.queries()
	return c
}

func (p *parser) policy() Policy {
	pol := Policy{Kind: Allow, Pos: astPos(p.tok().Pos)}
	if p.next().Text == "deny" {
		pol.Kind = Deny
	}
	p.next() // if
	pol.Queries = p.queries()
	return pol
}

// astPos is the public form of a scanner position.
func astPos(pos scan.Pos) Pos { return Pos{Line: pos.Line, Column: pos.Col} }

func (p *parser) queries() []Body {
	qs := []Body{p.body(nil)}
	for p.isIdent("or") {
		p.next()
		qs = append(qs, p.body(nil))
	}
	return qs
}

// predicate parses name(term, ...). In a rule head or body terms may be
// variables; the variables are returned with their positions.
func (p *parser) predicate(allowVars bool) (Predicate, []varUse) {
	name := p.tok()
	if name.Kind != scan.Ident || !isPredicateName(name.Text) {
		p.fail(fmt.Sprintf("expected a fact, a rule, a check or a policy, found %s", p.describe()))
	}
	p.next()
	if p.tok().Kind != scan.LParen {
		p.fail(fmt.Sprintf("expected '(' after %s, found %s", name.Text, p.describe()))
	}
	p.next()
	pred := Predicate{Name: name.Text}
	var vars []varUse
	if p.tok().Kind != scan.RParen {
		for {
			t := p.tok()
			term := p.term(allowVars)
			if v, ok := term.(Variable); ok {
				vars = append(vars, varUse{string(v), t.Pos})
			}
			pred.Terms = append(pred.Terms, term)
			if !p.accept(scan.Comma) {
				break
			}
		}
	}
	if p.tok().Kind != scan.RParen {
		p.fail(fmt.Sprintf("expected ',' or ')' in the terms of %s, found %s", name.Text, p.describe()))
	}
	if len(pred.Terms) == 0 {
		// As the specification's grammar and the reference.
		p.failAt(name.Pos, fmt.Sprintf("%s(): a predicate has at least one term", name.Text))
	}
	p.next()
	return pred, vars
}

// isPredicateName excludes byte strings: hex:00 is a value. A name
// followed by '(' is a predicate even when it reads like a value: null(1).
func isPredicateName(s string) bool { return !strings.HasPrefix(s, "hex:") }

// body parses predicates and expressions separated by commas, then an
// optional trusting clause, and checks that every variable of the head and
// of the expressions is bound by a predicate.
func (p *parser) body(headVars []varUse) Body {
	var b Body
	bound := map[string]bool{}
	var exprVars []varUse
	for {
		t := p.tok()
		if t.Kind == scan.Ident && p.peek().Kind == scan.LParen && isPredicateName(t.Text) {
			pred, vars := p.predicate(true)
			for _, v := range vars {
				bound[v.name] = true
			}
			b.Predicates = append(b.Predicates, pred)
		} else {
			p.exprVars = p.exprVars[:0]
			e := p.expression()
			exprVars = append(exprVars, p.exprVars...)
			b.Expressions = append(b.Expressions, e)
		}
		if !p.accept(scan.Comma) {
			break
		}
	}
	if p.isIdent("trusting") {
		p.next()
		b.Scopes = p.scopeList()
	}
	for _, v := range headVars {
		if !bound[v.name] && !p.unsafeRules {
			p.failAt(v.pos, fmt.Sprintf("unsafe rule: head variable $%s is not bound by a predicate of the body", v.name))
		}
	}
	for _, v := range exprVars {
		if !bound[v.name] && !p.unsafeRules {
			p.failAt(v.pos, fmt.Sprintf("unsafe expression: variable $%s is not bound by a predicate of the body", v.name))
		}
	}
	return b
}

func (p *parser) scopeList() []Scope {
	var scopes []Scope
	for {
		t := p.tok()
		switch {
		case t.Kind == scan.Ident && t.Text == "authority":
			scopes = append(scopes, Scope{Kind: ScopeAuthority})
		case t.Kind == scan.Ident && t.Text == "previous":
			scopes = append(scopes, Scope{Kind: ScopePrevious})
		case t.Kind == scan.PublicKey:
			scopes = append(scopes, Scope{Kind: ScopePublicKey, PublicKey: p.publicKey(t)})
		case t.Kind == scan.Parameter:
			v := p.param(t)
			key, ok := v.(PublicKey)
			if !ok {
				p.fail(fmt.Sprintf("parameter {%s} in a trusting clause must be a public key, not %T", t.Text, v))
			}
			if msg := keySizeError(key); msg != "" {
				p.fail(fmt.Sprintf("parameter {%s}: %s", t.Text, msg))
			}
			scopes = append(scopes, Scope{Kind: ScopePublicKey, PublicKey: key})
		default:
			p.fail(fmt.Sprintf("expected authority, previous or a public key (ed25519/hex, secp256r1/hex), found %s", p.describe()))
		}
		p.next()
		if !p.accept(scan.Comma) {
			return scopes
		}
	}
}

// publicKey decodes an ed25519/hex or secp256r1/hex token.
func (p *parser) publicKey(t scan.Token) PublicKey {
	alg, hexKey, _ := strings.Cut(t.Text, "/")
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		p.fail("public key is not valid hex: " + err.Error())
	}
	k := PublicKey{Algorithm: Ed25519, Key: key}
	if alg == "secp256r1" {
		k.Algorithm = Secp256r1
	}
	if msg := keySizeError(k); msg != "" {
		p.fail(msg)
	}
	return k
}

// keySizeError reports a key that is not of its algorithm's size, or of
// no known algorithm.
func keySizeError(k PublicKey) string {
	want := 0
	switch k.Algorithm {
	case Ed25519:
		want = 32
	case Secp256r1:
		want = 33
	default:
		return fmt.Sprintf("unknown public key algorithm %s", k.Algorithm)
	}
	if len(k.Key) != want {
		return fmt.Sprintf("%s public key must be %d bytes, not %d", k.Algorithm, want, len(k.Key))
	}
	return ""
}

func (p *parser) param(t scan.Token) Param {
	v, ok := p.params[t.Text]
	if !ok {
		p.fail(fmt.Sprintf("parameter {%s} is not bound", t.Text))
	}
	p.used[t.Text] = true
	return v
}

// term parses one term; variables only where allowVars.
func (p *parser) term(allowVars bool) Term {
	t := p.tok()
	switch t.Kind {
	case scan.Variable:
		if !allowVars {
			p.fail("variables are not allowed here: facts and collections hold values only")
		}
		p.next()
		return Variable(t.Text)
	case scan.Parameter:
		v := p.param(t)
		term, ok := v.(Term)
		if !ok || term == nil {
			p.fail(fmt.Sprintf("parameter {%s} is a %T, not a term", t.Text, v))
		}
		if k := term.Kind(); k == KindVariable {
			p.fail(fmt.Sprintf("parameter {%s} must be a value, not a %s", t.Text, k))
		}
		if err := checkGround(term, p.limits.MaxDepth); err != "" {
			p.fail(fmt.Sprintf("parameter {%s}: %s", t.Text, err))
		}
		term, err := canonicalParam(term)
		if err != "" {
			p.fail(fmt.Sprintf("parameter {%s}: %s", t.Text, err))
		}
		p.next()
		return term
	case scan.String:
		p.next()
		return String(t.Text)
	case scan.Int:
		p.next()
		return p.integer(t, "")
	case scan.Minus:
		n := p.peek()
		if n.Kind == scan.Int && !n.SpaceBefore {
			p.next()
			p.next()
			return p.integer(n, "-")
		}
	case scan.Date:
		p.next()
		return p.date(t)
	case scan.Ident:
		switch {
		case t.Text == "true":
			p.next()
			return Bool(true)
		case t.Text == "false":
			p.next()
			return Bool(false)
		case t.Text == "null":
			p.next()
			return Null{}
		case strings.HasPrefix(t.Text, "hex:"):
			b, err := hex.DecodeString(t.Text[4:])
			switch {
			case err != nil:
				p.fail("invalid hex in byte string: " + err.Error())
			case len(b) == 0:
				// As the specification's grammar and the reference: a
				// byte string has at least one byte.
				p.fail("a byte string has at least one byte: hex: needs hex digits")
			}
			p.next()
			return Bytes(b)
		}
	case scan.LBracket:
		return p.array()
	case scan.LBrace:
		return p.setOrMap()
	}
	p.fail(fmt.Sprintf("expected a term, found %s", p.describe()))
	return nil
}

func (p *parser) integer(t scan.Token, sign string) Term {
	n, err := strconv.ParseInt(sign+t.Text, 10, 64)
	if err != nil {
		p.failAt(t.Pos, fmt.Sprintf("integer %s%s does not fit in 64 bits", sign, t.Text))
	}
	return Integer(n)
}

func (p *parser) date(t scan.Token) Term {
	tm, err := time.Parse(time.RFC3339Nano, strings.ToUpper(t.Text))
	if err != nil {
		p.failAt(t.Pos, "invalid date: "+err.Error())
	}
	// time.Parse accepts offsets such as +24:00 and -22:60; RFC 3339 (and
	// the reference) allow hours up to 23 and minutes up to 59. The scanner
	// has made sure that an offset is the last six characters, ±hh:mm.
	if n := len(t.Text); !strings.ContainsAny(t.Text[n-1:], "Zz") && (t.Text[n-5:n-3] > "23" || t.Text[n-2:] > "59") {
		p.failAt(t.Pos, "invalid date: time zone offset "+t.Text[n-6:]+" out of range")
	}
	if tm.Unix() < 0 {
		p.failAt(t.Pos, "dates before 1970-01-01T00:00:00Z cannot be represented")
	}
	// A negative offset can carry 9999-12-31 into year 10000, which has no
	// RFC 3339 form: the printer could not write it back.
	if tm.Unix() > maxRFC3339Date {
		p.failAt(t.Pos, "dates after 9999-12-31T23:59:59Z cannot be represented")
	}
	return Date(tm.Unix())
}

func (p *parser) array() Term {
	p.enter()
	p.next()
	arr := Array{}
	if p.tok().Kind != scan.RBracket {
		for {
			arr = append(arr, p.term(false))
			if !p.accept(scan.Comma) {
				break
			}
		}
	}
	p.expect(scan.RBracket)
	p.leave()
	return arr
}

// setOrMap parses {,} (the empty set), {} (the empty map), {v, ...} or
// {k: v, ...}.
func (p *parser) setOrMap() Term {
	p.enter()
	defer p.leave()
	p.next()
	if p.tok().Kind == scan.Comma && p.peek().Kind == scan.RBrace {
		p.next()
		p.next()
		return Set{}
	}
	if p.accept(scan.RBrace) {
		return Map{}
	}
	first := p.tok()
	v := p.term(false)
	if p.accept(scan.Colon) {
		return p.mapRest(first, v)
	}
	elems := []Term{v}
	for p.accept(scan.Comma) {
		t := p.tok()
		e := p.term(false)
		if e.Kind() != v.Kind() {
			p.failAt(t.Pos, fmt.Sprintf("set elements must have one type: %s after %s", e.Kind(), v.Kind()))
		}
		elems = append(elems, e)
	}
	if v.Kind() == KindSet {
		p.failAt(first.Pos, "a set cannot contain a set")
	}
	p.expect(scan.RBrace)
	return NewSet(elems...)
}

func (p *parser) mapRest(firstTok scan.Token, firstKey Term) Term {
	var entries []MapEntry
	key, keyTok := firstKey, firstTok
	for {
		if k := key.Kind(); k != KindString && k != KindInteger {
			p.failAt(keyTok.Pos, fmt.Sprintf("map keys are strings or integers, not %s", k))
		}
		entries = append(entries, MapEntry{Key: key, Value: p.term(false)})
		if !p.accept(scan.Comma) {
			break
		}
		keyTok = p.tok()
		key = p.term(false)
		p.expect(scan.Colon)
	}
	p.expect(scan.RBrace)
	return NewMap(entries...)
}

// Expressions. One method per precedence level, loosest first; the levels
// and their associativity are those of the reference parser:
// || , && , comparisons (not associative), ^ , | , & , + - , * / , ! , methods.

func (p *parser) expression() Expression {
	return Expression{Ops: p.exprOr()}
}

func (p *parser) exprOr() []Op {
	ops := p.exprAnd()
	for p.tok().Kind == scan.LazyOr {
		p.next()
		p.enter()
		right := p.exprAnd()
		p.leave()
		ops = append(ops, Closure{Ops: right}, Binary{Op: OpLazyOr})
	}
	return ops
}

func (p *parser) exprAnd() []Op {
	ops := p.exprCompare()
	for p.tok().Kind == scan.LazyAnd {
		p.next()
		p.enter()
		right := p.exprCompare()
		p.leave()
		ops = append(ops, Closure{Ops: right}, Binary{Op: OpLazyAnd})
	}
	return ops
}

var comparisons = map[scan.Kind]BinaryOp{
	scan.Lt: OpLessThan, scan.Gt: OpGreaterThan, scan.Le: OpLessOrEqual, scan.Ge: OpGreaterOrEqual,
	scan.StrictEq: OpStrictEqual, scan.StrictNotEq: OpStrictNotEqual, scan.Eq: OpLenientEqual, scan.NotEq: OpLenientNotEqual,
}

func (p *parser) exprCompare() []Op {
	ops := p.exprLevel(0)
	if arrow := p.tok(); arrow.Kind == scan.LeftArrow {
		// The rule arrow has no place in an expression: there "<-" is
		// '<' then '-', so 1<-9 reads 1 < -9, as in the specification's
		// grammar and the reference.
		p.cur = scan.Token{Kind: scan.Minus, Text: "-",
			Pos: scan.Pos{Offset: arrow.Pos.Offset + 1, Line: arrow.Pos.Line, Col: arrow.Pos.Col + 1}, End: arrow.End}
		ops = append(ops, p.exprLevel(0)...)
		ops = append(ops, Binary{Op: OpLessThan})
		if _, again := comparisons[p.tok().Kind]; again {
			p.fail("comparisons do not chain: add parentheses")
		}
		return ops
	}
	if op, ok := comparisons[p.tok().Kind]; ok {
		p.next()
		ops = append(ops, p.exprLevel(0)...)
		ops = append(ops, Binary{Op: op})
		if _, again := comparisons[p.tok().Kind]; again {
			p.fail("comparisons do not chain: add parentheses")
		}
	}
	return ops
}

// binaryLevels are the left-associative levels between comparisons and
// negation, loosest first.
var binaryLevels = []map[scan.Kind]BinaryOp{
	{scan.BitXor: OpBitwiseXor},
	{scan.BitOr: OpBitwiseOr},
	{scan.BitAnd: OpBitwiseAnd},
	{scan.Plus: OpAdd, scan.Minus: OpSub},
	{scan.Star: OpMul, scan.Slash: OpDiv},
}

const additiveLevel = 3

func (p *parser) exprLevel(level int) []Op {
	if level == len(binaryLevels) {
		return p.exprUnary()
	}
	ops := p.exprLevel(level + 1)
	for {
		op, ok := binaryLevels[level][p.tok().Kind]
		if !ok {
			return ops
		}
		p.next()
		ops = append(ops, p.exprLevel(level+1)...)
		ops = append(ops, Binary{Op: op})
	}
}

// exprUnary parses !x. As in the reference parser, the operand of ! is an
// additive expression: !a + b negates a + b.
func (p *parser) exprUnary() []Op {
	if p.tok().Kind == scan.Bang {
		p.enter()
		p.next()
		ops := p.exprLevel(additiveLevel)
		p.leave()
		return append(ops, Unary{Op: OpNegate})
	}
	return p.exprMethods()
}

var binaryMethods = map[string]BinaryOp{
	"contains": OpContains, "starts_with": OpPrefix, "ends_with": OpSuffix, "matches": OpRegex,
	"intersection": OpIntersection, "union": OpUnion, "get": OpGet, "try_or": OpTryOr,
	"all": OpAll, "any": OpAny,
}

var unaryMethods = map[string]UnaryOp{"length": OpLength, "type": OpTypeOf}

func isUnaryMethod(name string) bool {
	_, ok := unaryMethods[name]
	return ok
}

func (p *parser) exprMethods() []Op {
	ops := p.exprPrimary()
	for p.tok().Kind == scan.Dot {
		p.next()
		name := p.tok()
		if name.Kind != scan.Ident {
			p.fail(fmt.Sprintf("expected a method name after '.', found %s", p.describe()))
		}
		p.next()
		p.enter()
		p.expect(scan.LParen)
		ext, isExtern := strings.CutPrefix(name.Text, "extern::")
		if isExtern && (ext == "" || strings.Contains(ext, ":")) {
			p.failAt(name.Pos, "invalid extern function name "+strconv.Quote(name.Text))
		}
		switch {
		case isExtern && p.tok().Kind == scan.RParen:
			ops = append(ops, Unary{Op: OpUnaryExtern, Extern: ext})
		case isExtern:
			ops = append(ops, p.exprOr()...)
			ops = append(ops, Binary{Op: OpBinaryExtern, Extern: ext})
		case isUnaryMethod(name.Text):
			ops = append(ops, Unary{Op: unaryMethods[name.Text]})
		default:
			op, ok := binaryMethods[name.Text]
			if !ok {
				p.failAt(name.Pos, fmt.Sprintf("unknown method %s", name.Text))
			}
			switch op {
			case OpAll, OpAny:
				ops = append(ops, p.closure()...)
			case OpTryOr:
				ops = append([]Op{Closure{Ops: ops}}, p.exprOr()...)
			default:
				ops = append(ops, p.exprOr()...)
			}
			ops = append(ops, Binary{Op: op})
		}
		p.leave()
		p.expect(scan.RParen)
	}
	return ops
}

// closure parses $param -> expression, the argument of all and any.
func (p *parser) closure() []Op {
	param := p.expect(scan.Variable)
	p.expect(scan.RightArrow)
	p.closureParams = append(p.closureParams, param.Text)
	body := p.exprOr()
	p.closureParams = p.closureParams[:len(p.closureParams)-1]
	return []Op{Closure{Params: []string{param.Text}, Ops: body}}
}

func (p *parser) exprPrimary() []Op {
	t := p.tok()
	if t.Kind == scan.LParen {
		p.enter()
		p.next()
		ops := p.exprOr()
		p.leave()
		p.expect(scan.RParen)
		return append(ops, Unary{Op: OpParens})
	}
	if t.Kind == scan.Variable {
		p.next()
		if !p.isClosureParam(t.Text) {
			p.exprVars = append(p.exprVars, varUse{t.Text, t.Pos})
		}
		return []Op{Value{Variable(t.Text)}}
	}
	if t.Kind == scan.Ident && p.peek().Kind == scan.LParen {
		p.fail(fmt.Sprintf("predicate %s cannot appear inside an expression", t.Text))
	}
	switch t.Kind {
	case scan.String, scan.Int, scan.Date, scan.Parameter, scan.LBracket, scan.LBrace, scan.Ident, scan.Minus:
		return []Op{Value{p.term(false)}}
	}
	p.fail(fmt.Sprintf("expected an expression, found %s", p.describe()))
	return nil
}

func (p *parser) isClosureParam(name string) bool {
	for _, c := range p.closureParams {
		if c == name {
			return true
		}
	}
	return false
}

// canonicalParam returns a bound value as source text would give it, with
// sets and maps in canonical order, so that the program prints and parses
// back to itself. It reports what source text cannot spell: a set of mixed
// types, a date past year 9999, a string that is not UTF-8. The value has
// passed checkGround, which bounds its depth.
func canonicalParam(t Term) (Term, string) {
	switch t := t.(type) {
	case String:
		if !utf8.ValidString(string(t)) {
			return nil, "string is not valid UTF-8"
		}
	case Date:
		if t > maxRFC3339Date {
			return nil, "dates after 9999-12-31T23:59:59Z cannot be represented"
		}
	case Set:
		elems := make([]Term, len(t))
		for i, e := range t {
			if e.Kind() != t[0].Kind() {
				return nil, fmt.Sprintf("set elements must have one type: %s after %s", e.Kind(), t[0].Kind())
			}
			var msg string
			if elems[i], msg = canonicalParam(e); msg != "" {
				return nil, msg
			}
		}
		return NewSet(elems...), ""
	case Array:
		elems := make(Array, len(t))
		for i, e := range t {
			var msg string
			if elems[i], msg = canonicalParam(e); msg != "" {
				return nil, msg
			}
		}
		return elems, ""
	case Map:
		entries := make([]MapEntry, len(t))
		for i, e := range t {
			v, msg := canonicalParam(e.Value)
			if msg != "" {
				return nil, msg
			}
			if e.Key.Kind() == KindString && !utf8.ValidString(string(e.Key.(String))) {
				return nil, "string is not valid UTF-8"
			}
			entries[i] = MapEntry{Key: e.Key, Value: v}
		}
		return NewMap(entries...), ""
	}
	return t, ""
}

// checkGround reports what makes a bound parameter value unusable: a
// variable inside it, a set inside a set, or nesting past maxDepth.
func checkGround(t Term, maxDepth int) string {
	if maxDepth < 0 {
		return "nested too deeply"
	}
	switch t := t.(type) {
	case nil:
		return "nil term"
	case Variable:
		return "collections hold values, not variables"
	case Set:
		for _, e := range t {
			if e != nil && e.Kind() == KindSet {
				return "a set cannot contain a set"
			}
			if msg := checkGround(e, maxDepth-1); msg != "" {
				return msg
			}
		}
	case Array:
		for _, e := range t {
			if msg := checkGround(e, maxDepth-1); msg != "" {
				return msg
			}
		}
	case Map:
		for _, e := range t {
			if e.Key == nil || (e.Key.Kind() != KindString && e.Key.Kind() != KindInteger) {
				return "map keys are strings or integers"
			}
			if msg := checkGround(e.Value, maxDepth-1); msg != "" {
				return msg
			}
		}
	}
	return ""
}
