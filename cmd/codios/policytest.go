package main

import (
	"io"
	"math"

	"github.com/codios/codios/policies/policytest"
)

// runTest runs the policy test files under each PATH (the current folder
// when none is given): one line per case, a diff for each failure, then
// "N passed, M failed". It exits 1 when a case fails, 2 when a test file
// or its Datalog cannot be read.
func runTest(args []string, stdout, stderr io.Writer) int {
	paths, code, done := parseFlags(newFlags("test"), args, math.MaxInt, stdout, stderr)
	if done {
		return code
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	_, failed, err := policytest.Run(paths, stdout)
	if err != nil {
		return fail(stderr, "test", err)
	}
	if failed > 0 {
		return exitDeny
	}
	return exitOK
}
