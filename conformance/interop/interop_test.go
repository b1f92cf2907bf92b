package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// rootSeed is the Ed25519 seed of the root key both implementations mint
// and verify with.
var rootSeed = []byte("codios interop root key seed 32b")

var codiosRoot = mustKey(token.NewPrivateKey(token.Ed25519, rootSeed))

func mustKey(k *token.PrivateKey, err error) *token.PrivateKey {
	if err != nil {
		panic(err)
	}
	return k
}

// counts tallies each direction, for the lines TestMain prints.
var counts struct {
	ran   bool
	total int
	// fromGo: tokens biscuit-go minted that Codios verified and decided
	// as expected, as biscuit-go did.
	fromGo int
	// fromCodios: tokens Codios minted (with legacy signatures) that
	// biscuit-go verified and decided alike.
	fromCodios int
}

func TestMain(m *testing.M) {
	code := m.Run()
	if counts.ran {
		fmt.Printf("interop: biscuit-go → Codios: %d/%d tokens verify and decide the same\n", counts.fromGo, counts.total)
		fmt.Printf("interop: Codios → biscuit-go: %d/%d tokens verify and decide the same (minted with LegacySignature: biscuit-go v2.2.0 verifies signature version 0 only)\n", counts.fromCodios, counts.total)
	}
	os.Exit(code)
}

// TestInterop mints each case's token with each implementation and has
// both verify and authorize it.
func TestInterop(t *testing.T) {
	counts.ran = true
	if len(cases) < 20 {
		t.Errorf("%d cases, want at least 20", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			counts.total++
			t.Run("biscuit-go mints", func(t *testing.T) {
				if goMintedDecidesAlike(t, tc) {
					counts.fromGo++
				}
			})
			t.Run("Codios mints", func(t *testing.T) {
				if codiosMintedDecidesAlike(t, tc) {
					counts.fromCodios++
				}
			})
		})
	}
}

func goMintedDecidesAlike(t *testing.T, tc testCase) bool {
	data, err := goMint(tc.goBlocksSrc(), tc.sealed)
	if err != nil {
		t.Fatalf("biscuit-go mints: %v", err)
	}
	got, err := goDecide(data, tc.goAuthorizerSrc())
	if err != nil || got != tc.want.kind {
		t.Fatalf("biscuit-go on its own token: %q, %v; want %s", got, err, tc.want.kind)
	}
	dec, err := codiosDecide(data, tc.authorizer)
	if err != nil {
		t.Fatalf("Codios: %v", err)
	}
	if dec != tc.want {
		t.Fatalf("Codios: %v, want %v", dec, tc.want)
	}
	return true
}

// codiosMintedDecidesAlike reports whether biscuit-go verified the token
// Codios minted with legacy (version 0) signatures and decided as Codios
// did. It also checks the known incompatibility: the same blocks signed
// with version 1, Codios's default, are refused by biscuit-go.
func codiosMintedDecidesAlike(t *testing.T, tc testCase) bool {
	data := codiosMint(t, tc, true)
	dec, err := codiosDecide(data, tc.authorizer)
	if err != nil {
		t.Fatalf("Codios on its own token: %v", err)
	}
	if dec != tc.want {
		t.Fatalf("Codios on its own token: %v, want %v", dec, tc.want)
	}
	if got, err := goDecide(data, tc.goAuthorizerSrc()); err != nil || got != tc.want.kind {
		t.Errorf("biscuit-go on Codios's legacy-signed token: %q, %v; want %s", got, err, tc.want.kind)
		return false
	}
	v1 := codiosMint(t, tc, false)
	if dec, err := codiosDecide(v1, tc.authorizer); err != nil || dec != tc.want {
		t.Errorf("Codios on its version 1 token: %v, %v; want %v", dec, err, tc.want)
	}
	switch got, err := goDecide(v1, tc.goAuthorizerSrc()); {
	case errors.Is(err, errInvalidSignature):
	case err != nil:
		t.Errorf("biscuit-go on a version 1 token: %v, want %v", err, errInvalidSignature)
	default:
		t.Errorf("biscuit-go verified a signature version 1 token and decided %s: update this test and the package documentation", got)
	}
	return true
}

func (tc testCase) goBlocksSrc() []string {
	if tc.goBlocks != nil {
		return tc.goBlocks
	}
	return tc.blocks
}

func (tc testCase) goAuthorizerSrc() string {
	if tc.goAuthorizer != "" {
		return tc.goAuthorizer
	}
	return tc.authorizer
}

// codiosMint mints the case's token with Codios, with signature version 0
// when legacy is set. Every block must declare Datalog version 3 (v3.0):
// the only one biscuit-go v2.2.0 reads.
func codiosMint(t *testing.T, tc testCase, legacy bool) []byte {
	t.Helper()
	opts := &token.BlockOptions{LegacySignature: legacy}
	var tok *token.Token
	for i, src := range tc.blocks {
		prog, err := datalog.ParseBlock(src, nil)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if i == 0 {
			tok, err = token.New(codiosRoot, prog, opts)
		} else {
			tok, err = tok.Append(prog, opts)
		}
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	for i, b := range tok.Blocks() {
		if b.Version != 3 {
			t.Errorf("Codios minted block %d with version %d, want 3", i, b.Version)
		}
	}
	if tc.sealed {
		var err error
		if tok, err = tok.Seal(); err != nil {
			t.Fatal(err)
		}
	}
	data := tok.Serialize()
	return data
}

// codiosDecide verifies and authorizes a token with Codios.
func codiosDecide(data []byte, authorizer string) (outcome, error) {
	tok, err := token.Parse(data, codiosRoot.Public(), nil)
	if err != nil {
		return outcome{}, err
	}
	a, err := token.ParseAuthorizer(authorizer, nil, nil)
	if err != nil {
		return outcome{}, err
	}
	d, err := a.Authorize(context.Background(), tok, nil)
	switch {
	case err != nil:
		return outcome{}, err
	case len(d.FailedChecks) > 0:
		return failedCheck, nil
	case d.Policy == nil:
		return noMatchingPolicy, nil
	case d.Policy.Policy.Kind == datalog.Allow:
		return allowed(d.Policy.Index), nil
	default:
		return denied(d.Policy.Index), nil
	}
}
