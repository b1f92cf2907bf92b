package token

import (
	"time"

	"github.com/codios/codios/datalog"
)

// ExpiryCheck is the check a block adds to expire: check if time($t),
// $t < until, until truncated to the second as Datalog dates are. It
// passes only for a request whose time fact is before until; a request
// without a time fact fails it.
func ExpiryCheck(until time.Time) datalog.Check {
	c, err := datalog.ParseCheck("check if time($t), $t < {until}",
		&datalog.ParseOptions{Params: datalog.Params{"until": datalog.DateOf(until)}})
	if err != nil {
		panic("token: expiry check does not parse: " + err.Error())
	}
	return c
}
