package datalog_test

// Benchmarks of parsing and evaluation, on the workloads whose targets the
// project sets: a typical block parsed in under 20 µs, a world of 1,000
// facts with a three-way join and 10 checks evaluated in under 1 ms. Run
//
//	go test -run '^$' -bench . -benchmem -count 10 ./datalog
//
// and compare runs with benchstat. The same programs run side by side with
// biscuit-go in conformance/datalogbench, which has a copy of the programs
// here: TestBenchPrograms pins their text to digests that the copy pins
// too, so the two cannot drift apart.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

// typicalBlock is a typical block: the authority block of the standard
// request (../shared/bench/standard/authority.datalog), 5 facts and an
// expiry check, with the two checks of its first hop: 5 facts, 3 checks.
const typicalBlock = `// Authority block of the standard request, with two more checks: 5 facts, 3 checks.
user("alice");
right("/tmp/file1", "read");
right("/tmp/file1", "write");
right("/tmp/file2", "read");
agent("planner");
check if time($t), $t < 2030-01-01T00:00:00Z;
check if operation("read");
check if resource($r), $r.starts_with("/tmp/");
`

// The standard request, its files in ../shared/bench/standard copied
// verbatim (their digests are pinned below): an authority block, three
// attenuation blocks, the service's authorizer, and a time fact for the
// request. The answer is allow, by policy 0. In hop2 the list is an array
// in Datalog v3.3 and a set in v3.0 (biscuit-go); contains gives the same
// answer in both.
const (
	standardAuthority = `// Authority block of the standard request: 5 facts and an expiry check.
user("alice");
right("/tmp/file1", "read");
right("/tmp/file1", "write");
right("/tmp/file2", "read");
agent("planner");
check if time($t), $t < 2030-01-01T00:00:00Z;
`
	standardHop1 = `// First delegation hop: read-only, under /tmp/.
check if operation("read");
check if resource($r), $r.starts_with("/tmp/");
`
	standardHop2 = `// Second hop: two named resources, a shorter expiry.
check if resource($r), ["/tmp/file1", "/tmp/file2"].contains($r);
check if time($t), $t < 2029-06-01T00:00:00Z;
`
	standardHop3 = `// Third hop: one resource, read.
check if resource("/tmp/file1"), operation("read");
`
	standardAuthorizer = `// The service's side of the standard request. time() is set by the caller to the request's time
// (any instant before 2029-06-01).
resource("/tmp/file1");
operation("read");
allow if right($r, $op), resource($r), operation($op);
`
	// standardTime is the request's time fact: any instant before 2029-06-01.
	standardTime = `time(2025-06-01T00:00:00Z)`
)

// benchLimits are the default limits with more time. MaxTime is wall-clock
// time: on a busy machine (this one has 2 cores, shared) a run measured
// in milliseconds has been stalled past a second, and a benchmark must
// not end in a MaxTime error. Limits bound the work; they do not change it.
var benchLimits = datalog.Limits{MaxTime: time.Minute}

// request is one authorization, its programs parsed once: the per-request
// work is NewWorld, AddBlock for each block, AddAuthorizer, AddFact and
// Authorize.
type request struct {
	blocks     []*datalog.Program
	authorizer *datalog.Program
	facts      []datalog.Fact
}

func parseRequest(tb testing.TB, authorizer string, facts []string, blocks ...string) *request {
	tb.Helper()
	r := &request{}
	for i, src := range blocks {
		p, err := datalog.ParseBlock(src, &datalog.ParseOptions{Filename: fmt.Sprintf("block%d", i)})
		if err != nil {
			tb.Fatal(err)
		}
		r.blocks = append(r.blocks, p)
	}
	p, err := datalog.ParseAuthorizer(authorizer, &datalog.ParseOptions{Filename: "authorizer"})
	if err != nil {
		tb.Fatal(err)
	}
	r.authorizer = p
	for _, src := range facts {
		f, err := datalog.ParseFact(src, nil)
		if err != nil {
			tb.Fatal(err)
		}
		r.facts = append(r.facts, f)
	}
	return r
}

func (r *request) authorize() (*datalog.Result, error) {
	w, err := r.world()
	if err != nil {
		return nil, err
	}
	return w.Authorize(context.Background())
}

// world builds the request's world, not yet evaluated.
func (r *request) world() (*datalog.World, error) {
	w := datalog.NewWorld(&datalog.Options{Limits: benchLimits})
	for _, p := range r.blocks {
		if _, err := w.AddBlock(p, nil); err != nil {
			return nil, err
		}
	}
	if err := w.AddAuthorizer(r.authorizer); err != nil {
		return nil, err
	}
	for _, f := range r.facts {
		if err := w.AddFact(f); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// benchAuthorize checks once that the request is allowed by policy 0,
// so that the benchmark cannot measure a failure, then times authorize.
func benchAuthorize(b *testing.B, r *request) {
	res, err := r.authorize()
	if err != nil {
		b.Fatal(err)
	}
	if !res.Allowed() || res.Policy.Index != 0 {
		b.Fatalf("want allow by policy 0, got policy %v, failed checks %v", res.Policy, res.FailedChecks)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.authorize(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBlock parses a typical block: 5 facts, 3 checks.
func BenchmarkParseBlock(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := datalog.ParseBlock(typicalBlock, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate1000Facts authorizes a request against a world of
// 1,000 facts in the authority block, with a three-way join rule, 10 checks
// and an allow policy.
func BenchmarkEvaluate1000Facts(b *testing.B) {
	benchAuthorize(b, parseRequest(b, factsAuthorizer, nil, factsBlock()))
}

// BenchmarkEvaluate1000Rules authorizes a request against 1,000 rules in
// the authority block, whose fixpoint derives 1,500 facts.
func BenchmarkEvaluate1000Rules(b *testing.B) {
	benchAuthorize(b, parseRequest(b, rulesAuthorizer, nil, rulesBlock()))
}

// BenchmarkStandardRequestDatalog is the Datalog part of the standard
// request: its 4 blocks, the authorizer and the time fact, evaluated. The
// token's decoding and signatures are not part of it.
func BenchmarkStandardRequestDatalog(b *testing.B) {
	benchAuthorize(b, parseRequest(b, standardAuthorizer, []string{standardTime},
		standardAuthority, standardHop1, standardHop2, standardHop3))
}

// The programs below, and the constants above, are copied in
// conformance/datalogbench/programs_test.go; the digests that TestBenchPrograms
// checks are the same in both copies. The programs are written in the
// syntax that Datalog v3.3 and biscuit-go v2.2.0 (v3.0) both read: comments
// only at the top of a source (biscuit-go's grammar has them nowhere
// else), no deny policy (biscuit-go v2.2.0's parser dereferences the allow
// branch of a deny policy), no != and no names that start with a
// biscuit-go keyword (contains, length, prefix, true, ...).

// factsBlock returns a block of 1,000 facts across 3 predicates: 200 users
// in 2 groups each, 50 groups granted 6 folders each, 100 folders holding
// 3 documents each; and the 4 checks a token would carry.
func factsBlock() string {
	var b strings.Builder
	b.WriteString("// 1,000 facts: group membership, folder grants, documents; 4 checks.\n")
	for i := 0; i < 400; i++ {
		u, k := i%200, i/200
		fmt.Fprintf(&b, "member(\"user%d\", \"group%d\");\n", u, (u+25*k)%50)
	}
	for k := 0; k < 300; k++ {
		fmt.Fprintf(&b, "grant(\"group%d\", \"folder%d\");\n", k/6, k*37%100)
	}
	for d := 0; d < 300; d++ {
		fmt.Fprintf(&b, "document(\"folder%d\", \"doc%d\");\n", d%100, d)
	}
	b.WriteString(`check if time($t), $t < 2030-01-01T00:00:00Z;
check if operation("read") or operation("write");
check if resource($r), $r.starts_with("doc");
check if user($u), member($u, "group7");
`)
	return b.String()
}

// factsAuthorizer is the service's side of the 1,000-facts world: the
// request, a three-way join rule, 6 more checks (10 in all) and an allow
// policy. user7 is in group7 and group32; group7 is granted folder54, which
// holds doc154.
const factsAuthorizer = `// The request for the 1,000-facts world: a three-way join rule, 6 checks, a policy.
user("user7");
resource("doc154");
operation("read");
time(2025-06-01T00:00:00Z);
can_read($d) <- member("user7", $g), grant($g, $f), document($f, $d);
check if can_read($d), resource($d);
check if member("user7", $g), grant($g, $f);
check if document($f, $d), resource($d), $f.starts_with("folder");
check if grant($g, "folder54"), $g.ends_with("7");
check if user($u), member($u, $g), $g == "group32";
check if time($t), $t > 2020-01-01T00:00:00Z;
allow if resource($d), operation("read"), can_read($d);
`

// rulesBlock returns a block of 1,000 rules over 75 facts: 50 users with
// one role each, 25 of them active; 500 rules give each role's users a
// right on one resource, and 500 rules grant that resource to the active
// ones among them. The fixpoint derives 1,500 facts in two rounds; a third
// finds nothing new.
func rulesBlock() string {
	var b strings.Builder
	b.WriteString("// 1,000 rules: 500 role rules, 500 grant rules over them; 75 facts.\n")
	for u := 0; u < 50; u++ {
		fmt.Fprintf(&b, "role(\"user%d\", \"role%d\");\n", u, u%25)
		if u%2 == 0 {
			fmt.Fprintf(&b, "active(\"user%d\");\n", u)
		}
	}
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "right($u, \"res%d\", \"op%d\") <- role($u, \"role%d\");\n", i, i%3, i%25)
	}
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "granted($u, \"res%d\") <- right($u, \"res%d\", $op), active($u);\n", i, i)
	}
	return b.String()
}

// rulesAuthorizer is the request for the 1,000-rules world: res104 is
// role4's, whose users are user4 (active) and user29; its operation is op2.
const rulesAuthorizer = `// The request for the 1,000-rules world.
user("user4");
resource("res104");
operation("op2");
check if granted($u, $r), user($u), resource($r);
allow if user($u), resource($r), operation($op), right($u, $r, $op);
`

// benchProgramDigests are the SHA-256 digests of the generated programs,
// pinned here and in conformance/datalogbench so both modules benchmark
// the same text.
var benchProgramDigests = map[string]string{
	"factsBlock":         "11a1438fba708f9cb787f3ab87a35dee173e28f4370c1da708a518d878d4a425",
	"factsAuthorizer":    "3acc01feef76564a692e9d3d70e245df81bd47532132cfa1e3ac2c951045116d",
	"rulesBlock":         "b3af6c24f2704ce298af90095ffee12825ff403ff3306e9e42d75593269bdf4c",
	"rulesAuthorizer":    "aa0d3129365c468db8b69989c7fd9853db68575261a8a6271ce749ed8c341e29",
	"typicalBlock":       "45a0d5950bb9f026d9eccc59dec8ba877439d558c32c1b3124ef9d87175d0266",
	"standardAuthority":  "ba88b9a22a361ab1a3ec1772c98716ee4844c7bfbba0503f01f6fa6b9e9f7006",
	"standardHop1":       "85efb562dc8a181b325dc9618072f5113613fd0b691b9415379638ff3d88e2bb",
	"standardHop2":       "7926cf47e929d2eba9d412837f3c98c045bef18c4fe1976bbecf8d4e6264297a",
	"standardHop3":       "df7e09c4f68c4b23e24af7600cb49eed70eacc78ce955ab957c157d21f1e933b",
	"standardAuthorizer": "362f4bbe7a3e4fef31950ec9788371344ac9cc8004dc293521be734714509731",
}

func benchPrograms() map[string]string {
	return map[string]string{
		"factsBlock":         factsBlock(),
		"factsAuthorizer":    factsAuthorizer,
		"rulesBlock":         rulesBlock(),
		"rulesAuthorizer":    rulesAuthorizer,
		"typicalBlock":       typicalBlock,
		"standardAuthority":  standardAuthority,
		"standardHop1":       standardHop1,
		"standardHop2":       standardHop2,
		"standardHop3":       standardHop3,
		"standardAuthorizer": standardAuthorizer,
	}
}

// TestBenchPrograms pins the benchmark programs and checks that each
// request is allowed, by policy 0, with the facts the comments above say.
func TestBenchPrograms(t *testing.T) {
	for name, src := range benchPrograms() {
		sum := sha256.Sum256([]byte(src))
		if got, want := hex.EncodeToString(sum[:]), benchProgramDigests[name]; got != want {
			t.Errorf("%s: SHA-256 %s, want %s: change the copy in conformance/datalogbench too", name, got, want)
		}
	}
	for _, tc := range []struct {
		name string
		r    *request
		// facts counts the facts of each predicate, given and derived;
		// iterations is the rounds of the fixpoint that added facts.
		facts      map[string]int
		iterations int
	}{{
		"facts", parseRequest(t, factsAuthorizer, nil, factsBlock()),
		map[string]int{"member": 400, "grant": 300, "document": 300, "can_read": 36,
			"user": 1, "resource": 1, "operation": 1, "time": 1},
		1,
	}, {
		"rules", parseRequest(t, rulesAuthorizer, nil, rulesBlock()),
		map[string]int{"role": 50, "active": 25, "right": 1000, "granted": 500,
			"user": 1, "resource": 1, "operation": 1},
		2,
	}, {
		"standard", parseRequest(t, standardAuthorizer, []string{standardTime},
			standardAuthority, standardHop1, standardHop2, standardHop3),
		map[string]int{"user": 1, "right": 3, "agent": 1, "resource": 1, "operation": 1, "time": 1},
		0,
	}} {
		w, err := tc.r.world()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res, err := w.Authorize(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !res.Allowed() || res.Policy.Index != 0 {
			t.Errorf("%s: want allow by policy 0, got policy %v, failed checks %v", tc.name, res.Policy, res.FailedChecks)
		}
		counts := map[string]int{}
		for _, g := range w.Facts() {
			for _, f := range g.Facts {
				counts[f.Name]++
			}
		}
		if !maps.Equal(counts, tc.facts) {
			t.Errorf("%s: facts by predicate %v, want %v", tc.name, counts, tc.facts)
		}
		if got := w.Iterations(); got != tc.iterations {
			t.Errorf("%s: %d iterations, want %d", tc.name, got, tc.iterations)
		}
	}
}
