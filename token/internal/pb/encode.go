package pb

import "google.golang.org/protobuf/encoding/protowire"

// The hand-written encoders of this file write Biscuit and Block messages
// byte for byte as proto.Marshal writes them (fields in the order of their
// numbers; an optional or required field when its pointer or slice is not
// nil, a oneof's member whatever its value; repeated scalars unpacked, as
// proto2 declares them), without reflection and into one buffer.
// Unknown fields are not written: the messages the token package builds
// have none. encode_test.go compares both on the samples and on fuzzed
// messages.

// MarshalBiscuit encodes a token.
func MarshalBiscuit(m *Biscuit) []byte {
	n := 64 + signedBlockSize(m.Authority)
	for _, sb := range m.Blocks {
		n += signedBlockSize(sb)
	}
	return appendBiscuit(make([]byte, 0, n), m)
}

// signedBlockSize is about the size of a SignedBlock, a little more.
func signedBlockSize(m *SignedBlock) int {
	if m == nil {
		return 0
	}
	n := 32 + len(m.Block) + len(m.Signature)
	if m.NextKey != nil {
		n += len(m.NextKey.Key)
	}
	if e := m.ExternalSignature; e != nil {
		n += 48 + len(e.Signature)
	}
	return n
}

// blockSize is the capacity a block's encoding starts with: enough for an
// attenuation block of a few checks.
const blockSize = 256

// MarshalBlock encodes a block.
func MarshalBlock(m *Block) []byte { return appendBlock(make([]byte, 0, blockSize), m) }

// begin starts a length-delimited field: its tag and a one-byte length,
// fixed by end.
func begin(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = append(b, 0)
	return b, len(b)
}

// end writes the length of the field that begin started at start, moving
// its contents when the length needs more than one byte.
func end(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	k := protowire.SizeVarint(uint64(n))
	for range k - 1 {
		b = append(b, 0)
	}
	copy(b[start-1+k:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendString(b []byte, num protowire.Number, v string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

func appendBiscuit(b []byte, m *Biscuit) []byte {
	if m.RootKeyId != nil {
		b = appendVarint(b, 1, uint64(*m.RootKeyId))
	}
	var s int
	if m.Authority != nil {
		b, s = begin(b, 2)
		b = end(appendSignedBlock(b, m.Authority), s)
	}
	for _, sb := range m.Blocks {
		b, s = begin(b, 3)
		b = end(appendSignedBlock(b, sb), s)
	}
	if m.Proof != nil {
		b, s = begin(b, 4)
		switch c := m.Proof.Content.(type) {
		case *Proof_NextSecret:
			b = appendBytes(b, 1, c.NextSecret)
		case *Proof_FinalSignature:
			b = appendBytes(b, 2, c.FinalSignature)
		}
		b = end(b, s)
	}
	return b
}

func appendSignedBlock(b []byte, m *SignedBlock) []byte {
	if m.Block != nil {
		b = appendBytes(b, 1, m.Block)
	}
	if m.NextKey != nil {
		var s int
		b, s = begin(b, 2)
		b = end(appendPublicKey(b, m.NextKey), s)
	}
	if m.Signature != nil {
		b = appendBytes(b, 3, m.Signature)
	}
	if e := m.ExternalSignature; e != nil {
		var s int
		b, s = begin(b, 4)
		if e.Signature != nil {
			b = appendBytes(b, 1, e.Signature)
		}
		if e.PublicKey != nil {
			var s int
			b, s = begin(b, 2)
			b = end(appendPublicKey(b, e.PublicKey), s)
		}
		b = end(b, s)
	}
	if m.Version != nil {
		b = appendVarint(b, 5, uint64(*m.Version))
	}
	return b
}

func appendPublicKey(b []byte, m *PublicKey) []byte {
	if m.Algorithm != nil {
		b = appendVarint(b, 1, uint64(*m.Algorithm))
	}
	if m.Key != nil {
		b = appendBytes(b, 2, m.Key)
	}
	return b
}

func appendBlock(b []byte, m *Block) []byte {
	for _, s := range m.Symbols {
		b = appendString(b, 1, s)
	}
	if m.Context != nil {
		b = appendString(b, 2, *m.Context)
	}
	if m.Version != nil {
		b = appendVarint(b, 3, uint64(*m.Version))
	}
	var s int
	for _, f := range m.Facts {
		b, s = begin(b, 4)
		if f.Predicate != nil {
			var s int
			b, s = begin(b, 1)
			b = end(appendPredicate(b, f.Predicate), s)
		}
		b = end(b, s)
	}
	for _, r := range m.Rules {
		b, s = begin(b, 5)
		b = end(appendRule(b, r), s)
	}
	for _, c := range m.Checks {
		b, s = begin(b, 6)
		for _, q := range c.Queries {
			var s int
			b, s = begin(b, 1)
			b = end(appendRule(b, q), s)
		}
		if c.Kind != nil {
			b = appendVarint(b, 2, uint64(*c.Kind))
		}
		b = end(b, s)
	}
	b = appendScopes(b, 7, m.Scope)
	for _, k := range m.PublicKeys {
		b, s = begin(b, 8)
		b = end(appendPublicKey(b, k), s)
	}
	return b
}

func appendScopes(b []byte, num protowire.Number, scopes []*Scope) []byte {
	for _, sc := range scopes {
		var s int
		b, s = begin(b, num)
		switch c := sc.Content.(type) {
		case *Scope_ScopeType_:
			b = appendVarint(b, 1, uint64(c.ScopeType))
		case *Scope_PublicKey:
			b = appendVarint(b, 2, uint64(c.PublicKey))
		}
		b = end(b, s)
	}
	return b
}

func appendRule(b []byte, m *Rule) []byte {
	var s int
	if m.Head != nil {
		b, s = begin(b, 1)
		b = end(appendPredicate(b, m.Head), s)
	}
	for _, p := range m.Body {
		b, s = begin(b, 2)
		b = end(appendPredicate(b, p), s)
	}
	for _, e := range m.Expressions {
		b, s = begin(b, 3)
		b = end(appendOps(b, 1, e.Ops), s)
	}
	return appendScopes(b, 4, m.Scope)
}

func appendPredicate(b []byte, m *Predicate) []byte {
	if m.Name != nil {
		b = appendVarint(b, 1, *m.Name)
	}
	return appendTerms(b, 2, m.Terms)
}

func appendTerms(b []byte, num protowire.Number, terms []*Term) []byte {
	for _, t := range terms {
		var s int
		b, s = begin(b, num)
		b = end(appendTerm(b, t), s)
	}
	return b
}

func appendTerm(b []byte, m *Term) []byte {
	var s int
	switch c := m.Content.(type) {
	case *Term_Variable:
		b = appendVarint(b, 1, uint64(c.Variable))
	case *Term_Integer:
		b = appendVarint(b, 2, uint64(c.Integer))
	case *Term_String_:
		b = appendVarint(b, 3, c.String_)
	case *Term_Date:
		b = appendVarint(b, 4, c.Date)
	case *Term_Bytes:
		b = appendBytes(b, 5, c.Bytes)
	case *Term_Bool:
		b = appendVarint(b, 6, protowire.EncodeBool(c.Bool))
	case *Term_Set:
		b, s = begin(b, 7)
		if c.Set != nil {
			b = appendTerms(b, 1, c.Set.Set)
		}
		b = end(b, s)
	case *Term_Null:
		b, s = begin(b, 8)
		b = end(b, s)
	case *Term_Array:
		b, s = begin(b, 9)
		if c.Array != nil {
			b = appendTerms(b, 1, c.Array.Array)
		}
		b = end(b, s)
	case *Term_Map:
		b, s = begin(b, 10)
		if c.Map != nil {
			for _, e := range c.Map.Entries {
				var s int
				b, s = begin(b, 1)
				b = end(appendMapEntry(b, e), s)
			}
		}
		b = end(b, s)
	}
	return b
}

func appendMapEntry(b []byte, m *MapEntry) []byte {
	var s int
	if m.Key != nil {
		b, s = begin(b, 1)
		switch c := m.Key.Content.(type) {
		case *MapKey_Integer:
			b = appendVarint(b, 1, uint64(c.Integer))
		case *MapKey_String_:
			b = appendVarint(b, 2, c.String_)
		}
		b = end(b, s)
	}
	if m.Value != nil {
		b, s = begin(b, 2)
		b = end(appendTerm(b, m.Value), s)
	}
	return b
}

func appendOps(b []byte, num protowire.Number, ops []*Op) []byte {
	for _, o := range ops {
		var s int
		b, s = begin(b, num)
		b = end(appendOp(b, o), s)
	}
	return b
}

func appendOp(b []byte, m *Op) []byte {
	var s int
	switch c := m.Content.(type) {
	case *Op_Value:
		b, s = begin(b, 1)
		if c.Value != nil {
			b = appendTerm(b, c.Value)
		}
		b = end(b, s)
	case *Op_Unary:
		b, s = begin(b, 2)
		if u := c.Unary; u != nil {
			b = appendOpKind(b, (*int32)(u.Kind), u.FfiName)
		}
		b = end(b, s)
	case *Op_Binary:
		b, s = begin(b, 3)
		if o := c.Binary; o != nil {
			b = appendOpKind(b, (*int32)(o.Kind), o.FfiName)
		}
		b = end(b, s)
	case *Op_Closure:
		b, s = begin(b, 4)
		if cl := c.Closure; cl != nil {
			for _, p := range cl.Params {
				b = appendVarint(b, 1, uint64(p))
			}
			b = appendOps(b, 2, cl.Ops)
		}
		b = end(b, s)
	}
	return b
}

// appendOpKind writes the fields of an OpUnary or an OpBinary.
func appendOpKind(b []byte, kind *int32, ffiName *uint64) []byte {
	if kind != nil {
		b = appendVarint(b, 1, uint64(int64(*kind)))
	}
	if ffiName != nil {
		b = appendVarint(b, 2, *ffiName)
	}
	return b
}
