package refdiff

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// knownDifferences are the documented differences between Codios and the
// reference (the package doc lists them too). A mismatch on a case that
// matches one of them passes.
var knownDifferences = []struct {
	name, reason string
	// source matches the case's source texts, codios Codios's error.
	source, codios *regexp.Regexp
}{
	{"tab and carriage-return escapes", `Codios accepts "\t" and "\r" in strings, as the specification's grammar does; the reference refuses them`, regexp.MustCompile(`\\[tr]`), nil},
	{"{true}, {false}, {null}, {hex:ff}", "Codios reads a one-element set; the reference reads a parameter (a name of letters, digits, _ and :), then fails for want of its value", regexp.MustCompile(`\{[A-Za-z][\w:]*\}`), nil},
	{"date literal followed by a method", "the reference's date scanner runs to the next space or , ) ] ; }, so 2026-01-01T00:00:00Z.type() is one bad date to it; Codios ends a date where RFC 3339 ends it", regexp.MustCompile(`\d(Z|[+-]\d\d:\d\d)[^\s,)\];}]`), nil},
	{"unbound variable in an expression", "Codios refuses it when it parses (the specification requires every variable to be bound by a predicate); the reference only fails when it evaluates the expression", nil, regexp.MustCompile(`unsafe expression: variable`)},
	{"arrays inside sets", "the specification lets a set hold any term but a set; the reference's parser refuses arrays in a set literal", regexp.MustCompile(`\{[^{}:]*\[`), nil},
	{"empty map in a fact", "{} is the empty map; the reference's fact parser tries a set first and fails on it (it accepts {} in expressions)", regexp.MustCompile(`[(\[,:] *\{\}`), nil},
	{"leap second", "Codios accepts a :60 second in a date literal (RFC 3339 allows it); the reference refuses it", regexp.MustCompile(`T\d\d:\d\d:60`), nil},
	{"block-wide trusting clause", "the reference's BlockBuilder::code and AuthorizerBuilder::code drop a source's block-wide trusting clause without a word (a reference bug); Codios applies it in a block and refuses it in an authorizer", regexp.MustCompile(`(?m)^trusting `), nil},
	{"keyword glued to a name", "the reference reads check ifr(...) as check if r(...); Codios's scanner reads ifr as one name, as the grammar's tokens do", regexp.MustCompile(`\b(if|all|or)[A-Za-z_]\w*\(|\b(if|all)(true|false)\b|trusting[a-z]|(true|false|null|\))(trusting|or)\b`), nil},
	{"malformed public key in a scope", "both refuse an ed25519 key that is not 32 bytes; the reference by panicking", nil, regexp.MustCompile(`public key must be 32 bytes`)},
	{"stray semicolon", "the specification's grammar has no empty statement and Codios refuses one; the reference skips a ; where a statement would start", regexp.MustCompile(`(?m)(^|;)\s*;`), nil},
	{"shadowed closure variable", "a closure parameter named as a variable of its rule: Codios fails the evaluation with ErrShadowedVariable as soon as it evaluates the expression; the reference only when the closure runs (not over an empty collection)", nil, regexp.MustCompile(`closure parameter shadows a variable`)},
}

// knownDifference returns the name and the reason of the known
// difference a case and Codios's decision of it match, or "".
func knownDifference(c *Case, codios Decision) (name, reason string) {
	src := c.Authority + "\n" + c.Authorizer
	for _, b := range c.Blocks {
		src += "\n" + b.Source
	}
	for _, k := range knownDifferences {
		if (k.source == nil || k.source.MatchString(src)) && (k.codios == nil || k.codios.MatchString(codios.Detail)) {
			return k.name, k.reason
		}
	}
	return "", ""
}

// inconclusive reports whether a decision hit a run limit: the two
// implementations count facts, iterations and time differently.
func inconclusive(ds ...Decision) bool {
	for _, d := range ds {
		if d.Outcome == "error" && d.Error == "limit" {
			return true
		}
	}
	return false
}

// referenceBinary builds the reference program with cargo, or finds it
// in CODIOS_REFDIFF_BIN.
func referenceBinary(t *testing.T) string {
	if bin := os.Getenv("CODIOS_REFDIFF_BIN"); bin != "" {
		return bin
	}
	cargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Skip("skipped: no cargo to build the reference program (set CODIOS_REFDIFF_BIN to use a built one)")
	}
	cmd := exec.Command(cargo, "build", "--release", "--locked", "--quiet")
	cmd.Dir = "ref"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cargo build in ref/: %v\n%s", err, out)
	}
	bin, err := filepath.Abs(filepath.Join("ref", "target", "release", "refdiff"))
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// TestReferenceDifferential decides random cases (CODIOS_REFDIFF_CASES,
// from CODIOS_REFDIFF_SEED) and the reproducers of testdata/ with Codios
// and with the reference, both ways: each implementation also authorizes
// the token the other minted. Outcome, matched policy and the set of
// failed checks must agree, or the case must match a known difference.
func TestReferenceDifferential(t *testing.T) {
	ref, err := StartReference(referenceBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	d := &differ{t: t, ref: ref}

	for _, c := range regressions(t) {
		d.run([]*Case{c})
	}

	n := envInt(t, "CODIOS_REFDIFF_CASES", 2000)
	seed := envInt(t, "CODIOS_REFDIFF_SEED", 1)
	var pubs []string
	for _, k := range ThirdPartyKeys() {
		p, err := PublicKeyHex(k)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, p)
	}
	g := NewGenerator(uint64(seed), pubs)
	maxDiffs := envInt(t, "CODIOS_REFDIFF_MAX_DIFFS", 20)
	const batch = 200
	for done := 0; done < n; done += batch {
		cases := make([]*Case, min(batch, n-done))
		for i := range cases {
			cases[i] = g.Case()
		}
		d.run(cases)
		if d.failures >= maxDiffs {
			t.Fatalf("stopping after %d differences", d.failures)
		}
	}
	t.Logf("seed %d: %d cases, outcomes %v, %d inconclusive (limits), %d order-dependent, %d known differences %v, %d differences",
		seed, d.cases, d.outcomes, d.inconclusive, d.orderDep, d.known, d.knownBy, d.failures)
}

type differ struct {
	t   *testing.T
	ref *Reference

	cases, inconclusive, orderDep, known, failures int
	outcomes                                       map[string]int
	knownBy                                        map[string]int
}

// run decides a batch four ways: each implementation minting and
// authorizing, then each authorizing the other's token.
func (d *differ) run(cases []*Case) {
	t := d.t
	if d.outcomes == nil {
		d.outcomes, d.knownBy = map[string]int{}, map[string]int{}
	}
	codios := make([]Decision, len(cases))
	for i, c := range cases {
		codios[i] = DecideCodios(c)
	}
	reference, err := d.ref.Decide(cases)
	if err != nil {
		t.Fatal(err)
	}
	var crossCases []*Case
	var crossIndex []int
	codiosOfRef := make([]*Decision, len(cases))
	for i, c := range cases {
		if codios[i].Token != "" {
			cc := *c
			cc.Token = &codios[i].Token
			crossCases = append(crossCases, &cc)
			crossIndex = append(crossIndex, i)
		}
		if reference[i].Token != "" {
			cc := *c
			cc.Token = &reference[i].Token
			dec := DecideCodios(&cc)
			codiosOfRef[i] = &dec
		}
	}
	refOfCodios := make([]*Decision, len(cases))
	cross, err := d.ref.Decide(crossCases)
	if err != nil {
		t.Fatal(err)
	}
	for j, i := range crossIndex {
		refOfCodios[i] = &cross[j]
	}

	for i, c := range cases {
		d.cases++
		ds := []Decision{codios[i], reference[i]}
		labels := []string{"codios", "reference"}
		if refOfCodios[i] != nil {
			ds, labels = append(ds, *refOfCodios[i]), append(labels, "reference on codios's token")
		}
		if codiosOfRef[i] != nil {
			ds, labels = append(ds, *codiosOfRef[i]), append(labels, "codios on reference's token")
		}
		d.outcomes[strings.Fields(reference[i].Summary())[0]+"/"+reference[i].Error]++
		if inconclusive(ds...) {
			d.inconclusive++
			continue
		}
		if agree(ds) {
			continue
		}
		if d.orderDependent(c, ds) {
			d.orderDep++
			continue
		}
		if k, why := knownDifference(c, codios[i]); k != "" {
			if d.knownBy[k] == 0 {
				t.Logf("known difference %q: %s", k, why)
			}
			d.known++
			d.knownBy[k]++
			continue
		}
		d.failures++
		var report strings.Builder
		for j, dec := range ds {
			report.WriteString("\n  " + labels[j] + ": " + dec.Summary())
			if dec.Detail != "" {
				report.WriteString(" (" + dec.Stage + ": " + dec.Detail + ")")
			}
		}
		min := d.minimize(c)
		t.Errorf("decisions differ:%s\nminimized case:\n%s\nas JSON: %s", report.String(), min, jsonLine(min))
	}
}

// orderDependent reports whether a disagreement that involves an
// expression error comes from the order in which bindings are tried: the
// specification leaves it open, the reference stops at the first binding
// that decides a check or policy and takes them in hash order, which
// changes from one hash map to the next. So the reference decides the
// case again, a few times; if it ever reaches Codios's decision, the
// difference is the order's.
func (d *differ) orderDependent(c *Case, ds []Decision) bool {
	erred := false
	for _, dec := range ds {
		erred = erred || dec.Outcome == "error" && dec.Error == "execution"
	}
	if !erred {
		return false
	}
	want := ds[0].Summary()
	again := make([]*Case, 16)
	for i := range again {
		again[i] = c
	}
	ref, err := d.ref.Decide(again)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, r := range ref {
		if r.Summary() == want {
			return true
		}
	}
	return false
}

func agree(ds []Decision) bool {
	for _, dec := range ds[1:] {
		if dec.Summary() != ds[0].Summary() {
			return false
		}
	}
	return true
}

// differs decides one case both ways and reports whether they disagree.
func (d *differ) differs(c *Case) bool {
	ref, err := d.ref.Decide([]*Case{c})
	if err != nil {
		d.t.Fatal(err)
	}
	ds := []Decision{DecideCodios(c), ref[0]}
	return !inconclusive(ds...) && !agree(ds)
}

// minimize drops blocks, then source lines, while Codios and the
// reference still disagree. (A disagreement seen only across tokens is
// left as it is.)
func (d *differ) minimize(c *Case) *Case {
	best := *c
	best.Blocks = append([]BlockCase(nil), c.Blocks...)
	if !d.differs(&best) {
		return &best
	}
	for i := len(best.Blocks) - 1; i >= 0; i-- {
		try := best
		try.Blocks = append(append([]BlockCase(nil), best.Blocks[:i]...), best.Blocks[i+1:]...)
		if d.differs(&try) {
			best = try
		}
	}
	shrink := func(src *string) {
		lines := strings.Split(*src, "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			kept := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
			old := *src
			*src = strings.Join(kept, "\n")
			if d.differs(&best) {
				lines = kept
			} else {
				*src = old
			}
		}
	}
	shrink(&best.Authority)
	for i := range best.Blocks {
		shrink(&best.Blocks[i].Source)
	}
	shrink(&best.Authorizer)
	return &best
}

func jsonLine(c *Case) string {
	b, err := json.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// regressions reads testdata/regressions.jsonl: cases found by past
// campaigns, one {"name", "case"} object a line.
func regressions(t *testing.T) []*Case {
	f, err := os.Open(filepath.Join("testdata", "regressions.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []*Case
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Name string `json:"name"`
			Case *Case  `json:"case"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("testdata/regressions.jsonl: %v", err)
		}
		cases = append(cases, r.Case)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}
