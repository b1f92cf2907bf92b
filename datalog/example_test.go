package datalog_test

import (
	"context"
	"fmt"

	"github.com/codios/codios/datalog"
)

func ExampleParseBlock() {
	block, err := datalog.ParseBlock(`
		// What the planner agent may do, until the end of 2029.
		right({path}, "read");
		check if time($t),   $t < 2030-01-01T00:00:00Z;
	`, &datalog.ParseOptions{Params: datalog.Params{"path": datalog.String("/reports/q3")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(block)
	// Output:
	// right("/reports/q3", "read");
	// check if time($t), $t < 2030-01-01T00:00:00Z;
}

func ExampleParseBlock_error() {
	_, err := datalog.ParseBlock("right(\"/a\", $op);\ncheck if time($t), $t < ;", &datalog.ParseOptions{Filename: "agent.datalog"})
	fmt.Println(err)
	// Output:
	// agent.datalog:1:13: a fact has no variables: is this a rule missing its '<-'?
	// 	right("/a", $op);
	// 	            ^
	// agent.datalog:2:25: expected an expression, found ';'
	// 	check if time($t), $t < ;
	// 	                        ^
}

func ExampleWorld_Authorize() {
	authority, _ := datalog.ParseBlock(`
		right("/reports/q3", "read");
		right("/reports/q3", "write");
	`, nil)
	// An attenuation block: only reads from here on.
	readOnly, _ := datalog.ParseBlock(`check if operation("read");`, nil)
	service, _ := datalog.ParseAuthorizer(`
		resource("/reports/q3");
		operation("write");
		allow if right($r, $op), resource($r), operation($op);
	`, nil)

	w := datalog.NewWorld(nil)
	w.AddBlock(authority, nil)
	w.AddBlock(readOnly, nil)
	w.AddAuthorizer(service)
	res, err := w.Authorize(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("allowed:", res.Allowed())
	fmt.Println("policy:", res.Policy.Policy)
	for _, c := range res.FailedChecks {
		fmt.Printf("failed: %s, check %d: %s\n", c.Block, c.Index, c.Check)
	}
	// Output:
	// allowed: false
	// policy: allow if right($r, $op), resource($r), operation($op)
	// failed: block 1, check 0: check if operation("read")
}

func ExampleWorld_Query() {
	authority, _ := datalog.ParseBlock(`
		right("/reports/q3", "read");
		right("/reports/q4", "read");
		right("/reports/q3", "write");
	`, nil)
	w := datalog.NewWorld(nil)
	w.AddBlock(authority, nil)
	q, _ := datalog.ParseRule(`writable($r) <- right($r, "write")`, nil)
	facts, err := w.Query(context.Background(), q)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range facts {
		fmt.Println(f)
	}
	// Output:
	// writable("/reports/q3")
}

func ExampleWorld_Facts() {
	authority, _ := datalog.ParseBlock(`user("alice"); member($u, "staff") <- user($u);`, nil)
	service, _ := datalog.ParseAuthorizer(`resource("/doc"); allow if true;`, nil)
	w := datalog.NewWorld(nil)
	w.AddBlock(authority, nil)
	w.AddAuthorizer(service)
	if err := w.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range w.Facts() {
		fmt.Println(g.Origin, g.Facts)
	}
	// Output:
	// [authorizer] [resource("/doc")]
	// [block 0] [member("alice", "staff") user("alice")]
}

func ExampleNewFact() {
	// The facts of a request, built from its values rather than parsed.
	resource := datalog.NewFact("resource", datalog.String("/reports/q3"))
	operation := datalog.NewFact("operation", datalog.String("read"))
	fmt.Println(resource, operation)

	service, _ := datalog.ParseAuthorizer(`allow if resource($r), $r.starts_with("/reports/");`, nil)
	w := datalog.NewWorld(nil)
	w.AddAuthorizer(service)
	w.AddFact(resource)
	w.AddFact(operation)
	res, err := w.Authorize(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("allowed:", res.Allowed())
	// Output:
	// resource("/reports/q3") operation("read")
	// allowed: true
}

// A service compiles its policy once, loads it with a token's blocks and
// freezes the result; each call then adds only its own facts.
func ExampleFrozen_With() {
	authority, _ := datalog.ParseBlock(`right("/reports/q3", "read");`, nil)
	policy, _ := datalog.ParseAuthorizer(`allow if right($r, $op), resource($r), operation($op);`, nil)
	compiled, err := datalog.Compile(policy, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := datalog.NewWorld(nil)
	w.AddBlock(authority, nil)
	w.AddCompiled(compiled)
	frozen, err := w.Freeze()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range []string{"read", "write"} {
		frozen.With(func(w *datalog.World) error {
			w.AddFact(datalog.NewFact("resource", datalog.String("/reports/q3")))
			w.AddFact(datalog.NewFact("operation", datalog.String(op)))
			res, err := w.Authorize(context.Background())
			if err != nil {
				return err
			}
			fmt.Println(op, res.Allowed())
			return nil
		})
	}
	// Output:
	// read true
	// write false
}
