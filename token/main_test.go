package token

import (
	"os"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

// TestMain lifts the default evaluation time limit for this package's
// tests: under -race, beside other test binaries on two cores, a 20 ms
// wall-clock limit fires on evaluations that take microseconds alone.
func TestMain(m *testing.M) {
	datalog.DefaultLimits.MaxTime = time.Minute
	os.Exit(m.Run())
}
