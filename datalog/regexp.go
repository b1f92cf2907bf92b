package datalog

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// Go's regexp runs in time linear in the text times the size of the
// compiled program, and the program can be far larger than the pattern's
// text: "(?:a{0,1000}){1}b" is 17 bytes and some 2,000 instructions. A
// match cannot be interrupted, so its cost is charged before it runs,
// from the program's size (regexpCost), and the evaluation stops at its
// step limit instead of running past the clock.
//
// Compiled patterns are kept for every world, as compiling is a pure
// function of the pattern: up to maxRegexpInsts instructions in all, the
// cache starting over when a new pattern would pass that.

// maxRegexpInsts bounds the instructions of the compiled patterns kept,
// some 40 bytes each.
const maxRegexpInsts = 1 << 18

// compiledRegexp is a pattern compiled; re is nil for a pattern that does
// not compile, which matches nothing, as in the reference.
type compiledRegexp struct {
	re    *regexp.Regexp
	insts int
}

var regexps struct {
	mu    sync.RWMutex
	m     map[string]*compiledRegexp
	insts int
}

// compileRegexp returns pattern compiled, and whether it was compiled
// now rather than found.
func compileRegexp(pattern string) (*compiledRegexp, bool) {
	regexps.mu.RLock()
	c, ok := regexps.m[pattern]
	regexps.mu.RUnlock()
	if ok {
		return c, false
	}
	c = &compiledRegexp{}
	if re, err := regexp.Compile(pattern); err == nil {
		c.re = re
		// regexp.Compile parsed it, so this does too.
		parsed, _ := syntax.Parse(pattern, syntax.Perl)
		if prog, err := syntax.Compile(parsed.Simplify()); err == nil {
			c.insts = len(prog.Inst)
		}
	}
	regexps.mu.Lock()
	if regexps.m == nil || regexps.insts+c.insts > maxRegexpInsts {
		regexps.m, regexps.insts = map[string]*compiledRegexp{}, 0
	}
	regexps.m[pattern] = c
	regexps.insts += c.insts
	regexps.mu.Unlock()
	return c, true
}

// regexpCost is the steps of matching text against a compiled pattern:
// a step for every four bytes of text times instructions, measured at
// about 5 ns each, so a step stays under some 20 ns as the others do;
// and compiling, a few steps an instruction, when it was not cached.
func regexpCost(text int, c *compiledRegexp, fresh bool) int {
	n := (text + 1) * (c.insts + 1) / 4
	if fresh {
		n += 4 * c.insts
	}
	return n
}
