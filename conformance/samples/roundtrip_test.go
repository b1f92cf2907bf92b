package samples

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codios/codios/datalog"
	samplefile "github.com/codios/codios/internal/samples"
	"github.com/codios/codios/token"
)

// roundTrip counts the sample tokens TestRoundTrip rebuilt, for the line
// TestMain prints.
var roundTrip struct {
	ran         bool
	pass, total int
	// notApplicable lists the samples whose token does not verify.
	notApplicable []string
}

// TestRoundTrip rebuilds every sample token from the code its blocks
// print as, with Codios's builder, and checks that the rebuilt token
// prints the same and authorizes exactly as the original under each of
// the sample's validations: same outcome, same world.
//
// The root private key is in samples.json; the third parties' keys are
// not. Each third-party key is replaced by a fresh key of the same
// algorithm, in the blocks' code and in the authorizer code alike, and in
// what the original's authorization is expected to print.
//
// A block the reference refuses to authorize (sample 18: a rule whose head
// variable its body does not bind) must be refused by the builder.
func TestRoundTrip(t *testing.T) {
	f, dir, root := loadSamples(t)
	rootKey, err := token.ParsePrivateKey("ed25519-private/" + f.RootPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip.ran = true
	for _, tc := range f.TestCases {
		t.Run(tc.Filename, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.Filename))
			if err != nil {
				t.Fatal(err)
			}
			orig, err := token.Parse(data, root, nil)
			if err != nil {
				roundTrip.notApplicable = append(roundTrip.notApplicable, tc.Filename)
				t.Skipf("not applicable: the sample token does not verify (%v)", err)
			}
			roundTrip.total++
			defer func() {
				if !t.Failed() {
					roundTrip.pass++
				}
			}()
			rebuilt, keys := rebuild(t, tc, orig, rootKey)
			if rebuilt == nil {
				return
			}
			for _, name := range slices.Sorted(maps.Keys(tc.Validations)) {
				code := tc.Validations[name].AuthorizerCode
				ctx := context.Background()
				want, wantWorld, err := Authorize(ctx, orig, code)
				if err != nil {
					t.Fatalf("%s: authorizer code: %v", validationName(name), err)
				}
				got, gotWorld, err := Authorize(ctx, rebuilt, keys.Replace(code))
				if err != nil {
					t.Fatalf("%s: authorizer code: %v", validationName(name), err)
				}
				want, wantWorld = want.rewrite(keys), wantWorld.rewrite(keys)
				if diff := cmp.Diff(want, got, cmpOptions); diff != "" {
					t.Errorf("%s: outcome (-original +rebuilt):\n%s", validationName(name), diff)
				}
				if diff := cmp.Diff(wantWorld, gotWorld, cmpOptions); diff != "" {
					t.Errorf("%s: world (-original +rebuilt):\n%s", validationName(name), diff)
				}
			}
		})
	}
	t.Logf("round trip: %d/%d sample tokens rebuilt authorize identically", roundTrip.pass, roundTrip.total)
}

// rebuild mints the sample token again from its printed code. It returns
// the rebuilt token, parsed back from its bytes, and the replacement of
// third-party keys by fresh ones; a nil token when the builder rightly
// refused a block.
func rebuild(t *testing.T, tc samplefile.TestCase, orig *token.Token, rootKey *token.PrivateKey) (*token.Token, *strings.Replacer) {
	t.Helper()
	fresh := map[string]*token.PrivateKey{}
	var pairs []string
	for _, b := range orig.Blocks() {
		if b.ExternalKey == nil || fresh[b.ExternalKey.String()] != nil {
			continue
		}
		k, err := token.GenerateKey(b.ExternalKey.Algorithm(), nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh[b.ExternalKey.String()] = k
		pairs = append(pairs, b.ExternalKey.String(), k.Public().String())
	}
	keys := strings.NewReplacer(pairs...)

	var opts token.BlockOptions
	if id, ok := orig.RootKeyID(); ok {
		opts.RootKeyID = &id
	}
	var tok *token.Token
	for i, b := range tc.Token {
		prog, err := datalog.ParseBlock(keys.Replace(b.Code), nil)
		if err != nil {
			refused(t, tc, i, err, orig)
			return nil, keys
		}
		switch {
		case i == 0:
			tok, err = token.New(rootKey, prog, &opts)
		case b.ExternalKey != nil:
			tok, err = appendThirdParty(tok, fresh[*b.ExternalKey], prog)
		default:
			tok, err = tok.Append(prog, nil)
		}
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	if orig.Sealed() {
		var err error
		if tok, err = tok.Seal(); err != nil {
			t.Fatal(err)
		}
	}
	data := tok.Serialize()
	again, err := token.Parse(data, rootKey.Public(), nil)
	if err != nil {
		t.Fatalf("rebuilt token: %v", err)
	}
	if again.Sealed() != orig.Sealed() {
		t.Errorf("rebuilt token sealed: %v, want %v", again.Sealed(), orig.Sealed())
	}
	for i, b := range again.Blocks() {
		if got, want := b.Program.String(), keys.Replace(tc.Token[i].Code); got != want {
			t.Errorf("rebuilt block %d printed\n%s\nwant\n%s", i, got, want)
		}
	}
	return again, keys
}

// appendThirdParty goes through the third-party exchange on the wire: the
// request to the third party, and its signed block back.
func appendThirdParty(tok *token.Token, key *token.PrivateKey, prog *datalog.Program) (*token.Token, error) {
	req, err := tok.ThirdPartyRequest()
	if err != nil {
		return nil, err
	}
	if req, err = token.ParseThirdPartyRequest(req.Serialize()); err != nil {
		return nil, err
	}
	blk, err := req.Sign(key, prog)
	if err != nil {
		return nil, err
	}
	if blk, err = token.ParseThirdPartyBlock(blk.Serialize()); err != nil {
		return nil, err
	}
	return tok.AppendThirdParty(blk, nil)
}

// refused checks that a block which the parser refused is one that the
// reference refuses to authorize, and that the builder refuses it too
// when given the decoded program.
func refused(t *testing.T, tc samplefile.TestCase, i int, parseErr error, orig *token.Token) {
	t.Helper()
	for name, v := range tc.Validations {
		out, _, err := Authorize(context.Background(), orig, v.AuthorizerCode)
		if err != nil || out.Kind != KindInvalidBlockRule {
			t.Fatalf("block %d does not parse (%v), yet the original authorizes as %v (%v) in %s", i, parseErr, out, err, validationName(name))
		}
	}
	if !errors.Is(parseErr, datalog.ErrSyntax) {
		t.Errorf("block %d: parse error %v, want a syntax error", i, parseErr)
	}
	if _, err := orig.Append(orig.Blocks()[i].Program, nil); !errors.Is(err, datalog.ErrInvalidBlockRule) {
		t.Errorf("appending the decoded block %d: %v, want %v", i, err, datalog.ErrInvalidBlockRule)
	}
}

// rewrite replaces keys in what an outcome prints.
func (o Outcome) rewrite(r *strings.Replacer) Outcome {
	checks := make([]FailedCheck, len(o.Checks))
	for i, c := range o.Checks {
		c.Rule = r.Replace(c.Rule)
		checks[i] = c
	}
	o.Checks = checks
	if o.Rule != nil {
		o.Rule = &BlockRule{Rule: r.Replace(o.Rule.Rule)}
	}
	return o
}

// rewrite replaces keys in what a world prints, and sorts it again.
func (w *World) rewrite(r *strings.Replacer) *World {
	if w == nil {
		return nil
	}
	n := &World{}
	for _, g := range w.Facts {
		n.Facts = append(n.Facts, FactGroup{Origin: g.Origin, Facts: replaceAll(r, g.Facts)})
	}
	for _, g := range w.Rules {
		n.Rules = append(n.Rules, Group{Origin: g.Origin, Items: replaceAll(r, g.Items)})
	}
	for _, g := range w.Checks {
		n.Checks = append(n.Checks, Group{Origin: g.Origin, Items: replaceAll(r, g.Items)})
	}
	n.Policies = replaceAll(r, w.Policies)
	return n.canonical()
}

func replaceAll(r *strings.Replacer, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.Replace(s)
	}
	return out
}
