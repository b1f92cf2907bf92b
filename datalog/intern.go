package datalog

import (
	"encoding/binary"
	"slices"
)

// val is an interned value: a kind and 64 bits. Integers, dates and
// booleans are held in n; strings, byte strings and collections are
// interned, and n is their id. Two vals are equal exactly when their values
// are, so vals compare with == and serve as map keys.
type val struct {
	k Kind
	n uint64
}

// kindUnbound marks an empty variable slot.
const kindUnbound Kind = 255

var unbound = val{k: kindUnbound}

// interner owns the strings, byte strings and collections of one world.
type interner struct {
	strs    []string
	strIDs  map[string]uint64 // nil while strs is short: see str
	comps   []composite
	compIDs map[string]uint64 // nil while comps is short: see collection
	keyBuf  []byte
	// base is the frozen interner of a snapshot that this one continues
	// (see continueFrom): ids below nstrs and ncomps are base's, found
	// through base's maps; strs and comps hold only this one's, numbered
	// after them.
	base          *interner
	nstrs, ncomps uint64
}

// strAt returns the string or byte string of id.
func (in *interner) strAt(id uint64) string {
	if id < in.nstrs {
		return in.base.strs[id]
	}
	return in.strs[id-in.nstrs]
}

// compAt returns the collection of id.
func (in *interner) compAt(id uint64) *composite {
	if id < in.ncomps {
		return &in.base.comps[id]
	}
	return &in.comps[id-in.ncomps]
}

// composite is an interned set, array or map. A set's elements are sorted
// by (kind, n), an order that makes equal sets identical; a map's elems
// alternate key and value, sorted by key.
type composite struct {
	kind  Kind
	elems []val
}

func newInterner() *interner { return &interner{} }

// reserve sizes an empty interner for about strs strings and comps
// collections.
func (in *interner) reserve(strs, comps int) {
	if len(in.strs) == 0 {
		in.strs = make([]string, 0, strs)
	}
	if len(in.comps) == 0 && comps > 0 {
		in.comps = make([]composite, 0, comps)
	}
}

// maxScannedStrs is the number of strings up to which an interner finds
// a string by scanning them; past it, a map takes over.
const maxScannedStrs = 16

func (in *interner) str(s string) uint64 {
	if b := in.base; b != nil {
		if id, ok := b.strIDs[s]; ok {
			return id
		}
	}
	if in.strIDs == nil {
		for i, x := range in.strs {
			if x == s {
				return in.nstrs + uint64(i)
			}
		}
		if len(in.strs) >= maxScannedStrs {
			in.strIDs = make(map[string]uint64, 2*len(in.strs))
			for i, x := range in.strs {
				in.strIDs[x] = in.nstrs + uint64(i)
			}
		}
	} else if id, ok := in.strIDs[s]; ok {
		return id
	}
	id := in.nstrs + uint64(len(in.strs))
	in.strs = append(in.strs, s)
	if in.strIDs != nil {
		in.strIDs[s] = id
	}
	return id
}

func compareVals(a, b val) int {
	if a.k != b.k {
		return int(a.k) - int(b.k)
	}
	switch {
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

// collection interns a collection of kind k. elems is owned by the
// interner afterwards. Sets are sorted and deduplicated here.
func (in *interner) collection(k Kind, elems []val) val {
	switch k {
	case KindSet:
		slices.SortFunc(elems, compareVals)
		elems = slices.Compact(elems)
	case KindMap:
		elems = sortMapElems(elems)
	}
	if b := in.base; b != nil {
		if id, ok := b.compIDs[string(in.key(k, elems))]; ok {
			return val{k, id}
		}
	}
	if in.compIDs == nil {
		for i, c := range in.comps {
			if c.kind == k && slices.Equal(c.elems, elems) {
				return val{k, in.ncomps + uint64(i)}
			}
		}
		if len(in.comps) < maxScannedComps {
			id := in.ncomps + uint64(len(in.comps))
			in.comps = append(in.comps, composite{kind: k, elems: elems})
			return val{k, id}
		}
		in.compIDs = make(map[string]uint64, 2*len(in.comps))
		for i, c := range in.comps {
			in.compIDs[string(in.key(c.kind, c.elems))] = in.ncomps + uint64(i)
		}
	}
	buf := in.key(k, elems)
	if id, ok := in.compIDs[string(buf)]; ok {
		return val{k, id}
	}
	id := in.ncomps + uint64(len(in.comps))
	in.comps = append(in.comps, composite{kind: k, elems: elems})
	in.compIDs[string(buf)] = id
	return val{k, id}
}

// maxScannedComps is the number of collections up to which an interner
// finds a collection by scanning them; past it, a map takes over.
const maxScannedComps = 8

// key encodes a collection for the map, in a buffer reused from call to
// call.
func (in *interner) key(k Kind, elems []val) []byte {
	buf := append(in.keyBuf[:0], byte(k))
	for _, e := range elems {
		buf = append(buf, byte(e.k))
		buf = binary.LittleEndian.AppendUint64(buf, e.n)
	}
	in.keyBuf = buf
	return buf
}

// sortMapElems sorts key/value pairs by key, keeping the last of equal keys.
func sortMapElems(elems []val) []val {
	type pair struct{ k, v val }
	pairs := make([]pair, len(elems)/2)
	for i := range pairs {
		pairs[i] = pair{elems[2*i], elems[2*i+1]}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return compareVals(a.k, b.k) })
	out := elems[:0]
	for i, p := range pairs {
		if i+1 < len(pairs) && pairs[i+1].k == p.k {
			continue
		}
		out = append(out, p.k, p.v)
	}
	return out
}

func (in *interner) elems(v val) []val { return in.compAt(v.n).elems }

// intern converts a ground term to a val.
func (in *interner) intern(t Term) val {
	switch t := t.(type) {
	case Integer:
		return val{KindInteger, uint64(t)}
	case String:
		return val{KindString, in.str(string(t))}
	case Date:
		return val{KindDate, uint64(t)}
	case Bytes:
		return val{KindBytes, in.str(string(t))}
	case Bool:
		if t {
			return val{KindBool, 1}
		}
		return val{KindBool, 0}
	case Null:
		return val{KindNull, 0}
	case Set:
		elems := make([]val, len(t))
		for i, e := range t {
			elems[i] = in.intern(e)
		}
		return in.collection(KindSet, elems)
	case Array:
		elems := make([]val, len(t))
		for i, e := range t {
			elems[i] = in.intern(e)
		}
		return in.collection(KindArray, elems)
	case Map:
		elems := make([]val, 0, 2*len(t))
		for _, e := range t {
			elems = append(elems, in.intern(e.Key), in.intern(e.Value))
		}
		return in.collection(KindMap, elems)
	}
	return unbound
}

// term converts a val back to a term, in canonical term order.
func (in *interner) term(v val) Term {
	switch v.k {
	case KindInteger:
		return Integer(int64(v.n))
	case KindString:
		return String(in.strAt(v.n))
	case KindDate:
		return Date(v.n)
	case KindBytes:
		return Bytes(in.strAt(v.n))
	case KindBool:
		return Bool(v.n == 1)
	case KindNull:
		return Null{}
	case KindSet:
		es := in.elems(v)
		ts := make([]Term, len(es))
		for i, e := range es {
			ts[i] = in.term(e)
		}
		return NewSet(ts...)
	case KindArray:
		es := in.elems(v)
		ts := make(Array, len(es))
		for i, e := range es {
			ts[i] = in.term(e)
		}
		return ts
	case KindMap:
		es := in.elems(v)
		entries := make([]MapEntry, len(es)/2)
		for i := range entries {
			entries[i] = MapEntry{Key: in.term(es[2*i]), Value: in.term(es[2*i+1])}
		}
		return NewMap(entries...)
	}
	return nil
}
