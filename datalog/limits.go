package datalog

import "time"

// Limits bounds every loop over untrusted input, in parsing and in
// evaluation. The zero value of a field means its default, so a caller sets
// only what it changes: Limits{MaxFacts: 50000}.
type Limits struct {
	// MaxSourceBytes bounds the size of one source text.
	MaxSourceBytes int
	// MaxParseErrors bounds how many errors one parse reports.
	MaxParseErrors int
	// MaxDepth bounds the nesting of expressions, collections and closures,
	// in source text and in decoded opcodes.
	MaxDepth int
	// MaxFacts bounds the facts in a world, given and derived.
	MaxFacts int
	// MaxIterations bounds the rounds of the fixpoint.
	MaxIterations int
	// MaxTime bounds one evaluation, from the start of the fixpoint to the
	// last policy.
	MaxTime time.Duration
	// MaxRegexpBytes bounds the length of a regular expression pattern.
	MaxRegexpBytes int
	// MaxValueBytes bounds a string or byte string computed by an
	// expression, and MaxValueBytes/8 the elements of a computed collection.
	MaxValueBytes int
}

// DefaultLimits are the limits used where a field is zero.
var DefaultLimits = Limits{
	MaxSourceBytes: 1 << 20,
	MaxParseErrors: 10,
	MaxDepth:       64,
	MaxFacts:       10000,
	MaxIterations:  100,
	MaxTime:        20 * time.Millisecond,
	MaxRegexpBytes: 1024,
	MaxValueBytes:  64 << 10,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = d.MaxSourceBytes
	}
	if l.MaxParseErrors <= 0 {
		l.MaxParseErrors = d.MaxParseErrors
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxFacts <= 0 {
		l.MaxFacts = d.MaxFacts
	}
	if l.MaxIterations <= 0 {
		l.MaxIterations = d.MaxIterations
	}
	if l.MaxTime <= 0 {
		l.MaxTime = d.MaxTime
	}
	if l.MaxRegexpBytes <= 0 {
		l.MaxRegexpBytes = d.MaxRegexpBytes
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = d.MaxValueBytes
	}
	return l
}
