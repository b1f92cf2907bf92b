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

// ExpiredAt reports whether c is an expiry check, of the form
// ExpiryCheck makes ("check if time($t), $t < until", or <=), and its
// time: a request it fails came after the token expired, which is how
// people should be told of it.
func ExpiredAt(c datalog.Check) (time.Time, bool) {
	if c.Kind != datalog.CheckIf || len(c.Queries) != 1 {
		return time.Time{}, false
	}
	q := c.Queries[0]
	if len(q.Predicates) != 1 || len(q.Expressions) != 1 || len(q.Scopes) != 0 {
		return time.Time{}, false
	}
	p := q.Predicates[0]
	if p.Name != "time" || len(p.Terms) != 1 {
		return time.Time{}, false
	}
	v, ok := p.Terms[0].(datalog.Variable)
	if !ok {
		return time.Time{}, false
	}
	ops := q.Expressions[0].Ops
	if len(ops) != 3 {
		return time.Time{}, false
	}
	left, ok1 := ops[0].(datalog.Value)
	right, ok2 := ops[1].(datalog.Value)
	cmp, ok3 := ops[2].(datalog.Binary)
	if !ok1 || !ok2 || !ok3 || (cmp.Op != datalog.OpLessThan && cmp.Op != datalog.OpLessOrEqual) {
		return time.Time{}, false
	}
	if lv, ok := left.Term.(datalog.Variable); !ok || lv != v {
		return time.Time{}, false
	}
	until, ok := right.Term.(datalog.Date)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(until), 0).UTC(), true
}
