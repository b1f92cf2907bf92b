package token

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/codios/codios/internal/samples"
)

// TestSampleTokens decodes and verifies every sample token, and prints its
// blocks back: each must read as the reference printed it. The five
// samples whose signatures are broken on purpose must fail to verify.
func TestSampleTokens(t *testing.T) {
	f, dir, root := loadSamples(t)
	broken := map[string]error{
		"test002_different_root_key.bc":       ErrInvalidSignature,
		"test003_invalid_signature_format.bc": ErrFormat,
		"test004_random_block.bc":             ErrInvalidSignature,
		"test005_invalid_signature.bc":        ErrInvalidSignature,
		"test006_reordered_blocks.bc":         ErrInvalidSignature,
	}
	for _, tc := range f.TestCases {
		t.Run(tc.Filename, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.Filename))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Parse(data, root, nil)
			if want, ok := broken[tc.Filename]; ok {
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tok.Blocks()) != len(tc.Token) {
				t.Fatalf("%d blocks, want %d", len(tok.Blocks()), len(tc.Token))
			}
			for i, b := range tok.Blocks() {
				if got := b.Program.String(); got != tc.Token[i].Code {
					t.Errorf("block %d printed\n%s\nwant\n%s", i, got, tc.Token[i].Code)
				}
				if int(b.Version) != tc.Token[i].Version {
					t.Errorf("block %d: version %d, want %d", i, b.Version, tc.Token[i].Version)
				}
				ext := tc.Token[i].ExternalKey
				switch {
				case ext == nil && b.ExternalKey != nil, ext != nil && b.ExternalKey == nil:
					t.Errorf("block %d: external key %v, want %v", i, b.ExternalKey, ext)
				case ext != nil && b.ExternalKey.String() != *ext:
					t.Errorf("block %d: external key %s, want %s", i, b.ExternalKey, *ext)
				}
			}
			// Serializing gives back the bytes it came from.
			again := tok.Serialize()
			if _, err := Parse(again, root, nil); err != nil {
				t.Errorf("re-serialized token: %v", err)
			}
		})
	}
}

// loadSamples loads the samples and their root public key, or skips the
// test when there are no samples.
func loadSamples(t *testing.T) (*samples.File, string, PublicKey) {
	t.Helper()
	f, dir, err := samples.Load()
	if errors.Is(err, samples.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	root, err := ParsePublicKey("ed25519/" + f.RootPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return f, dir, root
}
