package datalogbench

import (
	"maps"
	"slices"
	"strings"
	"testing"

	bparser "github.com/biscuit-auth/biscuit-go/v2/parser"
	"github.com/codios/codios/datalog"
)

// TestSameAnswers checks that Codios and biscuit-go (both its World and
// its Authorizer) give the same answer on each benchmark request, and on
// a denied variant of each, so that the benchmarks compare equal work:
// the same policy, the same failed checks, the same facts derived.
func TestSameAnswers(t *testing.T) {
	// deny changes each request so that it is denied: a resource that
	// user7 cannot read; a resource whose right is op0, not op2; and a
	// resource that hop3 forbids (the policy still matches).
	deny := map[string][2]string{
		"1000Facts":       {`resource("doc154")`, `resource("doc155")`},
		"1000Rules":       {`resource("res104")`, `resource("res105")`},
		"StandardRequest": {`resource("/tmp/file1");`, `resource("/tmp/file2");`},
	}
	for _, r := range benchRequests() {
		d, ok := deny[r.name]
		if !ok || !strings.Contains(r.authorizer, d[0]) {
			t.Fatalf("%s: no denied variant", r.name)
		}
		denied := r
		denied.name += "/denied"
		denied.authorizer = strings.Replace(r.authorizer, d[0], d[1], 1)
		for _, r := range []request{r, denied} {
			t.Run(r.name, func(t *testing.T) { sameAnswer(t, r) })
		}
	}
}

func sameAnswer(t *testing.T, r request) {
	c, err := parseCodios(r)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseBiscuitGo(r)
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.answer()
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.worldAnswer()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("codios: %v", want)
	if got.policy != want.policy || !slices.Equal(got.failed, want.failed) || !maps.Equal(got.facts, want.facts) {
		t.Errorf("biscuit-go World: %v\nwant (codios): %v", got, want)
	}
	allowed := want.policy == 0 && len(want.failed) == 0
	if err := g.authorizeToken(); (err == nil) != allowed {
		t.Errorf("biscuit-go Authorizer: %v, want allowed %v", err, allowed)
	}
	if !strings.HasSuffix(r.name, "/denied") && !allowed {
		t.Errorf("the benchmark request is not allowed by policy 0")
	}
}

// TestSameParse checks that both parsers read the typical block of
// BenchmarkParseBlock as 5 facts and 3 checks.
func TestSameParse(t *testing.T) {
	c, err := datalog.ParseBlock(typicalBlock, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := bparser.FromStringBlock(typicalBlock)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Facts) != 5 || len(c.Rules) != 0 || len(c.Checks) != 3 {
		t.Errorf("codios: %d facts, %d rules, %d checks; want 5, 0, 3", len(c.Facts), len(c.Rules), len(c.Checks))
	}
	if len(g.Facts) != 5 || len(g.Rules) != 0 || len(g.Checks) != 3 {
		t.Errorf("biscuit-go: %d facts, %d rules, %d checks; want 5, 0, 3", len(g.Facts), len(g.Rules), len(g.Checks))
	}
	for i, f := range c.Facts {
		if i < len(g.Facts) && f.String() != g.Facts[i].String() {
			t.Errorf("fact %d: codios %s, biscuit-go %s", i, f, g.Facts[i])
		}
	}
}
