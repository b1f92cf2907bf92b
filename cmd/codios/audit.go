package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/codios/codios/sdk"
)

// Bounds of codios audit.
const (
	// shortID is how many hex digits of a revocation id the tree shows:
	// enough to tell blocks apart and to pass to --token.
	shortID = 12
	// minTokenPrefix is the shortest revocation id prefix --token takes,
	// so that a typo does not select half the log.
	minTokenPrefix = 8
)

// auditFilter keeps the records the flags of codios audit select.
type auditFilter struct {
	agent  string // a name the chain must hold, as an agent or a signer
	prefix string // a revocation id prefix, lower-case hex, a block must have
	denied bool   // keep only the calls that were not allowed
}

func (f *auditFilter) keep(rec *sdk.AuditRecord) bool {
	if f.denied && rec.Outcome == sdk.OutcomeAllow {
		return false
	}
	if f.agent != "" && !chainHas(rec.Chain, func(h sdk.Hop) bool { return h.Agent == f.agent || h.SignedBy == f.agent }) {
		return false
	}
	if f.prefix != "" && !chainHas(rec.Chain, func(h sdk.Hop) bool { return strings.HasPrefix(strings.ToLower(h.RevocationID), f.prefix) }) {
		return false
	}
	return true
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func chainHas(chain []sdk.Hop, ok func(sdk.Hop) bool) bool {
	for _, h := range chain {
		if ok(h) {
			return true
		}
	}
	return false
}

func runAudit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit")
	var f auditFilter
	fs.StringVar(&f.agent, "agent", "", "keep the calls whose chain names `AGENT`: its own and those of every agent downstream of it")
	fs.StringVar(&f.prefix, "token", "", "keep the calls of the tokens with a block whose revocation id starts with `ID` (at least 8 hex digits)")
	fs.BoolVar(&f.denied, "denied", false, "keep the calls that were not allowed")
	rest, code, done := parseFlags(fs, args, 1, stdout, stderr)
	if done {
		return code
	}
	if len(rest) == 0 {
		return usageError(stderr, fs, "missing the audit log FILE")
	}
	if f.prefix != "" {
		if !isHex(f.prefix) || len(f.prefix) < minTokenPrefix {
			return usageError(stderr, fs, fmt.Sprintf("--token %q: want the start of a revocation id, at least %d hex digits", f.prefix, minTokenPrefix))
		}
		f.prefix = strings.ToLower(f.prefix)
	}
	name := rest[0]
	var forest auditForest
	err := readAuditFile(name, func(rec *sdk.AuditRecord) {
		if f.keep(rec) {
			forest.add(rec)
		}
	})
	var damage *sdk.AuditDamageError
	if err != nil && !errors.As(err, &damage) {
		return fail(stderr, "audit", err)
	}
	w := bufio.NewWriter(stdout)
	forest.print(w)
	if err := w.Flush(); err != nil {
		return fail(stderr, "audit", err)
	}
	if damage != nil {
		// Every whole record is printed; the damaged lines are named,
		// and the exit status says the log is not whole.
		if name == "-" {
			name = "<stdin>"
		}
		for _, l := range damage.Lines {
			fmt.Fprintf(stderr, "codios audit: %s\n", damagedLine(name, l))
		}
		if more := damage.Count - len(damage.Lines); more > 0 {
			fmt.Fprintf(stderr, "codios audit: %s: %d more damaged lines\n", name, more)
		}
		return exitDeny
	}
	return exitOK
}

// damagedLine says which line of the log name could not be read, and why.
func damagedLine(name string, l *sdk.AuditLineError) string {
	if errors.Is(l.Err, bufio.ErrTooLong) {
		return fmt.Sprintf("%s:%d: line too long for an audit record (over %d bytes), skipped", name, l.Line, sdk.MaxAuditLine)
	}
	return fmt.Sprintf("%s:%d: not an audit record, skipped: %v", name, l.Line, l.Err)
}

// readAuditFile reads the audit log name ("-" for standard input) with
// sdk.ReadAudit, which bounds each line, and calls fn with each record, in
// order. Damaged lines come back as an *sdk.AuditDamageError.
func readAuditFile(name string, fn func(*sdk.AuditRecord)) error {
	r := stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		r = file
	} else {
		name = "<stdin>"
	}
	return readAuditLog(r, fn)
}

// readAuditLog reads the audit log r. Damaged lines come back as an
// *sdk.AuditDamageError, after fn saw every whole record.
func readAuditLog(r io.Reader, fn func(*sdk.AuditRecord)) error {
	return sdk.ReadAudit(r, func(rec *sdk.AuditRecord) error {
		fn(rec)
		return nil
	})
}

// auditForest is an audit log as delegation trees: one per issuer (root
// key id), under it one per authority block, under each block the blocks
// appended to it. A record hangs on the node of its chain's last block.
// Records whose chains share blocks share those nodes. Everything keeps
// the order in which it first appears in the log.
type auditForest struct {
	issuers   []*auditIssuer
	byRootKey map[string]*auditIssuer
	invalid   []*sdk.AuditRecord // records without a chain
	calls     int
}

type auditIssuer struct {
	label string
	root  auditNode // its children are the authority blocks
}

// auditNode is one block of one or more chains, or an issuer's root.
type auditNode struct {
	hop      sdk.Hop
	issuer   bool   // the root above the authority blocks
	holder   string // the agent that holds the token from this block on
	calls    []*sdk.AuditRecord
	children []*auditNode
	byID     map[string]*auditNode
}

func (n *auditNode) child(h sdk.Hop) (*auditNode, bool) {
	if c, ok := n.byID[h.RevocationID]; ok {
		return c, false
	}
	c := &auditNode{hop: h, holder: h.Agent}
	if c.holder == "" {
		c.holder = n.holder // a block naming no agent leaves the token where it was
	}
	if n.byID == nil {
		n.byID = map[string]*auditNode{}
	}
	n.byID[h.RevocationID] = c
	n.children = append(n.children, c)
	return c, true
}

func (f *auditForest) add(rec *sdk.AuditRecord) {
	f.calls++
	if len(rec.Chain) == 0 {
		f.invalid = append(f.invalid, rec)
		return
	}
	key, label := "", "issuer (no root key id)"
	if rec.RootKeyID != nil {
		key = strconv.FormatUint(uint64(*rec.RootKeyID), 10)
		label = "issuer (root key id " + key + ")"
	}
	iss := f.byRootKey[key]
	if iss == nil {
		iss = &auditIssuer{label: label, root: auditNode{issuer: true}}
		if f.byRootKey == nil {
			f.byRootKey = map[string]*auditIssuer{}
		}
		f.byRootKey[key] = iss
		f.issuers = append(f.issuers, iss)
	}
	n := &iss.root
	for _, h := range rec.Chain {
		n, _ = n.child(h)
	}
	n.calls = append(n.calls, rec)
}

// print writes the trees, then the calls that had no valid token.
func (f *auditForest) print(w io.Writer) {
	if f.calls == 0 {
		fmt.Fprintln(w, "no calls")
		return
	}
	for i, iss := range f.issuers {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, iss.label)
		printNode(w, &iss.root, "")
	}
	if len(f.invalid) > 0 {
		if len(f.issuers) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "calls without a valid token")
		for i, rec := range f.invalid {
			printCall(w, rec, "", i == len(f.invalid)-1)
		}
	}
}

// Tree drawing: the branch to an item, and what continues below it.
const (
	branchMid  = "├─ "
	branchLast = "└─ "
	contMid    = "│  "
	contLast   = "   "
)

// printNode writes the calls made with exactly n's chain, then the blocks
// appended to it, each under prefix.
func printNode(w io.Writer, n *auditNode, prefix string) {
	items := len(n.calls) + len(n.children)
	for i, rec := range n.calls {
		printCall(w, rec, prefix, i == items-1)
	}
	for i, c := range n.children {
		branch, cont := branchMid, contMid
		if len(n.calls)+i == items-1 {
			branch, cont = branchLast, contLast
		}
		fmt.Fprintf(w, "%s%s%s\n", prefix, branch, c.label(n))
		printNode(w, c, prefix+cont)
	}
}

// label names the node's agent, how the token came to it, the block and
// its revocation id.
// For a block after the authority block it says who appended it: the
// agent whose key signed it, or a key no earlier block names, or for a
// block without an external signature the holder of the token it was
// appended to.
func (n *auditNode) label(parent *auditNode) string {
	holder := "(no agent named)"
	if n.holder != "" {
		holder = clean(n.holder)
	}
	var how string
	switch h := n.hop; {
	case parent.issuer:
		// An agent the issuer minted several tokens for has a root each:
		// say so, or two roots of one name read as a mistake.
		if k, of := n.nth(parent); of > 1 {
			how = fmt.Sprintf("token %d of %d minted for %s, ", k, of, holder)
		}
	case h.SignedBy != "":
		how = "delegated by " + clean(h.SignedBy) + ", "
	case h.Signer != "":
		how = "signed by " + clean(shorten(h.Signer, len("ed25519/")+shortID)) + ", "
	case parent.holder != "":
		how = "attenuated by " + clean(parent.holder) + ", "
	default:
		how = "attenuated, "
	}
	return fmt.Sprintf("%s (%sblock %d, %s)", holder, how, n.hop.Block, clean(shorten(n.hop.RevocationID, shortID)))
}

// nth tells which of its parent's children holding n's agent n is, from
// 1, and how many there are.
func (n *auditNode) nth(parent *auditNode) (k, of int) {
	for _, c := range parent.children {
		if c.holder == n.holder {
			of++
			if c == n {
				k = of
			}
		}
	}
	return k, of
}

// printCall writes one call: when, which service, what, the outcome; for
// a call not allowed, why, on the lines under it.
func printCall(w io.Writer, rec *sdk.AuditRecord, prefix string, last bool) {
	branch, cont := branchMid, contMid
	if last {
		branch, cont = branchLast, contLast
	}
	fmt.Fprintf(w, "%s%s%s  %s  %s %s  %s\n", prefix, branch, rec.Time.Format("2006-01-02T15:04:05.000Z07:00"),
		clean(rec.Service), clean(rec.Method), clean(rec.Path), clean(rec.Outcome))
	for _, d := range callDetails(rec) {
		fmt.Fprintf(w, "%s%s   %s\n", prefix, cont, d)
	}
}

// callDetails says why a call was not allowed: the failed checks with the
// block and agent that wrote them, the deny policy, or the reason.
func callDetails(rec *sdk.AuditRecord) []string {
	if rec.Outcome == sdk.OutcomeAllow {
		return nil
	}
	var out []string
	for _, c := range rec.FailedChecks {
		var where string
		switch {
		case c.Block < 0:
			where = fmt.Sprintf("the service's check %d", c.Index)
		case c.Agent != "":
			where = fmt.Sprintf("block %d, check %d, by %s", c.Block, c.Index, clean(c.Agent))
		default:
			where = fmt.Sprintf("block %d, check %d", c.Block, c.Index)
		}
		if c.Line > 0 {
			where += fmt.Sprintf(" (%d:%d)", c.Line, c.Col)
		}
		out = append(out, "failed check: "+where+": "+clean(c.Describe()))
	}
	switch {
	case rec.Outcome == sdk.OutcomeDeny && len(rec.FailedChecks) == 0 && rec.Policy != nil:
		policy := "policy: "
		if p := rec.Policy; p.Line > 0 {
			policy = fmt.Sprintf("policy %d (%d:%d): ", p.Index, p.Line, p.Col)
		}
		out = append(out, policy+clean(rec.Policy.Source))
	case rec.Outcome == sdk.OutcomeDeny && len(rec.FailedChecks) == 0:
		out = append(out, "no policy matched")
	case rec.Outcome != sdk.OutcomeDeny && rec.Reason != "":
		out = append(out, "reason: "+clean(rec.Reason))
	}
	return out
}

// shorten keeps the first n bytes of s.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// clean makes a string from the log safe to print on a terminal: the log
// holds what callers sent (paths) and what tokens claim (agent names), so
// a string with control or non-printing characters is printed quoted,
// with escapes.
func clean(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
