package datalog

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Term is one value in a predicate or an expression: a [Variable], an
// [Integer], a [String], a [Date], [Bytes], a [Bool], [Null], a [Set], an
// [Array] or a [Map].
type Term interface {
	Param
	// Kind names the term's type.
	Kind() Kind
	isTerm()
}

// Param is a value that can be bound to a {name} parameter of the source:
// any ground [Term], or a [PublicKey] for a parameter in a trusting clause.
type Param interface{ isParam() }

// Kind is the type of a term, as the type() method names it.
type Kind uint8

// The kinds of term. Their order is the order in which a set or a map sorts
// values of different kinds, the order of the reference implementation.
const (
	KindVariable Kind = iota
	KindInteger
	KindString
	KindDate
	KindBytes
	KindBool
	KindSet
	KindNull
	KindArray
	KindMap
)

var kindNames = [...]string{
	KindVariable: "variable",
	KindInteger:  "integer",
	KindString:   "string",
	KindDate:     "date",
	KindBytes:    "bytes",
	KindBool:     "bool",
	KindSet:      "set",
	KindNull:     "null",
	KindArray:    "array",
	KindMap:      "map",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

type (
	// Variable is a named variable, written $name.
	Variable string
	// Integer is a signed 64-bit integer; arithmetic on it is checked.
	Integer int64
	// String is a UTF-8 string.
	String string
	// Date is a point in time, in seconds since the Unix epoch (UTC).
	Date uint64
	// Bytes is a byte string, written hex:0a1b.
	Bytes []byte
	// Bool is true or false.
	Bool bool
	// Null is the absent value, written null.
	Null struct{}
	// Set is a deduplicated, canonically ordered set of ground values, none
	// of which is a set. Build one with [NewSet].
	Set []Term
	// Array is an ordered list of ground values.
	Array []Term
	// Map is a set of key/value pairs with unique [Integer] or [String]
	// keys, canonically ordered by key. Build one with [NewMap].
	Map []MapEntry
)

// MapEntry is one key/value pair of a [Map]. Key is an [Integer] or a [String].
type MapEntry struct {
	Key   Term
	Value Term
}

func (Variable) Kind() Kind { return KindVariable }
func (Integer) Kind() Kind  { return KindInteger }
func (String) Kind() Kind   { return KindString }
func (Date) Kind() Kind     { return KindDate }
func (Bytes) Kind() Kind    { return KindBytes }
func (Bool) Kind() Kind     { return KindBool }
func (Null) Kind() Kind     { return KindNull }
func (Set) Kind() Kind      { return KindSet }
func (Array) Kind() Kind    { return KindArray }
func (Map) Kind() Kind      { return KindMap }

func (Variable) isTerm() {}
func (Integer) isTerm()  {}
func (String) isTerm()   {}
func (Date) isTerm()     {}
func (Bytes) isTerm()    {}
func (Bool) isTerm()     {}
func (Null) isTerm()     {}
func (Set) isTerm()      {}
func (Array) isTerm()    {}
func (Map) isTerm()      {}

func (Variable) isParam() {}
func (Integer) isParam()  {}
func (String) isParam()   {}
func (Date) isParam()     {}
func (Bytes) isParam()    {}
func (Bool) isParam()     {}
func (Null) isParam()     {}
func (Set) isParam()      {}
func (Array) isParam()    {}
func (Map) isParam()      {}

// DateOf returns the Date of t, truncated to the second. Times before the
// epoch have no Date; DateOf returns 0 for them.
func DateOf(t time.Time) Date {
	if s := t.Unix(); s > 0 {
		return Date(s)
	}
	return 0
}

// Time returns d as a UTC time.
func (d Date) Time() time.Time { return time.Unix(int64(d), 0).UTC() }

// NewSet returns the set of the given values in canonical order, without
// duplicates. It does not check what the values are: a parser or a decoder
// rejects variables and nested sets before it builds a set.
func NewSet(values ...Term) Set {
	s := slices.Clone(values)
	slices.SortFunc(s, compare)
	return Set(slices.CompactFunc(s, func(a, b Term) bool { return compare(a, b) == 0 }))
}

// NewMap returns the map of the given entries in canonical key order. When
// a key repeats, the last entry wins.
func NewMap(entries ...MapEntry) Map {
	m := slices.Clone(entries)
	slices.SortStableFunc(m, func(a, b MapEntry) int { return compare(a.Key, b.Key) })
	out := m[:0]
	for i, e := range m {
		if i+1 < len(m) && compare(e.Key, m[i+1].Key) == 0 {
			continue
		}
		out = append(out, e)
	}
	return Map(out)
}

// compare orders two terms: first by kind, then by value. Strings order by
// their bytes, dates and integers by number, false before true, collections
// element by element. It is the canonical order of sets and map keys.
func compare(a, b Term) int {
	if c := cmp.Compare(a.Kind(), b.Kind()); c != 0 {
		return c
	}
	switch a := a.(type) {
	case Variable:
		return strings.Compare(string(a), string(b.(Variable)))
	case Integer:
		return cmp.Compare(a, b.(Integer))
	case String:
		return strings.Compare(string(a), string(b.(String)))
	case Date:
		return cmp.Compare(a, b.(Date))
	case Bytes:
		return bytes.Compare(a, b.(Bytes))
	case Bool:
		bb := b.(Bool)
		switch {
		case a == bb:
			return 0
		case !bool(a):
			return -1
		}
		return 1
	case Null:
		return 0
	case Set:
		return compareSlices(a, b.(Set))
	case Array:
		return compareSlices(a, b.(Array))
	case Map:
		return slices.CompareFunc(a, b.(Map), func(x, y MapEntry) int {
			if c := compare(x.Key, y.Key); c != 0 {
				return c
			}
			return compare(x.Value, y.Value)
		})
	}
	panic(fmt.Sprintf("datalog: compare of unknown term %T", a))
}

func compareSlices(a, b []Term) int { return slices.CompareFunc(a, b, compare) }

// Equal reports whether two terms are the same value.
func Equal(a, b Term) bool { return compare(a, b) == 0 }

// PublicKey is a key named in a trusting clause or carried by a third-party
// block: an algorithm and the key's bytes in the wire encoding.
type PublicKey struct {
	Algorithm Algorithm
	Key       []byte
}

func (PublicKey) isParam() {}

// Algorithm is a signature algorithm of a [PublicKey].
type Algorithm uint8

const (
	Ed25519 Algorithm = iota
	Secp256r1
)

func (a Algorithm) String() string {
	switch a {
	case Ed25519:
		return "ed25519"
	case Secp256r1:
		return "secp256r1"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// String prints the key as algorithm/hex, the form of the trusting clause.
func (k PublicKey) String() string { return k.Algorithm.String() + "/" + hex.EncodeToString(k.Key) }

// Equal reports whether two keys are the same.
func (k PublicKey) Equal(o PublicKey) bool {
	return k.Algorithm == o.Algorithm && bytes.Equal(k.Key, o.Key)
}
