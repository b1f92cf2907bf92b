package policytest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/codios/codios/datalog"
)

// A FormatError is a line of a test file that does not follow the format.
type FormatError struct {
	File string
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// testFile is a parsed test file, its Datalog not yet read.
type testFile struct {
	path     string
	defaults settings
	cases    []*testCase
}

// settings are what a file sets for all its cases and a case may override.
type settings struct {
	authorizer []*source
	authority  []*source
	time       time.Time
	timeSet    bool
	depthFact  string
}

// sourceKind is the role of a piece of Datalog in a case.
type sourceKind int

const (
	authorizerSource sourceKind = iota
	authoritySource
	blockSource
	thirdPartySource
)

func (k sourceKind) String() string {
	return [...]string{"authorizer", "authority", "block", "third-party"}[k]
}

// source is Datalog given by file=PATH or inline, with its parameters.
type source struct {
	kind   sourceKind
	line   int
	key    string // the signer of a third-party block
	path   string // file=PATH as written; empty for inline
	inline string
	col    int    // the column of inline text
	raw    string // the whole line, for error excerpts
	params []param
}

// param is one param NAME = VALUE line.
type param struct {
	line  int
	name  string
	value string // Datalog term text; empty for a key
	col   int
	raw   string
	key   string // key KEY
}

type testCase struct {
	name     string
	line     int
	settings settings
	blocks   []*source // blocks and third-party blocks, in order
	facts    []lineText
	expect   expectation
}

// lineText is Datalog text at a place in the test file.
type lineText struct {
	text string
	line int
	col  int
	raw  string
}

// noPolicy and anyPolicy are expectation.policy values besides an index.
const (
	anyPolicy = -2
	noPolicy  = -1
)

type expectation struct {
	line   int // of expect allow/deny; 0 when missing
	allow  bool
	policy int // an index, anyPolicy or noPolicy
	// fails are the checks expected to fail, compared when failsSet.
	fails    []checkRef
	failsSet bool
	failNone bool // expect fail none was written
}

// checkRef names a check: its block and its index among the block's
// checks.
type checkRef struct {
	block datalog.BlockID
	index int
}

func (r checkRef) String() string {
	if r.block == datalog.AuthorizerBlock {
		return fmt.Sprintf("authorizer check %d", r.index)
	}
	return fmt.Sprintf("block %d check %d", int(r.block), r.index)
}

// words splits a line into words, keeping each word's column so that the
// rest of the line can be taken as Datalog.
type words struct {
	line string
	pos  int // byte offset
}

// next returns the next space-separated word, or "".
func (w *words) next() string {
	w.skip()
	start := w.pos
	for w.pos < len(w.line) && w.line[w.pos] != ' ' && w.line[w.pos] != '\t' {
		w.pos++
	}
	return w.line[start:w.pos]
}

func (w *words) skip() {
	for w.pos < len(w.line) && (w.line[w.pos] == ' ' || w.line[w.pos] == '\t') {
		w.pos++
	}
}

// rest returns the rest of the line, trimmed, and its column (from 1, in
// characters).
func (w *words) rest() (string, int) {
	w.skip()
	col := utf8.RuneCountInString(w.line[:w.pos]) + 1
	text := strings.TrimRight(w.line[w.pos:], " \t")
	w.pos = len(w.line)
	return text, col
}

// parseFile parses the text of a test file.
func parseFile(path, text string) (*testFile, error) {
	f := &testFile{path: path}
	var (
		cur  *testCase
		last *source // the source that param lines bind
	)
	fail := func(line int, format string, args ...any) error {
		return &FormatError{File: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	set := func() *settings {
		if cur != nil {
			return &cur.settings
		}
		return &f.defaults
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		n := i + 1
		w := &words{line: raw}
		word := w.next()
		if word == "" || strings.HasPrefix(word, "#") {
			continue
		}
		if word != "param" {
			last = nil
		}
		switch word {
		case "case":
			rest, _ := w.rest()
			name, err := strconv.Unquote(rest)
			if err != nil || name == "" {
				return nil, fail(n, `want case "NAME", a quoted non-empty name`)
			}
			for _, c := range f.cases {
				if c.name == name {
					return nil, fail(n, "case %q already at line %d", name, c.line)
				}
			}
			if err := checkCase(f, cur); err != nil {
				return nil, err
			}
			cur = &testCase{name: name, line: n, expect: expectation{policy: anyPolicy}}
			f.cases = append(f.cases, cur)
		case "authorizer", "authority", "block", "third-party":
			kind := map[string]sourceKind{"authorizer": authorizerSource, "authority": authoritySource,
				"block": blockSource, "third-party": thirdPartySource}[word]
			if kind != authorizerSource && kind != authoritySource && cur == nil {
				return nil, fail(n, "%s outside a case", word)
			}
			s := &source{kind: kind, line: n, raw: raw}
			if kind == thirdPartySource {
				s.key = w.next()
				if !isName(s.key) || s.key == "inline" {
					return nil, fail(n, "want third-party KEY file=PATH or third-party KEY inline DATALOG")
				}
			}
			if err := parseSource(w, s); err != nil {
				return nil, fail(n, "%s: %v", word, err)
			}
			switch kind {
			case authorizerSource:
				set().authorizer = append(set().authorizer, s)
			case authoritySource:
				set().authority = append(set().authority, s)
			default:
				cur.blocks = append(cur.blocks, s)
			}
			last = s
		case "param":
			if last == nil {
				return nil, fail(n, "param must follow authorizer, authority, block or third-party (or another param)")
			}
			p, err := parseParam(w, n, raw)
			if err != nil {
				return nil, fail(n, "%v", err)
			}
			for _, q := range last.params {
				if q.name == p.name {
					return nil, fail(n, "param %s already at line %d", p.name, q.line)
				}
			}
			last.params = append(last.params, p)
		case "time":
			rest, _ := w.rest()
			var t time.Time
			if rest != "none" {
				var err error
				if t, err = time.Parse(time.RFC3339, rest); err != nil {
					return nil, fail(n, "want time RFC3339, as 2029-01-01T00:00:00Z, or time none")
				}
			}
			if set().timeSet {
				return nil, fail(n, "a second time")
			}
			set().time, set().timeSet = t, true
		case "depth-fact":
			name := w.next()
			if !isName(name) || w.next() != "" {
				return nil, fail(n, "want depth-fact NAME, a predicate name")
			}
			set().depthFact = name
		case "fact":
			if cur == nil {
				return nil, fail(n, "fact outside a case")
			}
			text, col := w.rest()
			if text == "" {
				return nil, fail(n, "want fact DATALOG-FACT")
			}
			cur.facts = append(cur.facts, lineText{text: text, line: n, col: col, raw: raw})
		case "expect":
			if cur == nil {
				return nil, fail(n, "expect outside a case")
			}
			if err := parseExpect(w, &cur.expect, n); err != nil {
				return nil, fail(n, "%v", err)
			}
		default:
			return nil, fail(n, "unknown directive %q (want case, authorizer, authority, block, third-party, param, fact, time, depth-fact or expect)", word)
		}
	}
	if err := checkCase(f, cur); err != nil {
		return nil, err
	}
	if len(f.cases) == 0 {
		return nil, fail(len(lines), "no case in the file")
	}
	return f, nil
}

// checkCase reports what a complete case lacks.
func checkCase(f *testFile, c *testCase) error {
	if c == nil {
		return nil
	}
	switch {
	case c.settings.authority == nil && f.defaults.authority == nil:
		return &FormatError{File: f.path, Line: c.line, Msg: fmt.Sprintf("case %q has no authority block, and the file gives none", c.name)}
	case c.expect.line == 0:
		return &FormatError{File: f.path, Line: c.line, Msg: fmt.Sprintf("case %q has no expect allow or expect deny", c.name)}
	}
	return nil
}

// parseSource reads file=PATH or inline DATALOG.
func parseSource(w *words, s *source) error {
	word := w.next()
	switch {
	case strings.HasPrefix(word, "file="):
		s.path = strings.TrimPrefix(word, "file=")
		if s.path == "" || w.next() != "" {
			return errors.New("want file=PATH, a path without spaces")
		}
	case word == "inline":
		s.inline, s.col = w.rest()
		if s.inline == "" {
			return errors.New("want inline followed by Datalog")
		}
	default:
		return errors.New("want file=PATH or inline DATALOG")
	}
	return nil
}

// parseParam reads NAME = VALUE or NAME = key KEY.
func parseParam(w *words, n int, raw string) (param, error) {
	p := param{line: n, raw: raw}
	p.name = w.next()
	if !isName(p.name) || w.next() != "=" {
		return p, errors.New("want param NAME = VALUE or param NAME = key KEY")
	}
	save := w.pos
	if w.next() == "key" {
		p.key = w.next()
		if !isName(p.key) || w.next() != "" {
			return p, errors.New("want param NAME = key KEY, KEY a name")
		}
		return p, nil
	}
	w.pos = save
	p.value, p.col = w.rest()
	if p.value == "" {
		return p, errors.New("want a value after =")
	}
	return p, nil
}

// parseExpect reads the rest of an expect line.
func parseExpect(w *words, e *expectation, n int) error {
	var fields []string
	for f := w.next(); f != ""; f = w.next() {
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return errors.New("want expect allow, expect deny or expect fail")
	}
	switch fields[0] {
	case "allow", "deny":
		if e.line != 0 {
			return fmt.Errorf("a second expect allow/deny (the first at line %d)", e.line)
		}
		e.line, e.allow = n, fields[0] == "allow"
		switch {
		case len(fields) == 1:
		case len(fields) == 3 && fields[1] == "policy" && fields[2] == "none" && !e.allow:
			e.policy = noPolicy
		case len(fields) == 3 && fields[1] == "policy":
			i, err := strconv.Atoi(fields[2])
			if err != nil || i < 0 {
				return fmt.Errorf("want policy N, N a policy index from 0, not %q", fields[2])
			}
			e.policy = i
		default:
			return fmt.Errorf("want expect %s or expect %[1]s policy N", fields[0])
		}
	case "fail":
		switch {
		case len(fields) == 2 && fields[1] == "none":
			if e.failsSet {
				return errors.New("expect fail none with other expect fail lines")
			}
			e.failNone = true
		case len(fields) == 4 && fields[1] == "authorizer" && fields[2] == "check":
			i, err := strconv.Atoi(fields[3])
			if err != nil || i < 0 {
				return fmt.Errorf("want check N, N a check index from 0, not %q", fields[3])
			}
			e.fails = append(e.fails, checkRef{datalog.AuthorizerBlock, i})
		case len(fields) == 5 && fields[1] == "block" && fields[3] == "check":
			b, err := strconv.Atoi(fields[2])
			if err != nil || b < 0 {
				return fmt.Errorf("want block N, N a block index from 0, not %q", fields[2])
			}
			i, err := strconv.Atoi(fields[4])
			if err != nil || i < 0 {
				return fmt.Errorf("want check N, N a check index from 0, not %q", fields[4])
			}
			e.fails = append(e.fails, checkRef{datalog.BlockID(b), i})
		default:
			return errors.New("want expect fail block N check M, expect fail authorizer check M or expect fail none")
		}
		if e.failNone && len(fields) > 2 {
			return errors.New("expect fail none with other expect fail lines")
		}
		e.failsSet = true
	default:
		return fmt.Errorf("unknown expectation %q (want allow, deny or fail)", fields[0])
	}
	return nil
}

// isName reports whether s is a name: letters, digits, '_' and '-',
// starting with a letter.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}
