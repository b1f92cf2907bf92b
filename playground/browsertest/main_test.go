package browsertest

import (
	"os"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

// TestMain raises Datalog's 20 ms wall-clock limit: under -race on two
// busy cores an evaluation of microseconds is now and then descheduled
// past it, and the tests are about outcomes, not that limit.
func TestMain(m *testing.M) {
	datalog.DefaultLimits.MaxTime = time.Minute
	os.Exit(m.Run())
}
