// Package samples loads the official Biscuit conformance samples for tests,
// the main module's and the conformance module's (whose path is under this
// one, so it may import it). They are not part of the repository: tests
// find them in ../shared/biscuit-samples beside the repository root, or in
// the folder named by $CODIOS_SAMPLES.
package samples

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is samples.json.
type File struct {
	RootPrivateKey string     `json:"root_private_key"`
	RootPublicKey  string     `json:"root_public_key"`
	TestCases      []TestCase `json:"testcases"`
}

// TestCase is one sample token and its validations.
type TestCase struct {
	Title       string                `json:"title"`
	Filename    string                `json:"filename"`
	Token       []Block               `json:"token"`
	Validations map[string]Validation `json:"validations"`
}

// Block is one block of a sample token as printed by the reference.
type Block struct {
	Symbols     []string `json:"symbols"`
	PublicKeys  []string `json:"public_keys"`
	ExternalKey *string  `json:"external_key"`
	Code        string   `json:"code"`
	Version     int      `json:"version"`
}

// Validation is one authorization of a sample token.
type Validation struct {
	World          *World          `json:"world"`
	Result         json.RawMessage `json:"result"`
	AuthorizerCode string          `json:"authorizer_code"`
	RevocationIDs  []string        `json:"revocation_ids"`
}

// World is the reference's dump of the evaluated world. An origin of facts
// lists block indexes, null standing for the authorizer; the origin of
// rules and checks is a block index, the authorizer's being the largest
// uint64.
type World struct {
	Facts []struct {
		Origin []*uint64 `json:"origin"`
		Facts  []string  `json:"facts"`
	} `json:"facts"`
	Rules []struct {
		Origin uint64   `json:"origin"`
		Rules  []string `json:"rules"`
	} `json:"rules"`
	Checks []struct {
		Origin uint64   `json:"origin"`
		Checks []string `json:"checks"`
	} `json:"checks"`
	Policies []string `json:"policies"`
}

// ErrNotFound is returned when no samples folder exists.
var ErrNotFound = errors.New("samples: no Biscuit samples found: set $CODIOS_SAMPLES, or put them in ../shared/biscuit-samples beside the repository root")

// Dir returns the samples folder: $CODIOS_SAMPLES, or
// ../shared/biscuit-samples beside the repository root, the first folder
// above the working directory that holds .git.
func Dir() (string, error) {
	if d := os.Getenv("CODIOS_SAMPLES"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "samples.json")); err != nil {
			return "", fmt.Errorf("samples: $CODIOS_SAMPLES: %w", err)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			d := filepath.Join(filepath.Dir(dir), "shared", "biscuit-samples")
			if _, err := os.Stat(filepath.Join(d, "samples.json")); err != nil {
				return "", fmt.Errorf("%w (looked in %s)", ErrNotFound, d)
			}
			return d, nil
		}
		if filepath.Dir(dir) == dir {
			return "", ErrNotFound
		}
	}
}

// Load reads samples.json from Dir, and returns it with the folder.
func Load() (*File, string, error) {
	dir, err := Dir()
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(filepath.Join(dir, "samples.json"))
	if err != nil {
		return nil, "", err
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, "", fmt.Errorf("samples: parsing samples.json: %w", err)
	}
	return &f, dir, nil
}
