package policytest_test

import (
	"fmt"
	"os"

	"github.com/codios/codios/policies/policytest"
)

// A command such as codios test runs the files it is given and exits 1
// when a case fails.
func ExampleRun() {
	_, failed, err := policytest.Run([]string{"testdata/pass/pass_test.txt"}, os.Stdout)
	if err != nil {
		fmt.Println(err) // bad input: exit 2
		return
	}
	if failed > 0 {
		fmt.Println("exit 1")
	}
	// Output:
	// PASS alice reads
	// PASS alice writes through a read-only token
	// 2 passed, 0 failed
}
