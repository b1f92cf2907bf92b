package samples

import (
	"errors"

	"github.com/codios/codios/datalog"
)

// Externs are the extern functions of the samples: test, as the
// reference's test harness defines it for sample 35.
var Externs = map[string]datalog.ExternFunc{"test": testExtern}

// testExtern returns its one argument; given two, it says whether they
// are equal strings; anything else is an error.
func testExtern(left, right datalog.Term) (datalog.Term, error) {
	if right == nil {
		return left, nil
	}
	l, lok := left.(datalog.String)
	r, rok := right.(datalog.String)
	switch {
	case lok && rok && l == r:
		return datalog.String("equal strings"), nil
	case lok && rok:
		return datalog.String("different strings"), nil
	}
	return nil, errExtern
}

// errExtern is the test function's error for arguments it does not take.
var errExtern = errors.New("test: takes one value, or two strings")
