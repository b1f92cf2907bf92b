package policytest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/policies/policytest"
)

// head is a valid start of a test file: an authorizer and a time.
const head = "authorizer inline allow if true;\ntime 2029-01-01T00:00:00Z\n"

// badFiles are test files that Run must refuse, each with an error that
// names the line (and for Datalog, the column).
var badFiles = []struct{ name, text string }{
	{"unknown directive", head + "case \"a\"\n  authority inline a(1);\n  frobnicate 3\n  expect allow\n"},
	{"unquoted case name", head + "case a\n"},
	{"duplicate case name", head + "case \"a\"\n  authority inline a(1);\n  expect allow\ncase \"a\"\n"},
	{"no authority", head + "case \"a\"\n  expect allow\n"},
	{"no expectation", head + "case \"a\"\n  authority inline a(1);\n\ncase \"b\"\n"},
	{"two expectations", head + "case \"a\"\n  authority inline a(1);\n  expect allow\n  expect deny\n"},
	{"bad policy index", head + "case \"a\"\n  authority inline a(1);\n  expect allow policy x\n"},
	{"bad fail", head + "case \"a\"\n  authority inline a(1);\n  expect fail block 1\n"},
	{"fail none and a fail", head + "case \"a\"\n  authority inline a(1);\n  expect fail block 1 check 0\n  expect fail none\n"},
	{"bad time", head + "case \"a\"\n  time tomorrow\n"},
	{"param without a source", head + "case \"a\"\n  param x = 1\n"},
	{"param without =", head + "case \"a\"\n  authority inline a({x});\n  param x 1\n"},
	{"param given twice", head + "case \"a\"\n  authority inline a({x});\n  param x = 1\n  param x = 2\n"},
	{"source without file or inline", head + "case \"a\"\n  block check if a(1);\n"},
	{"third-party without a key", head + "case \"a\"\n  third-party inline a(1);\n"},
	{"fact outside a case", head + "fact a(1)\n"},
	{"block outside a case", head + "block inline a(1);\n"},
	{"no case", head},
	{"no authorizer", "case \"a\"\n  authority inline a(1);\n  expect allow\n"},
	{"inline Datalog", head + "case \"a\"\n  authority inline a(1); check if b($x;\n  expect allow\n"},
	{"inline authorizer", "authorizer inline allow if $x > 1;\ncase \"a\"\n  authority inline a(1);\n  expect allow\n"},
	{"a fact with a variable", head + "case \"a\"\n  authority inline a(1);\n  fact b($x)\n  expect allow\n"},
	{"a bad parameter value", head + "case \"a\"\n  authority inline a({x});\n    param x = [1,\n  expect allow\n"},
	{"an unbound parameter", head + "case \"a\"\n  authority inline a({x});\n  expect allow\n"},
	{"an unused parameter", head + "case \"a\"\n  authority file=block.datalog\n    param x = 1\n  expect allow\n"},
	{"Datalog in a file", head + "case \"a\"\n  authority file=bad.datalog\n  expect allow\n"},
	{"a missing file", head + "case \"a\"\n  authority file=missing.datalog\n  expect allow\n"},
	{"a policy in a block", head + "case \"a\"\n  authority inline allow if true;\n  expect allow\n"},
}

// TestBadFiles checks each error against testdata/errors.golden.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"block.datalog": "a(1);\n",
		"bad.datalog":   "// a comment\na(1);\ncheck if b(\"x\") trusting previous;\ncheck if c(1) &&;\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var all strings.Builder
	for _, tt := range badFiles {
		path := filepath.Join(dir, "x_test.txt")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		_, _, err := policytest.Run([]string{path}, &out)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed %q before the error", tt.name, out.String())
		}
		var fe *policytest.FormatError
		var pe datalog.ParseErrors
		if !errors.As(err, &fe) && !errors.As(err, &pe) && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: error %v is neither a FormatError nor Datalog ParseErrors", tt.name, err)
		}
		fmt.Fprintf(&all, "-- %s --\n%s\n\n", tt.name, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	golden(t, "errors.golden", all.String())
}
