package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/decisionjson"
	"github.com/codios/codios/internal/explain"
	"github.com/codios/codios/token"
)

// verdict is what authorize prints with --json: the decision in its one
// JSON form and, with --explain, the world.
type verdict struct {
	*decisionjson.Decision
	World []factGroup `json:"world,omitempty"`
}

type factGroup struct {
	Origin []string `json:"origin"`
	Facts  []string `json:"facts"`
}

func runAuthorize(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("authorize")
	tok := tokenFlags(fs)
	policyFile := fs.String("policy", "", "read the authorizer's policy from `FILE` (- for standard input)")
	facts := fs.StringArray("fact", nil, "add a request `FACT`, such as 'resource(\"/x\")' (repeatable)")
	params := paramFlag(fs)
	at := fs.String("time", "", "authorize at `RFC3339` time instead of now")
	explain := fs.Bool("explain", false, "show the world and, for each failed check, the facts it misses")
	jsonOut := fs.Bool("json", false, "print one JSON document")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	for _, f := range []struct{ name, value string }{{"--token", *tok.file}, {"--root-key", *tok.rootKey}, {"--policy", *policyFile}} {
		if f.value == "" {
			return usageError(stderr, fs, f.name+" is required")
		}
	}
	req := &token.Request{Time: time.Now()}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fail(stderr, "authorize", fmt.Errorf("--time: %w", err))
		}
		req.Time = t
	}
	for _, src := range *facts {
		f, err := datalog.ParseFact(src, &datalog.ParseOptions{Filename: "--fact"})
		if err != nil {
			return fail(stderr, "authorize", err)
		}
		req.Facts = append(req.Facts, f)
	}
	p, err := parseParams(*params)
	if err != nil {
		return fail(stderr, "authorize", err)
	}
	policy, err := loadProgram(*policyFile, p, true)
	if err != nil {
		return fail(stderr, "authorize", err)
	}
	t, err := tok.load()
	if errors.Is(err, token.ErrInvalidSignature) || errors.Is(err, token.ErrUnknownRootKey) {
		// Not a denial: the token is not one this root key vouches for,
		// and the likeliest cause is the wrong root key.
		msg := fmt.Sprintf("invalid token: %s; it was checked against the root key %s: is that the key of the token's issuer?", errorLine(err), rootKeyText(*tok.rootKey))
		if *jsonOut {
			printJSON(stdout, stderr, "authorize", map[string]any{"outcome": "invalid_token", "allowed": false, "error": msg})
		}
		fmt.Fprintf(stderr, "codios authorize: %s\n", msg)
		return exitUsage
	}
	if err != nil {
		return fail(stderr, "authorize", err)
	}
	a, err := token.NewAuthorizer(policy, nil)
	if err != nil {
		return fail(stderr, "authorize", err)
	}
	req.Explain = *explain
	d, err := a.Authorize(context.Background(), t, req)
	if err != nil {
		return fail(stderr, "authorize", err)
	}
	v := newVerdict(d, t, *explain)
	v.placeIn(*policyFile)
	code := exitOK
	if !v.Allowed {
		code = exitDeny
	}
	if *jsonOut {
		if c := printJSON(stdout, stderr, "authorize", v); c != exitOK {
			return c
		}
		return code
	}
	v.print(stdout)
	return code
}

func newVerdict(d *token.Decision, t *token.Token, explained bool) *verdict {
	v := &verdict{Decision: decisionjson.New(d, t)}
	if !explained {
		return v
	}
	world := d.Facts
	for _, g := range world {
		fg := factGroup{Origin: []string{}, Facts: []string{}}
		for _, o := range g.Origin {
			fg.Origin = append(fg.Origin, o.String())
		}
		for _, f := range g.Facts {
			fg.Facts = append(fg.Facts, f.String())
		}
		v.World = append(v.World, fg)
	}
	for i, fc := range d.FailedChecks {
		v.FailedChecks[i].Missing = explain.Missing(fc.Check, world)
	}
	return v
}

// placeIn names the policy file in the positions of the matched policy
// and of the authorizer's checks: the token's checks have no source.
func (v *verdict) placeIn(policyFile string) {
	if policyFile == "-" {
		policyFile = "<stdin>"
	}
	if v.Policy != nil && v.Policy.Line > 0 {
		v.Policy.File = policyFile
	}
	for i := range v.FailedChecks {
		if c := &v.FailedChecks[i]; c.Block == int(datalog.AuthorizerBlock) && c.Line > 0 {
			c.File = policyFile
		}
	}
}

// rootKeyText is the root key as --root-key gave it, in its text form.
func rootKeyText(arg string) string {
	if k, err := loadPublicKey(arg); err == nil {
		return k.String()
	}
	return arg
}

// checkName is "block 1, check 0" or "the authorizer's check 0".
func checkName(c *decisionjson.Check) string {
	if c.Block == int(datalog.AuthorizerBlock) {
		return fmt.Sprintf("the authorizer's check %d", c.Index)
	}
	return fmt.Sprintf("block %d, check %d", c.Block, c.Index)
}

// at is " (file:line:col)", or nothing for an unknown position.
func at(p decisionjson.Position) string {
	if s := p.At(); s != "" {
		return " (" + s + ")"
	}
	return ""
}

func (v *verdict) print(w io.Writer) {
	switch {
	case v.Allowed:
		fmt.Fprintf(w, "allow: policy %d%s matched: %s\n", v.Policy.Index, at(v.Policy.Position), v.Policy.Source)
	case len(v.FailedChecks) > 0:
		// What failed first: a policy that matched did not decide.
		for i, c := range v.FailedChecks {
			lead := "deny: "
			if i > 0 {
				lead = "      "
			}
			fmt.Fprintf(w, "%s%s%s failed: %s\n", lead, checkName(&c), at(c.Position), c.Describe())
			for _, m := range c.Missing {
				fmt.Fprintf(w, "  no fact matches %s\n", m)
			}
		}
		switch {
		case v.Policy == nil:
			fmt.Fprintln(w, "and no policy matched")
		case v.Policy.Kind == "allow":
			fmt.Fprintf(w, "without the failed check%s, policy %d%s would have allowed: %s\n",
				map[bool]string{true: "s"}[len(v.FailedChecks) > 1], v.Policy.Index, at(v.Policy.Position), v.Policy.Source)
		default:
			fmt.Fprintf(w, "and policy %d%s denied too: %s\n", v.Policy.Index, at(v.Policy.Position), v.Policy.Source)
		}
	case v.Policy != nil:
		fmt.Fprintf(w, "deny: policy %d%s matched: %s\n", v.Policy.Index, at(v.Policy.Position), v.Policy.Source)
	default:
		fmt.Fprintln(w, "deny: no policy matched")
	}
	if v.World != nil {
		fmt.Fprintln(w, "world:")
		for _, g := range v.World {
			fmt.Fprintf(w, "  from %s:\n", strings.Join(g.Origin, ", "))
			for _, f := range g.Facts {
				fmt.Fprintf(w, "    %s;\n", f)
			}
		}
	}
}
