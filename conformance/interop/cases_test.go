package interop

// A testCase is one token: its blocks and an authorizer, in Codios's
// syntax, and in biscuit-go's where it differs (sets in brackets, "=="
// for the strict equality Codios spells "===").
type testCase struct {
	name         string
	blocks       []string // the authority block first
	goBlocks     []string // nil: the same as blocks
	authorizer   string
	goAuthorizer string // "": the same as authorizer
	sealed       bool
	want         outcome
}

// The decisions. biscuit-go reports a failed check whatever the policies
// say, so a decision with a failed check is "check failed", whichever
// policy matched.
const (
	allow       = "allow"
	deny        = "deny"
	noMatch     = "no matching policy"
	checkFailed = "check failed"
)

// outcome is a decision: its kind and, for allow and deny, the index of
// the policy that matched (-1 otherwise). biscuit-go does not say which
// policy matched; only Codios's index is compared.
type outcome struct {
	kind   string
	policy int
}

func allowed(policy int) outcome { return outcome{allow, policy} }
func denied(policy int) outcome  { return outcome{deny, policy} }

var (
	noMatchingPolicy = outcome{noMatch, -1}
	failedCheck      = outcome{checkFailed, -1}
)

const fileRights = `right("file1", "read");
right("file2", "read");
right("file1", "write");
`

var cases = []testCase{
	{
		name:       "fact and allow policy",
		blocks:     []string{fileRights},
		authorizer: `resource("file1"); operation("read"); allow if right($r, $op), resource($r), operation($op);`,
		want:       allowed(0),
	},
	{
		name:       "no policy matches",
		blocks:     []string{fileRights},
		authorizer: `resource("file2"); operation("write"); allow if right($r, $op), resource($r), operation($op);`,
		want:       noMatchingPolicy,
	},
	{
		name:       "deny policy first",
		blocks:     []string{`user("alice");`},
		authorizer: `deny if user("alice"); allow if true;`,
		want:       denied(0),
	},
	{
		name:       "second of three policies",
		blocks:     []string{`role("admin");`},
		authorizer: `deny if role("guest"); allow if role("admin"); allow if true;`,
		want:       allowed(1),
	},
	{
		name:       "deny after a failed allow",
		blocks:     []string{`role("guest");`},
		authorizer: `allow if role("admin"); deny if role("guest"); allow if true;`,
		want:       denied(1),
	},
	{
		name:       "attenuation block check passes",
		blocks:     []string{fileRights, `check if resource($r), operation("read"), right($r, "read");`},
		authorizer: `resource("file2"); operation("read"); allow if true;`,
		want:       allowed(0),
	},
	{
		name:       "attenuation block check fails",
		blocks:     []string{fileRights, `check if resource($r), operation("read"), right($r, "read");`},
		authorizer: `resource("file1"); operation("write"); allow if true;`,
		want:       failedCheck,
	},
	{
		name: "authority rule",
		blocks: []string{`owner("alice", "file1");
can_read($f) <- owner($u, $f), user($u);`},
		authorizer: `user("alice"); resource("file1"); allow if can_read($f), resource($f);`,
		want:       allowed(0),
	},
	{
		name: "authority rule, other user",
		blocks: []string{`owner("alice", "file1");
can_read($f) <- owner($u, $f), user($u);`},
		authorizer: `user("bob"); resource("file1"); allow if can_read($f), resource($f);`,
		want:       noMatchingPolicy,
	},
	{
		name:       "expiry not reached",
		blocks:     []string{fileRights, `check if time($t), $t <= 2030-01-01T00:00:00Z;`},
		authorizer: `time(2025-06-01T12:00:00Z); allow if true;`,
		want:       allowed(0),
	},
	{
		name:       "expired",
		blocks:     []string{fileRights, `check if time($t), $t <= 2030-01-01T00:00:00Z;`},
		authorizer: `time(2031-06-01T12:00:00Z); allow if true;`,
		want:       failedCheck,
	},
	{
		name:       "set contains an operation",
		blocks:     []string{`check if operation($op), {"read", "write"}.contains($op);`},
		goBlocks:   []string{`check if operation($op), ["read", "write"].contains($op);`},
		authorizer: `operation("write"); allow if true;`,
		want:       allowed(0),
	},
	{
		name:       "set does not contain an operation",
		blocks:     []string{`check if operation($op), {"read", "write"}.contains($op);`},
		goBlocks:   []string{`check if operation($op), ["read", "write"].contains($op);`},
		authorizer: `operation("delete"); allow if true;`,
		want:       failedCheck,
	},
	{
		name:       "set in a fact",
		blocks:     []string{`allowed_operations({"read", "write"});`},
		goBlocks:   []string{`allowed_operations(["read", "write"]);`},
		authorizer: `operation("read"); deny if operation("delete"); allow if allowed_operations($ops), operation($op), $ops.contains($op);`,
		want:       allowed(1),
	},
	{
		name: "set operations",
		blocks: []string{`check if {1, 2, 3}.intersection({2, 3, 4}) === {2, 3};
check if {1, 2}.union({3}).length() === 3;
check if {1, 2, 3}.contains({1, 3});`},
		goBlocks: []string{`check if [1, 2, 3].intersection([2, 3, 4]) == [2, 3];
check if [1, 2].union([3]).length() == 3;
check if [1, 2, 3].contains([1, 3]);`},
		authorizer: `allow if true;`,
		want:       allowed(0),
	},
	{
		name:         "bytes",
		blocks:       []string{`key(hex:0a1b2c3d);`, `check if key($k), $k === hex:0a1b2c3d, $k.length() === 4;`},
		goBlocks:     []string{`key(hex:0a1b2c3d);`, `check if key($k), $k == hex:0a1b2c3d, $k.length() == 4;`},
		authorizer:   `allow if key($k), $k === hex:0a1b2c3d;`,
		goAuthorizer: `allow if key($k), $k == hex:0a1b2c3d;`,
		want:         allowed(0),
	},
	{
		name: "integer arithmetic and comparisons",
		blocks: []string{`quota(42);
check if 1 + 2 * 3 - 4 / 2 === 5;
check if quota($q), $q > 10, $q >= 42, $q < 100, $q <= 42;`},
		goBlocks: []string{`quota(42);
check if 1 + 2 * 3 - 4 / 2 == 5;
check if quota($q), $q > 10, $q >= 42, $q < 100, $q <= 42;`},
		authorizer: `allow if quota($q), $q * 2 > 80;`,
		want:       allowed(0),
	},
	{
		name:       "integer comparison fails",
		blocks:     []string{`quota(42);`, `check if quota($q), $q < 10;`},
		authorizer: `allow if quota($q), $q > 0;`,
		want:       failedCheck,
	},
	{
		name: "string methods",
		blocks: []string{`check if resource($r), $r.starts_with("/files/"), $r.ends_with(".txt"), $r.contains("notes");
check if resource($r), $r.matches("^/files/[a-z]+[.]txt$"), $r.length() === 16;`},
		goBlocks: []string{`check if resource($r), $r.starts_with("/files/"), $r.ends_with(".txt"), $r.contains("notes");
check if resource($r), $r.matches("^/files/[a-z]+[.]txt$"), $r.length() == 16;`},
		authorizer: `resource("/files/notes.txt"); allow if true;`,
		want:       allowed(0),
	},
	{
		name:       "string method fails",
		blocks:     []string{`check if resource($r), $r.starts_with("/public/");`},
		authorizer: `resource("/files/notes.txt"); allow if true;`,
		want:       failedCheck,
	},
	{
		// Codios, as the specification v3.3, compiles && and || to the
		// lazy operators of v3.3 (closures): a block that has them is of
		// version 6, which biscuit-go cannot read. Codios's block does
		// without them; biscuit-go's has its eager && and ||.
		name:         "booleans",
		blocks:       []string{`flag(true); check if flag($f), $f === true, !false, !($f === false);`},
		goBlocks:     []string{`flag(true); check if flag($f), $f == true && !false, false || $f;`},
		authorizer:   `allow if flag($f), $f === true;`,
		goAuthorizer: `allow if flag($f), $f == true;`,
		want:         allowed(0),
	},
	{
		name:       "dates",
		blocks:     []string{`issued(2024-03-01T10:00:00Z);`, `check if issued($d), $d > 2020-01-01T00:00:00Z, $d < 2025-01-01T00:00:00Z;`},
		authorizer: `allow if issued($d), $d >= 2024-03-01T10:00:00Z;`,
		want:       allowed(0),
	},
	{
		name: "three blocks narrowing",
		blocks: []string{fileRights,
			`check if resource($r), $r.starts_with("file");`,
			`check if operation("read");`},
		authorizer: `resource("file1"); operation("read"); allow if right($r, $op), resource($r), operation($op);`,
		want:       allowed(0),
	},
	{
		name: "three blocks, the last refuses",
		blocks: []string{fileRights,
			`check if resource($r), $r.starts_with("file");`,
			`check if operation("read");`},
		authorizer: `resource("file1"); operation("write"); allow if right($r, $op), resource($r), operation($op);`,
		want:       failedCheck,
	},
	{
		name:       "a block's facts do not reach the authorizer",
		blocks:     []string{`right("file1", "read");`, `right("file2", "write");`},
		authorizer: `allow if right("file2", "write");`,
		want:       noMatchingPolicy,
	},
	{
		name:       "check with alternatives",
		blocks:     []string{`check if operation("read") or operation("write");`},
		authorizer: `operation("write"); allow if true;`,
		want:       allowed(0),
	},
	{
		name:       "authorizer check fails",
		blocks:     []string{fileRights},
		authorizer: `check if user($u); allow if true;`,
		want:       failedCheck,
	},
	{
		name:       "block rule with expression",
		blocks:     []string{`file("a", 10); file("b", 500);`, `big($f) <- file($f, $size), $size > 100; check if resource($r), big($r);`},
		authorizer: `resource("b"); allow if file($f, $s), resource($f);`,
		want:       allowed(0),
	},
	{
		name:       "sealed",
		blocks:     []string{fileRights, `check if operation("read");`},
		authorizer: `resource("file1"); operation("read"); allow if right($r, $op), resource($r), operation($op);`,
		sealed:     true,
		want:       allowed(0),
	},
}
