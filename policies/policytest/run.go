package policytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// Suffix ends the name of every test file that Run finds in a directory.
const Suffix = "_test.txt"

// Run runs the cases of the test files at paths, each a file or a
// directory searched recursively for files named *_test.txt (skipping
// testdata and directories whose names start with '.' or '_', as the go
// command does). It prints a
// line per case to w, a diff under each failure, and then the line
// "N passed, M failed". Every file is read and parsed, its Datalog
// included, before any case runs: err reports bad input, and then no case
// has run.
func Run(paths []string, w io.Writer) (passed, failed int, err error) {
	var files []string
	for _, p := range paths {
		found, err := findFiles(p)
		if err != nil {
			return 0, 0, err
		}
		files = append(files, found...)
	}
	if len(files) == 0 {
		return 0, 0, fmt.Errorf("no test files (*%s) in %s", Suffix, strings.Join(paths, ", "))
	}
	var loaded []*loadedFile
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			return 0, 0, err
		}
		tf, err := parseFile(path, string(text))
		if err != nil {
			return 0, 0, err
		}
		lf, err := load(tf)
		if err != nil {
			return 0, 0, err
		}
		loaded = append(loaded, lf)
	}
	for _, lf := range loaded {
		for _, c := range lf.cases {
			diff, ok := runCase(lf, c)
			if ok {
				passed++
				fmt.Fprintf(w, "PASS %s\n", c.name)
				continue
			}
			failed++
			fmt.Fprintf(w, "FAIL %s\n", c.name)
			fmt.Fprintf(w, "    %s:%d (- expected, + got)\n", lf.path, c.line)
			for _, l := range diff {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return passed, failed, nil
}

// findFiles returns path if it is a file, or the test files under it if
// it is a directory, in lexical order.
func findFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, Suffix) {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// skipDir reports whether a directory met in a search is skipped, as the
// go command skips them: testdata, and names starting with '.' or '_'.
func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// loadedFile is a test file with its Datalog parsed and its keys made.
type loadedFile struct {
	path  string
	root  *token.PrivateKey
	keys  map[string]*token.PrivateKey
	cases []*loadedCase
}

type loadedCase struct {
	name       string
	line       int
	authorizer *token.Authorizer
	policy     *datalog.Program // the authorizer's
	time       time.Time
	depthFact  string
	authority  *datalog.Program
	blocks     []loadedBlock
	facts      []datalog.Fact
	expect     expectation
}

type loadedBlock struct {
	program *datalog.Program
	signer  *token.PrivateKey // a third party's key, or nil
}

// loader reads the Datalog of one test file.
type loader struct {
	f     *loadedFile
	dir   string
	files map[string]string
}

func load(tf *testFile) (*loadedFile, error) {
	root, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		return nil, err
	}
	l := &loader{
		f:     &loadedFile{path: tf.path, root: root, keys: map[string]*token.PrivateKey{}},
		dir:   filepath.Dir(tf.path),
		files: map[string]string{},
	}
	for _, c := range tf.cases {
		lc, err := l.loadCase(tf, c)
		if err != nil {
			return nil, err
		}
		l.f.cases = append(l.f.cases, lc)
	}
	return l.f, nil
}

func (l *loader) loadCase(tf *testFile, c *testCase) (*loadedCase, error) {
	lc := &loadedCase{name: c.name, line: c.line, expect: c.expect, time: tf.defaults.time, depthFact: tf.defaults.depthFact}
	if c.settings.timeSet {
		lc.time = c.settings.time
	}
	if c.settings.depthFact != "" {
		lc.depthFact = c.settings.depthFact
	}
	authz := tf.defaults.authorizer
	if c.settings.authorizer != nil {
		authz = c.settings.authorizer
	}
	if len(authz) == 0 {
		return nil, &FormatError{File: tf.path, Line: c.line, Msg: fmt.Sprintf("case %q has no authorizer, and the file gives none", c.name)}
	}
	prog, err := l.join(authz)
	if err != nil {
		return nil, err
	}
	lc.policy = prog
	if lc.authorizer, err = token.NewAuthorizer(prog, nil); err != nil {
		return nil, err
	}
	authority := tf.defaults.authority
	if c.settings.authority != nil {
		authority = c.settings.authority
	}
	if lc.authority, err = l.join(authority); err != nil {
		return nil, err
	}
	for _, b := range c.blocks {
		p, err := l.program(b)
		if err != nil {
			return nil, err
		}
		lb := loadedBlock{program: p}
		if b.kind == thirdPartySource {
			if lb.signer, err = l.key(b.key); err != nil {
				return nil, err
			}
		}
		lc.blocks = append(lc.blocks, lb)
	}
	for _, f := range c.facts {
		fact, err := datalog.ParseFact(f.text, &datalog.ParseOptions{Filename: l.f.path})
		if err != nil {
			return nil, relocate(err, l.f.path, f.line, f.col, f.raw)
		}
		lc.facts = append(lc.facts, fact)
	}
	return lc, nil
}

// key returns the file's key of a name, made on first use.
func (l *loader) key(name string) (*token.PrivateKey, error) {
	if k, ok := l.f.keys[name]; ok {
		return k, nil
	}
	k, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		return nil, err
	}
	l.f.keys[name] = k
	return k, nil
}

// join parses the parts of one program and joins them in order.
func (l *loader) join(parts []*source) (*datalog.Program, error) {
	joined := &datalog.Program{}
	for _, s := range parts {
		p, err := l.program(s)
		if err != nil {
			return nil, err
		}
		if len(p.Scopes) > 0 && len(parts) > 1 {
			return nil, &FormatError{File: l.f.path, Line: s.line, Msg: fmt.Sprintf("%s: a part with a block-level trusting clause cannot be joined with others", s.kind)}
		}
		joined.Scopes = append(joined.Scopes, p.Scopes...)
		joined.Facts = append(joined.Facts, p.Facts...)
		joined.Rules = append(joined.Rules, p.Rules...)
		joined.Checks = append(joined.Checks, p.Checks...)
		joined.Policies = append(joined.Policies, p.Policies...)
	}
	return joined, nil
}

// program parses a source with its parameters: an authorizer's policy or
// a block.
func (l *loader) program(s *source) (*datalog.Program, error) {
	params := datalog.Params{}
	for _, p := range s.params {
		if p.key != "" {
			k, err := l.key(p.key)
			if err != nil {
				return nil, err
			}
			params[p.name] = k.Public().Datalog()
			continue
		}
		t, err := datalog.ParseTerm(p.value, &datalog.ParseOptions{Filename: l.f.path})
		if err != nil {
			return nil, relocate(err, l.f.path, p.line, p.col, p.raw)
		}
		params[p.name] = t
	}
	parse := datalog.ParseBlock
	if s.kind == authorizerSource {
		parse = datalog.ParseAuthorizer
	}
	if s.path == "" {
		prog, err := parse(s.inline, &datalog.ParseOptions{Filename: l.f.path, Params: params})
		if err != nil {
			return nil, relocate(err, l.f.path, s.line, s.col, s.raw)
		}
		return prog, nil
	}
	path := filepath.Join(l.dir, filepath.FromSlash(s.path))
	src, ok := l.files[path]
	if !ok {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", l.f.path, s.line, s.kind, err)
		}
		src = string(data)
		l.files[path] = src
	}
	prog, err := parse(src, &datalog.ParseOptions{Filename: path, Params: params})
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %s: %w", l.f.path, s.line, s.kind, err)
	}
	return prog, nil
}

// relocate moves the errors of Datalog parsed from one line of a test
// file, from column col on, to their place in the test file.
func relocate(err error, file string, line, col int, raw string) error {
	move := func(e *datalog.ParseError) *datalog.ParseError {
		m := *e
		m.Filename, m.Line, m.Excerpt = file, line, raw
		m.Col = col
		if e.Line == 1 {
			m.Col = col + e.Col - 1
		}
		return &m
	}
	var list datalog.ParseErrors
	if errors.As(err, &list) {
		out := make(datalog.ParseErrors, len(list))
		for i, e := range list {
			out[i] = move(e)
		}
		return out
	}
	var one *datalog.ParseError
	if errors.As(err, &one) {
		return move(one)
	}
	return fmt.Errorf("%s:%d:%d: %w", file, line, col, err)
}

// runCase mints, attenuates, serializes, parses and authorizes the case's
// token, and compares the decision with the expectation. It returns the
// diff, and whether the case passed.
func runCase(f *loadedFile, c *loadedCase) ([]string, bool) {
	d, err := decide(f, c)
	if err != nil {
		return []string{"- " + c.expect.outcome(), "+ error: " + err.Error()}, false
	}
	return compare(c, d)
}

func decide(f *loadedFile, c *loadedCase) (*token.Decision, error) {
	tok, err := token.New(f.root, c.authority, nil)
	if err != nil {
		return nil, fmt.Errorf("minting: %w", err)
	}
	for i, b := range c.blocks {
		if b.signer == nil {
			tok, err = tok.Append(b.program, nil)
		} else {
			var req *token.ThirdPartyRequest
			var signed *token.ThirdPartyBlock
			req, err = tok.ThirdPartyRequest()
			if err == nil {
				signed, err = req.Sign(b.signer, b.program)
			}
			if err == nil {
				tok, err = tok.AppendThirdParty(signed, nil)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("appending block %d: %w", i+1, err)
		}
	}
	data := tok.Serialize()
	received, err := token.Parse(data, f.root.Public(), nil)
	if err != nil {
		return nil, fmt.Errorf("parsing the serialized token: %w", err)
	}
	facts := slices.Clone(c.facts)
	if c.depthFact != "" {
		depth := datalog.Integer(len(received.Blocks()) - 1)
		facts = append(facts, datalog.NewFact(c.depthFact, depth))
	}
	return c.authorizer.Authorize(context.Background(), received, &token.Request{Time: c.time, Facts: facts})
}

// outcome is the expected decision as the test file writes it.
func (e expectation) outcome() string {
	s := "deny"
	if e.allow {
		s = "allow"
	}
	switch e.policy {
	case anyPolicy:
		return s
	case noPolicy:
		return s + " policy none"
	}
	return fmt.Sprintf("%s policy %d", s, e.policy)
}

// check returns the text of the check a case's expectation names, or a
// note that there is none.
func (c *loadedCase) check(ref checkRef) string {
	var p *datalog.Program
	switch {
	case ref.block == datalog.AuthorizerBlock:
		p = c.policy
	case ref.block == 0:
		p = c.authority
	case int(ref.block) <= len(c.blocks):
		p = c.blocks[ref.block-1].program
	default:
		return "the token has no such block"
	}
	if ref.index >= len(p.Checks) {
		return fmt.Sprintf("no such check: the block has %d", len(p.Checks))
	}
	return p.Checks[ref.index].String()
}

// compare returns the diff of a decision against a case's expectation,
// and whether they agree.
func compare(c *loadedCase, d *token.Decision) ([]string, bool) {
	e := c.expect
	ok := d.Allowed == e.allow
	got := "deny"
	if d.Allowed {
		got = "allow"
	}
	switch {
	case d.Policy == nil:
		got += " policy none"
		ok = ok && (e.policy == anyPolicy || e.policy == noPolicy)
	default:
		got += fmt.Sprintf(" policy %d  // %s", d.Policy.Index, d.Policy.Policy)
		ok = ok && (e.policy == anyPolicy || e.policy == d.Policy.Index)
	}
	var diff []string
	if ok {
		diff = append(diff, "  "+got)
	} else {
		diff = append(diff, "- "+e.outcome(), "+ "+got)
	}
	compareFails := e.failsSet || e.allow
	var matched []checkRef
	for _, fc := range d.FailedChecks {
		ref := checkRef{fc.Block, fc.Index}
		line := fmt.Sprintf("fail %s  // %s", ref, fc.Check)
		switch {
		case !compareFails || slices.Contains(e.fails, ref):
			diff = append(diff, "  "+line)
			matched = append(matched, ref)
		default:
			diff = append(diff, "+ "+line)
			ok = false
		}
	}
	if compareFails {
		for _, ref := range e.fails {
			if !slices.Contains(matched, ref) {
				diff = append(diff, fmt.Sprintf("- fail %s  // %s", ref, c.check(ref)))
				ok = false
			}
		}
	}
	return diff, ok
}
