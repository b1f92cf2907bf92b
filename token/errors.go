package token

import (
	"errors"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token/internal/format"
)

// Errors of token handling. Each error the package returns wraps one of
// these (or one of datalog's), so callers branch with errors.Is.
var (
	// ErrFormat is a token, block or request that does not decode: bad
	// protobuf, base64, symbols, versions or Datalog.
	ErrFormat = format.ErrFormat
	// ErrUnknownRootKey is a root key id that the key set does not hold.
	ErrUnknownRootKey = errors.New("token: unknown root key")
	// ErrSealed is an attempt to attenuate a sealed token.
	ErrSealed = errors.New("token: sealed tokens cannot be attenuated")
	// ErrLimit is a token over one of the Limits; it is datalog.ErrLimit,
	// so one check covers evaluation limits too.
	ErrLimit = datalog.ErrLimit
)
