package decisionjson

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// TestRoundTrip checks that what AppendJSON writes, encoding/json reads
// back as it was, whatever the strings hold.
func TestRoundTrip(t *testing.T) {
	in := Decision{
		Allowed: false,
		Policy:  &Policy{Index: 2, Kind: "deny", Source: `deny if "quote\"d" and ünïcode` + "\n\x00\xff", Position: Position{File: "a \"b\".datalog", Line: 4, Col: 9}},
		FailedChecks: []Check{
			{Block: -1, Index: 0, Source: "check if a", Position: Position{Line: 1, Col: 1}},
			{Block: 3, Index: 1, Agent: "research", Source: `check if b("\\")`, Position: Position{Line: 2, Col: 5}, Missing: []string{"b($x)", "c\t"}},
		},
		Blocks: []Block{{Index: 0, Signer: "root"}, {Index: 1, Signer: "x", ExternalKey: "ed25519/00"}},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Decision
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	in.Policy.Source = string([]rune(in.Policy.Source)) // JSON keeps valid UTF-8 only
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", out, in, data)
	}
	want := `{"block":3,"index":1,"agent":"research","source":"check if b(\"\\\\\")","line":2,"col":5,"missing":["b($x)","c\t"]}`
	if got := string(in.FailedChecks[1].AppendJSON(nil)); got != want {
		t.Errorf("check:\n got %s\nwant %s", got, want)
	}
}

// TestOldPolicy reads an audit record's policy from before policies were
// objects: the source alone.
func TestOldPolicy(t *testing.T) {
	var p Policy
	if err := json.Unmarshal([]byte(`"allow if true"`), &p); err != nil {
		t.Fatal(err)
	}
	if p != (Policy{Index: -1, Source: "allow if true"}) {
		t.Errorf("got %+v", p)
	}
}

func TestNew(t *testing.T) {
	root, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	block, err := datalog.ParseBlock(`right("read"); check if operation("read");`, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token.New(root, block, nil)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := token.ParseAuthorizer("check if resource($r);\ndeny if false;\nallow if right(\"read\");", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.Authorize(context.Background(), tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := New(d, tok)
	want := &Decision{
		Policy: &Policy{Index: 1, Kind: "allow", Source: `allow if right("read")`, Position: Position{Line: 3, Col: 1}},
		FailedChecks: []Check{
			{Block: -1, Index: 0, Source: "check if resource($r)", Position: Position{Line: 1, Col: 1}},
			// A token keeps no source: its checks have no position.
			{Block: 0, Index: 0, Source: `check if operation("read")`},
		},
		Blocks: []Block{{Index: 0, Signer: "root key"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if w := got.FailedChecks[0].Where(); w != "authorizer" {
		t.Errorf("Where: %q", w)
	}
	got.Policy.File = "policy.datalog"
	if at := got.Policy.At(); at != "policy.datalog:3:1" {
		t.Errorf("At: %q", at)
	}
	if at := got.FailedChecks[1].At(); at != "" {
		t.Errorf("At of an unknown position: %q", at)
	}
}
