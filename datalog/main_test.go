package datalog

import (
	"os"
	"testing"
	"time"
)

// TestMain lifts the default time limit for this package's tests: under
// -race, beside other test binaries on two cores, a 20 ms wall-clock
// limit fires on evaluations that take microseconds alone. Tests of
// decisions are not tests of the clock; the tests of the time limit set
// it explicitly.
func TestMain(m *testing.M) {
	DefaultLimits.MaxTime = time.Minute
	os.Exit(m.Run())
}
