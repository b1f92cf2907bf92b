package sdk

import (
	"os"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

// TestMain raises Datalog's wall-clock limit: under -race and beside the
// other packages' tests on two cores, an evaluation of microseconds is
// now and then descheduled past 20ms, and the middleware rightly answers
// 503. TestEvaluationLimits sets its own limits.
func TestMain(m *testing.M) {
	datalog.DefaultLimits.MaxTime = time.Minute
	os.Exit(m.Run())
}
