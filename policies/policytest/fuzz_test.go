package policytest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFile checks that no test file panics the parser, seeded from
// the test files of testdata and of the library.
func FuzzParseFile(f *testing.F) {
	for _, pattern := range []string{"testdata/*_test.txt", "testdata/*/*_test.txt", "testdata/*/*/*_test.txt", "../*/*_test.txt"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		tf, err := parseFile("x_test.txt", text)
		if err == nil && len(tf.cases) == 0 {
			t.Errorf("a file without cases parsed")
		}
	})
}
