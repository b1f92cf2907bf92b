package policytest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codios/codios/policies/policytest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// golden compares got with the file testdata/name, or rewrites the file
// under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestRunPassing(t *testing.T) {
	var out strings.Builder
	passed, failed, err := policytest.Run([]string{"testdata/pass"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 4 || failed != 0 {
		t.Errorf("Run = %d passed, %d failed; want 4, 0", passed, failed)
	}
	golden(t, "pass.golden", out.String())
}

func TestRunFailing(t *testing.T) {
	var out strings.Builder
	passed, failed, err := policytest.Run([]string{"testdata/fail_test.txt"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 1 || failed != 7 {
		t.Errorf("Run = %d passed, %d failed; want 1, 7", passed, failed)
	}
	golden(t, "fail.golden", out.String())
}

// TestRunFiles runs a file and a directory together: the files are
// collected in the order given.
func TestRunFiles(t *testing.T) {
	var out strings.Builder
	passed, failed, err := policytest.Run([]string{"testdata/fail_test.txt", "testdata/pass"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 5 || failed != 7 {
		t.Errorf("Run = %d passed, %d failed; want 5, 7", passed, failed)
	}
	if !strings.HasSuffix(out.String(), "\n5 passed, 7 failed\n") {
		t.Errorf("the last line is not the summary:\n%s", out.String())
	}
}

func TestRunBadInput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		paths []string
		want  string
	}{
		{"missing", []string{"testdata/nothing_test.txt"}, "testdata/nothing_test.txt: no such file"},
		{"empty directory", []string{t.TempDir()}, "no test files (*_test.txt) in "},
		{"testdata skipped", []string{"."}, "no test files (*_test.txt) in ."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			_, _, err := policytest.Run(tt.paths, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("Run printed on bad input:\n%s", out.String())
			}
		})
	}
}
