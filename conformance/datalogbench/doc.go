// Package datalogbench benchmarks Codios's Datalog engine side by side
// with biscuit-go v2.2.0 (github.com/biscuit-auth/biscuit-go/v2), on the
// same programs: the main module's benchmark programs, copied in
// programs_test.go. It has no code outside its tests; it lives in the
// conformance module so that biscuit-go never becomes a dependency of the
// main module.
//
// Each benchmark has sub-benchmarks named impl=codios, impl=biscuitgo and,
// where it applies, a second biscuit-go variant, so that benchstat can put
// the implementations in columns (see README.md). TestSameAnswers checks
// that both engines give the same answer on every benchmark program, and
// on a denied variant of each, so that no comparison measures unequal work.
//
// biscuit-go v2.2.0 implements Datalog v3.0: its lists are sets, it has no
// arrays, maps or closures; its parser reads comments only at the top of a
// source. The programs are written in the syntax both engines read.
package datalogbench
