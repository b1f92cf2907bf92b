package samples

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	samplefile "github.com/codios/codios/internal/samples"
	"github.com/codios/codios/token"
)

// summary counts the validations TestSamples ran, for the line TestMain
// prints.
var summary struct {
	ran   bool
	pass  int
	total int
	// skips lists every validation or test not run, with its reason.
	skips []string
}

// skipList is the validations that are not run, each with its reason. The
// goal is an empty list.
var skipList = map[string]string{}

func TestMain(m *testing.M) {
	code := m.Run()
	if summary.ran {
		fmt.Printf("conformance: %d/%d validations pass\n", summary.pass, summary.total)
	}
	if roundTrip.ran {
		fmt.Printf("round trip: %d/%d sample tokens rebuilt authorize identically\n", roundTrip.pass, roundTrip.total)
		if len(roundTrip.notApplicable) > 0 {
			fmt.Printf("round trip: not applicable, the token does not verify: %s\n", strings.Join(roundTrip.notApplicable, ", "))
		}
	}
	for _, s := range summary.skips {
		fmt.Printf("conformance: skipped %s\n", s)
	}
	os.Exit(code)
}

// loadSamples loads the samples and the root key, or skips the test with
// the reason when there are none.
func loadSamples(t *testing.T) (*samplefile.File, string, token.PublicKey) {
	t.Helper()
	f, dir, err := samplefile.Load()
	if errors.Is(err, samplefile.ErrNotFound) {
		summary.skips = append(summary.skips, fmt.Sprintf("%s: %v", t.Name(), err))
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	root, err := token.ParsePublicKey("ed25519/" + f.RootPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return f, dir, root
}

// validationName names a validation; the default one has an empty name.
func validationName(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

var cmpOptions = cmp.Options{cmpopts.EquateEmpty()}

// TestSamples runs every validation of every sample and compares the
// outcome, the revocation ids, the world and the printed blocks.
func TestSamples(t *testing.T) {
	f, dir, root := loadSamples(t)
	summary.ran = true
	for _, tc := range f.TestCases {
		t.Run(tc.Filename, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.Filename))
			if err != nil {
				t.Fatal(err)
			}
			tok, parseErr := token.Parse(data, root, nil)
			for _, name := range slices.Sorted(maps.Keys(tc.Validations)) {
				v := tc.Validations[name]
				summary.total++
				id := tc.Filename + "/" + validationName(name)
				if reason, ok := skipList[id]; ok {
					summary.skips = append(summary.skips, id+": "+reason)
					continue
				}
				ok := t.Run(validationName(name), func(t *testing.T) {
					runValidation(t, tc, v, tok, parseErr)
				})
				if ok {
					summary.pass++
				}
			}
		})
	}
	t.Logf("conformance: %d/%d validations pass", summary.pass, summary.total)
}

func runValidation(t *testing.T, tc samplefile.TestCase, v samplefile.Validation, tok *token.Token, parseErr error) {
	want, err := ParseOutcome(v.Result)
	if err != nil {
		t.Fatalf("samples.json: %v", err)
	}
	wantWorld := WorldFromJSON(v.World)
	var (
		got      Outcome
		gotWorld *World
		gotIDs   []string
	)
	if parseErr != nil {
		got = OutcomeOf(nil, parseErr)
	} else {
		checkBlocks(t, tc.Token, tok)
		got, gotWorld, err = Authorize(context.Background(), tok, v.AuthorizerCode)
		if err != nil {
			t.Fatalf("authorizer code: %v", err)
		}
		for _, id := range tok.RevocationIDs() {
			gotIDs = append(gotIDs, hex.EncodeToString(id))
		}
	}
	if diff := cmp.Diff(want, got, cmpOptions); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
		if parseErr != nil {
			t.Logf("parse error: %v", parseErr)
		}
	}
	if diff := cmp.Diff(v.RevocationIDs, gotIDs, cmpOptions); diff != "" {
		t.Errorf("revocation ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWorld, gotWorld, cmpOptions); diff != "" {
		t.Errorf("world (-want +got):\n%s", diff)
	}
}

// checkBlocks compares each block's printed code, version and external
// key with the sample's.
func checkBlocks(t *testing.T, want []samplefile.Block, tok *token.Token) {
	t.Helper()
	blocks := tok.Blocks()
	if len(blocks) != len(want) {
		t.Errorf("%d blocks, want %d", len(blocks), len(want))
		return
	}
	for i, b := range blocks {
		if got := b.Program.String(); got != want[i].Code {
			t.Errorf("block %d printed\n%s\nwant\n%s", i, got, want[i].Code)
		}
		if int(b.Version) != want[i].Version {
			t.Errorf("block %d: version %d, want %d", i, b.Version, want[i].Version)
		}
		var ext string
		if b.ExternalKey != nil {
			ext = b.ExternalKey.String()
		}
		if want := want[i].ExternalKey; (want == nil) != (b.ExternalKey == nil) || want != nil && *want != ext {
			t.Errorf("block %d: external key %q, want %v", i, ext, want)
		}
	}
}
