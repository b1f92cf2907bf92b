package datalog

import "math/bits"

// Counted work of the operations on values whose cost grows with their
// size: an opcode is one step, and these add one step per bytesPerStep
// bytes or per element they go through, so that a long string or a large
// set costs what it takes. The costs are upper bounds of the Go code that
// carries them out (see binary, contains, setOp and matches).
const bytesPerStep = 64

// binaryCost is the steps of a binary operation on l and r, beyond its
// opcode's.
func (e *evaluator) binaryCost(b BinaryOp, l, r val) int {
	in := e.w.in
	size := func(v val) int {
		switch v.k {
		case KindString, KindBytes:
			return len(in.strAt(v.n)) / bytesPerStep
		case KindSet, KindArray, KindMap:
			return len(in.elems(v))
		}
		return 0
	}
	// lg is the steps of a binary search in v, a set.
	lg := func(v val) int { return bits.Len(uint(len(in.elems(v)))) }
	switch b {
	case OpAdd, OpContains, OpPrefix, OpSuffix, OpGet:
		switch {
		case b == OpGet && l.k == KindArray:
			return 0
		case b == OpContains && l.k == KindSet && r.k == KindSet:
			return size(r) * lg(l)
		case b == OpContains && l.k == KindSet:
			return lg(l)
		}
		return size(l) + size(r)
	case OpIntersection:
		if l.k == KindSet && r.k == KindSet {
			return size(l) * lg(r)
		}
	case OpUnion:
		if l.k == KindSet && r.k == KindSet {
			n := size(l) + size(r)
			return n * bits.Len(uint(n)) // sorted into one set
		}
	case OpRegex:
		if l.k == KindString && r.k == KindString {
			s, pattern := in.strAt(l.n), in.strAt(r.n)
			if len(pattern) > e.w.limits.MaxRegexpBytes {
				return 0 // refused before any work
			}
			c, fresh := compileRegexp(pattern)
			return regexpCost(len(s), c, fresh)
		}
	}
	return 0
}
