package datalog

import "time"

// Limits bounds every loop over untrusted input, in parsing and in
// evaluation. The zero value of a field means its default (see
// [DefaultLimits]), so a caller sets only what it changes:
// Limits{MaxFacts: 50000}.
//
// Evaluation is bounded first by counted work, MaxSteps, so that a
// decision does not depend on how busy the machine is; MaxTime is only a
// backstop against a cost the steps would miss.
type Limits struct {
	// MaxSourceBytes bounds the size of one source text.
	MaxSourceBytes int
	// MaxParseErrors bounds how many errors one parse reports.
	MaxParseErrors int
	// MaxDepth bounds the nesting of expressions, collections and closures,
	// in source text and in decoded opcodes.
	MaxDepth int
	// MaxBlocks bounds the blocks of a world (of a token), the authority
	// block included and the authorizer aside. It is at most 126, the
	// blocks a fact's origin can name; a larger value means 126.
	MaxBlocks int
	// MaxFacts bounds the facts in a world, given and derived.
	MaxFacts int
	// MaxIterations bounds the rounds of the fixpoint.
	MaxIterations int
	// MaxSteps bounds the work of one evaluation (a run and its checks
	// and policies, or one query), counted in steps: a fact inserted, a
	// rule applied, a fact tried by a join, a query tried, an opcode
	// evaluated, and for operations on large values one step per 64 bytes
	// or per element they go through. A step costs tens of nanoseconds.
	MaxSteps int
	// MaxTime bounds one evaluation by the wall clock, from the start of
	// the fixpoint to the last policy. It is a generous backstop: on a
	// busy machine an evaluation can be descheduled for a long time.
	MaxTime time.Duration
	// MaxRegexpBytes bounds the length of a regular expression pattern.
	MaxRegexpBytes int
	// MaxValueBytes bounds a string or byte string computed by an
	// expression, and MaxValueBytes/8 the elements of a computed collection.
	MaxValueBytes int
}

// maxWorldBlocks is the most blocks a world can hold: an origin has one
// bit per block and one for the authorizer.
const maxWorldBlocks = authorizerBit - 1

// DefaultLimits returns the limits used where a field of [Limits] is zero.
//
// The default MaxSteps, one million, was chosen from measures: the
// standard request of the benchmarks takes 39 steps, the most costly
// Biscuit sample 251, the policy library's tests at most 81 (from a
// snapshot), and the largest benchmark program (1,000 derived facts over
// joins) 19,803; a hostile block that joins, or computes on large values,
// stops at one million steps after 7 to 40 ms of CPU. MaxTime, one second,
// fires only when the machine, not the evaluation, is at fault.
func DefaultLimits() Limits {
	return Limits{
		MaxSourceBytes: 1 << 20,
		MaxParseErrors: 10,
		MaxDepth:       64,
		MaxBlocks:      64,
		MaxFacts:       10000,
		MaxIterations:  100,
		MaxSteps:       1_000_000,
		MaxTime:        time.Second,
		MaxRegexpBytes: 1024,
		MaxValueBytes:  64 << 10,
	}
}

// WithDefaults returns the limits in effect: l with its zero fields taken
// from [DefaultLimits], and MaxBlocks at most 126.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	fill := func(f *int, def int) {
		if *f <= 0 {
			*f = def
		}
	}
	fill(&l.MaxSourceBytes, d.MaxSourceBytes)
	fill(&l.MaxParseErrors, d.MaxParseErrors)
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxBlocks, d.MaxBlocks)
	l.MaxBlocks = min(l.MaxBlocks, maxWorldBlocks)
	fill(&l.MaxFacts, d.MaxFacts)
	fill(&l.MaxIterations, d.MaxIterations)
	fill(&l.MaxSteps, d.MaxSteps)
	if l.MaxTime <= 0 {
		l.MaxTime = d.MaxTime
	}
	fill(&l.MaxRegexpBytes, d.MaxRegexpBytes)
	fill(&l.MaxValueBytes, d.MaxValueBytes)
	return l
}
