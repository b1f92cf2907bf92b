package sdk

import "errors"

// Errors of the SDK. Errors from token and datalog pass through wrapped,
// so errors.Is finds token.ErrFormat, token.ErrInvalidSignature and the
// others too.
var (
	// ErrNoToken is a request without a bearer token.
	ErrNoToken = errors.New("sdk: no bearer token")
	// ErrMalformedHeader is an Authorization header that is not a single
	// bearer token.
	ErrMalformedHeader = errors.New("sdk: malformed Authorization header")
	// ErrInvalidBudget is a budget(calls, "period") fact out of shape or
	// bounds.
	ErrInvalidBudget = errors.New("sdk: invalid budget")
	// ErrStaleRevocations is a revocation list older than its maximum
	// age: it may miss a revocation, so the guard fails closed.
	ErrStaleRevocations = errors.New("sdk: revocation list too old")
	// ErrIncompleteRevocations is a revocation list without its end line,
	// or with more after it: most likely a file caught while being
	// rewritten in place.
	ErrIncompleteRevocations = errors.New("sdk: revocation list incomplete")
	// ErrInvalidName is an agent or service name that is empty, too long
	// or has characters other than letters, digits and "._-:@".
	ErrInvalidName = errors.New("sdk: invalid name")
	// ErrNoTokenHeld is an agent asked to use a token before it has one.
	ErrNoTokenHeld = errors.New("sdk: the agent holds no token")
	// ErrBadPath is a request path that is not in its clean form ("..",
	// "//", "."): a prefix check on it would be unsound.
	ErrBadPath = errors.New("sdk: request path not clean")
)
