package policies_test

import (
	"strings"
	"testing"

	"github.com/codios/codios/policies/policytest"
)

// TestLibrary runs every case of the library's test files.
func TestLibrary(t *testing.T) {
	var out strings.Builder
	passed, failed, err := policytest.Run([]string{"."}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 || passed == 0 {
		t.Errorf("%d passed, %d failed", passed, failed)
	}
}
