package pb

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// The hand-written decoders of this file read the messages a verifier
// decodes on every call, Biscuit and Block, into the generated types, as
// proto.Unmarshal would and several times faster: no reflection, and the
// small messages of a block come from a few shared slabs instead of one
// allocation each. The generated code stays the reference: decode_test.go
// checks that both give the same message, or both an error, on the
// samples and on fuzzed input.
//
// They follow proto.Unmarshal (google.golang.org/protobuf v1.36) where the
// wire leaves room: the last value of a scalar field wins; a singular
// message field seen twice is merged; a oneof member replaces another, or
// is merged into the same member; a known field with the wrong wire type
// and an unknown field are skipped (proto.Unmarshal keeps them as unknown
// fields, which no caller reads); a repeated scalar is read packed or not;
// proto2 strings are not checked for UTF-8; enums are open; nesting deeper
// than protowire.DefaultRecursionLimit messages is an error; and a missing
// required field, checked once the whole message is read, is an error.

// ErrDecode is the error of the hand-written decoders, for any input that
// proto.Unmarshal refuses.
var ErrDecode = errors.New("protobuf: cannot parse the message")

// errRequired is a missing required field.
var errRequired = errors.New("protobuf: required field not set")

// decoder holds the state of one decoding: the slabs that the small
// messages of a block are cut from, and whether a part of the input that
// encodes a message lacks one of its required fields. As for
// proto.Unmarshal, that is decided part by part (a message may be written
// in several parts, merged), and then the whole tree is checked at the
// end: a later part may provide the field, and the check may then find
// another one missing where reading did not look.
type decoder struct {
	incomplete bool

	terms slab[Term]
	preds slab[Predicate]
	ops   slab[Op]
	vals  slab[Op_Value]
	ints  slab[Term_Integer]
	strs  slab[Term_String_]
	vars  slab[Term_Variable]
	dates slab[Term_Date]
	bins  slab[OpBinary]
	binOp slab[Op_Binary]
	u64s  slab[uint64]
}

// slab hands out values of one type from a few allocations: 4 at first,
// then twice as many each time, up to 64.
type slab[T any] struct {
	free []T
	next int
}

func (s *slab[T]) get() *T {
	if len(s.free) == 0 {
		s.next = min(max(2*s.next, 4), 64)
		s.free = make([]T, s.next)
	}
	v := &s.free[0]
	s.free = s.free[1:]
	return v
}

func (d *decoder) uint64Ptr(v uint64) *uint64 {
	p := d.u64s.get()
	*p = v
	return p
}

// field reads the tag of the next field.
func field(b []byte) (protowire.Number, protowire.Type, int, error) {
	var tag uint64
	var n int
	if b[0] < 0x80 {
		tag, n = uint64(b[0]), 1
	} else {
		tag, n = protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, 0, 0, ErrDecode
		}
	}
	num := tag >> 3
	if num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
		return 0, 0, 0, ErrDecode
	}
	typ := protowire.Type(tag & 7)
	if typ == protowire.EndGroupType {
		return 0, 0, 0, ErrDecode
	}
	return protowire.Number(num), typ, n, nil
}

// skip skips a field's value: an unknown field, or a known one with the
// wrong wire type.
func skip(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, ErrDecode
	}
	return n, nil
}

func varint(b []byte) (uint64, int, error) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, ErrDecode
	}
	return v, n, nil
}

func bytesField(b []byte) ([]byte, int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, ErrDecode
	}
	return v, n, nil
}

// cloneBytes copies a bytes field as proto.Unmarshal does: present and
// empty is a non-nil empty slice.
func cloneBytes(v []byte) []byte { return append([]byte{}, v...) }

// enter counts one more level of nesting.
func enter(depth int) (int, error) {
	if depth--; depth < 0 {
		return 0, ErrDecode
	}
	return depth, nil
}

// oneofMember decodes a message member of a oneof other than its first
// field. proto.Unmarshal does not notice, while reading, that a required
// field is missing inside one (it is found if something else makes it
// check the whole message): neither does this.
func (d *decoder) oneofMember(decode func() error) error {
	saved := d.incomplete
	err := decode()
	d.incomplete = saved
	return err
}

// finish ends a decoding: if a message lacked a required field, the whole
// tree is checked now that every part of it has been read.
func (d *decoder) finish(complete func() bool) error {
	if d.incomplete && !complete() {
		return errRequired
	}
	return nil
}

// UnmarshalBiscuit decodes a token as proto.Unmarshal does. Its bytes
// fields are copies: m does not alias b.
func UnmarshalBiscuit(b []byte, m *Biscuit) error {
	var d decoder
	if err := d.biscuit(b, m, protowire.DefaultRecursionLimit); err != nil {
		return err
	}
	return d.finish(m.complete)
}

// UnmarshalBlock decodes a block as proto.Unmarshal does. Its bytes fields
// are copies: m does not alias b.
func UnmarshalBlock(b []byte, m *Block) error {
	var d decoder
	if err := d.block(b, m, protowire.DefaultRecursionLimit); err != nil {
		return err
	}
	return d.finish(m.complete)
}

func (d *decoder) biscuit(b []byte, m *Biscuit, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 2 && typ == protowire.BytesType {
			seen |= 1 << 2
		}
		if num == 4 && typ == protowire.BytesType {
			seen |= 1 << 4
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := uint32(v)
				m.RootKeyId = &x
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Authority == nil {
					m.Authority = &SignedBlock{}
				}
				err = d.signedBlock(v, m.Authority, depth)
			}
		case num == 3 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				sb := &SignedBlock{}
				m.Blocks = append(m.Blocks, sb)
				err = d.signedBlock(v, sb, depth)
			}
		case num == 4 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Proof == nil {
					m.Proof = &Proof{}
				}
				err = d.proof(v, m.Proof, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<2|1<<4 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) signedBlock(b []byte, m *SignedBlock, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			seen |= 1 << 1
		}
		if num == 2 && typ == protowire.BytesType {
			seen |= 1 << 2
		}
		if num == 3 && typ == protowire.BytesType {
			seen |= 1 << 3
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Block = cloneBytes(v)
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.NextKey == nil {
					m.NextKey = &PublicKey{}
				}
				err = d.publicKey(v, m.NextKey, depth)
			}
		case num == 3 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Signature = cloneBytes(v)
			}
		case num == 4 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.ExternalSignature == nil {
					m.ExternalSignature = &ExternalSignature{}
				}
				err = d.externalSignature(v, m.ExternalSignature, depth)
			}
		case num == 5 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := uint32(v)
				m.Version = &x
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1|1<<2|1<<3 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) externalSignature(b []byte, m *ExternalSignature, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			seen |= 1 << 1
		}
		if num == 2 && typ == protowire.BytesType {
			seen |= 1 << 2
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Signature = cloneBytes(v)
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.PublicKey == nil {
					m.PublicKey = &PublicKey{}
				}
				err = d.publicKey(v, m.PublicKey, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1|1<<2 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) publicKey(b []byte, m *PublicKey, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			seen |= 1 << 1
		}
		if num == 2 && typ == protowire.BytesType {
			seen |= 1 << 2
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := PublicKey_Algorithm(int32(v))
				m.Algorithm = &x
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Key = cloneBytes(v)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1|1<<2 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) proof(b []byte, m *Proof, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Content = &Proof_NextSecret{NextSecret: cloneBytes(v)}
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Content = &Proof_FinalSignature{FinalSignature: cloneBytes(v)}
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) block(b []byte, m *Block, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Symbols = append(m.Symbols, string(v))
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				s := string(v)
				m.Context = &s
			}
		case num == 3 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := uint32(v)
				m.Version = &x
			}
		case num == 4 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				f := &Fact{}
				m.Facts = append(m.Facts, f)
				err = d.fact(v, f, depth)
			}
		case num == 5 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				r := &Rule{}
				m.Rules = append(m.Rules, r)
				err = d.rule(v, r, depth)
			}
		case num == 6 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				c := &Check{}
				m.Checks = append(m.Checks, c)
				err = d.check(v, c, depth)
			}
		case num == 7 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				s := &Scope{}
				m.Scope = append(m.Scope, s)
				err = d.scope(v, s, depth)
			}
		case num == 8 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				k := &PublicKey{}
				m.PublicKeys = append(m.PublicKeys, k)
				err = d.publicKey(v, k, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) scope(b []byte, m *Scope, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Content = &Scope_ScopeType_{ScopeType: Scope_ScopeType(int32(v))}
			}
		case num == 2 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Content = &Scope_PublicKey{PublicKey: int64(v)}
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) fact(b []byte, m *Fact, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			seen |= 1 << 1
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Predicate == nil {
					m.Predicate = d.preds.get()
				}
				err = d.pred(v, m.Predicate, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) rule(b []byte, m *Rule, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			seen |= 1 << 1
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Head == nil {
					m.Head = d.preds.get()
				}
				err = d.pred(v, m.Head, depth)
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				p := d.preds.get()
				m.Body = append(m.Body, p)
				err = d.pred(v, p, depth)
			}
		case num == 3 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				e := &Expression{}
				m.Expressions = append(m.Expressions, e)
				err = d.expression(v, e, depth)
			}
		case num == 4 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				s := &Scope{}
				m.Scope = append(m.Scope, s)
				err = d.scope(v, s, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) check(b []byte, m *Check, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				r := &Rule{}
				m.Queries = append(m.Queries, r)
				err = d.rule(v, r, depth)
			}
		case num == 2 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := Check_Kind(int32(v))
				m.Kind = &x
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) pred(b []byte, m *Predicate, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			seen |= 1 << 1
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Name = d.uint64Ptr(v)
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				t := d.terms.get()
				m.Terms = append(m.Terms, t)
				err = d.termMsg(v, t, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) termMsg(b []byte, m *Term, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num <= 6 && num != 5 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				d.termScalar(m, num, v)
			}
		case num == 5 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				m.Content = &Term_Bytes{Bytes: cloneBytes(v)}
			}
		case num == 7 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				c, ok := m.Content.(*Term_Set)
				if !ok {
					c = &Term_Set{Set: &TermSet{}}
					m.Content = c
				}
				err = d.oneofMember(func() error { return d.termList(v, &c.Set.Set, depth) })
			}
		case num == 8 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				c, ok := m.Content.(*Term_Null)
				if !ok {
					c = &Term_Null{Null: &Empty{}}
					m.Content = c
				}
				err = d.oneofMember(func() error { return d.empty(v, depth) })
			}
		case num == 9 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				c, ok := m.Content.(*Term_Array)
				if !ok {
					c = &Term_Array{Array: &Array{}}
					m.Content = c
				}
				err = d.oneofMember(func() error { return d.termList(v, &c.Array.Array, depth) })
			}
		case num == 10 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				c, ok := m.Content.(*Term_Map)
				if !ok {
					c = &Term_Map{Map: &Map{}}
					m.Content = c
				}
				err = d.oneofMember(func() error { return d.mapMsg(v, c.Map, depth) })
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// termScalar sets a term to one of its varint members, the common case,
// from the slabs.
func (d *decoder) termScalar(m *Term, num protowire.Number, v uint64) {
	switch num {
	case 1:
		c := d.vars.get()
		c.Variable = uint32(v)
		m.Content = c
	case 2:
		c := d.ints.get()
		c.Integer = int64(v)
		m.Content = c
	case 3:
		c := d.strs.get()
		c.String_ = v
		m.Content = c
	case 4:
		c := d.dates.get()
		c.Date = v
		m.Content = c
	case 6:
		m.Content = &Term_Bool{Bool: protowire.DecodeBool(v)}
	}
}

// termList decodes a TermSet or an Array: both are a list of terms in
// field 1.
func (d *decoder) termList(b []byte, list *[]*Term, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				t := d.terms.get()
				*list = append(*list, t)
				err = d.termMsg(v, t, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) empty(b []byte, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if n, err = skip(num, typ, b); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) mapMsg(b []byte, m *Map, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				e := &MapEntry{}
				m.Entries = append(m.Entries, e)
				err = d.mapEntry(v, e, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) mapEntry(b []byte, m *MapEntry, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			seen |= 1 << 1
		}
		if num == 2 && typ == protowire.BytesType {
			seen |= 1 << 2
		}
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Key == nil {
					m.Key = &MapKey{}
				}
				err = d.mapKey(v, m.Key, depth)
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				if m.Value == nil {
					m.Value = d.terms.get()
				}
				err = d.termMsg(v, m.Value, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1|1<<2 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) mapKey(b []byte, m *MapKey, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Content = &MapKey_Integer{Integer: int64(v)}
			}
		case num == 2 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Content = &MapKey_String_{String_: v}
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) expression(b []byte, m *Expression, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				o := d.ops.get()
				m.Ops = append(m.Ops, o)
				err = d.opMsg(v, o, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) opMsg(b []byte, m *Op, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if typ != protowire.BytesType || num > 4 {
			if n, err = skip(num, typ, b); err != nil {
				return err
			}
			b = b[n:]
			continue
		}
		v, n, err := bytesField(b)
		if err != nil {
			return err
		}
		switch num {
		case 1:
			c, ok := m.Content.(*Op_Value)
			if !ok {
				c = d.vals.get()
				c.Value = d.terms.get()
				m.Content = c
			}
			err = d.termMsg(v, c.Value, depth)
		case 2:
			c, ok := m.Content.(*Op_Unary)
			if !ok {
				c = &Op_Unary{Unary: &OpUnary{}}
				m.Content = c
			}
			err = d.oneofMember(func() error { return d.opUnary(v, c.Unary, depth) })
		case 3:
			c, ok := m.Content.(*Op_Binary)
			if !ok {
				c = d.binOp.get()
				c.Binary = d.bins.get()
				m.Content = c
			}
			err = d.oneofMember(func() error { return d.opBinary(v, c.Binary, depth) })
		case 4:
			c, ok := m.Content.(*Op_Closure)
			if !ok {
				c = &Op_Closure{Closure: &OpClosure{}}
				m.Content = c
			}
			err = d.oneofMember(func() error { return d.opClosure(v, c.Closure, depth) })
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) opUnary(b []byte, m *OpUnary, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			seen |= 1 << 1
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := OpUnary_Kind(int32(v))
				m.Kind = &x
			}
		case num == 2 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.FfiName = d.uint64Ptr(v)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) opBinary(b []byte, m *OpBinary, depth int) error {
	_, err := enter(depth)
	if err != nil {
		return err
	}
	var seen uint8 // the required fields this part of the input sets
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			seen |= 1 << 1
		}
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				x := OpBinary_Kind(int32(v))
				m.Kind = &x
			}
		case num == 2 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.FfiName = d.uint64Ptr(v)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if seen != 1<<1 {
		d.incomplete = true
	}
	return nil
}

func (d *decoder) opClosure(b []byte, m *OpClosure, depth int) error {
	depth, err := enter(depth)
	if err != nil {
		return err
	}
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			var v uint64
			if v, n, err = varint(b); err == nil {
				m.Params = append(m.Params, uint32(v))
			}
		case num == 1 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				for len(v) > 0 {
					x, k, e := varint(v)
					if e != nil {
						err = e
						break
					}
					m.Params = append(m.Params, uint32(x))
					v = v[k:]
				}
			}
		case num == 2 && typ == protowire.BytesType:
			var v []byte
			if v, n, err = bytesField(b); err == nil {
				o := d.ops.get()
				m.Ops = append(m.Ops, o)
				err = d.opMsg(v, o, depth)
			}
		default:
			n, err = skip(num, typ, b)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// The complete methods report whether every required field of a message
// and of the messages it holds is set, as proto.Unmarshal checks it.

func (m *Biscuit) complete() bool {
	if m.Authority == nil || m.Proof == nil || !m.Authority.complete() {
		return false
	}
	for _, b := range m.Blocks {
		if !b.complete() {
			return false
		}
	}
	return true
}

func (m *SignedBlock) complete() bool {
	return m.Block != nil && m.NextKey != nil && m.Signature != nil && m.NextKey.complete() &&
		(m.ExternalSignature == nil || m.ExternalSignature.complete())
}

func (m *ExternalSignature) complete() bool {
	return m.Signature != nil && m.PublicKey != nil && m.PublicKey.complete()
}

func (m *PublicKey) complete() bool { return m.Algorithm != nil && m.Key != nil }

func (m *Block) complete() bool {
	for _, f := range m.Facts {
		if f.Predicate == nil || !f.Predicate.complete() {
			return false
		}
	}
	for _, r := range m.Rules {
		if !r.complete() {
			return false
		}
	}
	for _, c := range m.Checks {
		for _, q := range c.Queries {
			if !q.complete() {
				return false
			}
		}
	}
	for _, k := range m.PublicKeys {
		if !k.complete() {
			return false
		}
	}
	return true
}

func (m *Rule) complete() bool {
	if m.Head == nil || !m.Head.complete() {
		return false
	}
	for _, p := range m.Body {
		if !p.complete() {
			return false
		}
	}
	for _, e := range m.Expressions {
		if !opsComplete(e.Ops) {
			return false
		}
	}
	return true
}

func (m *Predicate) complete() bool { return m.Name != nil && termsComplete(m.Terms) }

func termsComplete(terms []*Term) bool {
	for _, t := range terms {
		if !t.complete() {
			return false
		}
	}
	return true
}

func (m *Term) complete() bool {
	switch c := m.Content.(type) {
	case *Term_Set:
		return termsComplete(c.Set.Set)
	case *Term_Array:
		return termsComplete(c.Array.Array)
	case *Term_Map:
		for _, e := range c.Map.Entries {
			if e.Key == nil || e.Value == nil || !e.Value.complete() {
				return false
			}
		}
	}
	return true
}

func opsComplete(ops []*Op) bool {
	for _, o := range ops {
		switch c := o.Content.(type) {
		case *Op_Value:
			if !c.Value.complete() {
				return false
			}
		case *Op_Unary:
			if c.Unary.Kind == nil {
				return false
			}
		case *Op_Binary:
			if c.Binary.Kind == nil {
				return false
			}
		case *Op_Closure:
			if !opsComplete(c.Closure.Ops) {
				return false
			}
		}
	}
	return true
}
