package pb

import (
	"fmt"

	"github.com/aperturerobotics/protobuf-go-lite/encoding/protowire"
)

// The generated decoders (UnmarshalVT) recurse into nested messages
// without a limit, and read a field's number as the low 32 bits of its
// tag, so that an out-of-range number can pass for a valid one. The
// functions of this file walk the input once before them, as
// proto.Unmarshal would read it: a field number outside 1..2^29-1 is an
// error, and so is nesting deeper than MaxDepth messages. Only Term (by
// its set, array and map) and Op (by its closure) nest without end: a
// 256 KiB block of arrays in arrays, some 60,000 messages deep, grows the
// generated decoder's stack to 32 MiB.
//
// Where the wire leaves room, the generated decoders are stricter than
// proto.Unmarshal, never looser: a known field with the wrong wire type
// is an error (proto.Unmarshal keeps it as an unknown field), and a
// required field is checked in each part of a message that is written in
// several parts, and inside oneof members (proto.Unmarshal checks the
// merged message). No encoder writes either; decode_test.go holds the
// generated decoders to that.

// MaxDepth bounds the nesting of messages, as proto.Unmarshal does.
const MaxDepth = protowire.DefaultRecursionLimit

// UnmarshalBiscuit decodes a token. Its bytes fields are copies: m does
// not alias b.
func UnmarshalBiscuit(b []byte, m *Biscuit) error { return unmarshal(b, m, biscuit) }

// UnmarshalBlock decodes a block. Its bytes fields are copies.
func UnmarshalBlock(b []byte, m *Block) error { return unmarshal(b, m, block) }

// UnmarshalThirdPartyBlockRequest decodes a request for a third-party
// block.
func UnmarshalThirdPartyBlockRequest(b []byte, m *ThirdPartyBlockRequest) error {
	return unmarshal(b, m, thirdPartyBlockRequest)
}

// UnmarshalThirdPartyBlockContents decodes a signed third-party block.
func UnmarshalThirdPartyBlockContents(b []byte, m *ThirdPartyBlockContents) error {
	return unmarshal(b, m, thirdPartyBlockContents)
}

func unmarshal(b []byte, m interface{ UnmarshalVT([]byte) error }, k kind) error {
	if err := walk(b, k, MaxDepth); err != nil {
		return err
	}
	return m.UnmarshalVT(b)
}

// kind is a message of biscuit.proto, as the walk needs to know it: by
// the fields that hold messages.
type kind uint8

const (
	notMessage kind = iota
	leaf            // a message without message fields
	biscuit
	signedBlock
	externalSignature
	block
	fact
	rule
	check
	predicate
	term
	termSet
	array
	mapMessage
	mapEntry
	expression
	op
	opClosure
	thirdPartyBlockRequest
	thirdPartyBlockContents
)

// messageFields gives, for each kind, the kind of each field number that
// holds a message. TestMessageFields checks it against biscuit.proto.
var messageFields = [...][11]kind{
	leaf:                    {},
	biscuit:                 {2: signedBlock, 3: signedBlock, 4: leaf},
	signedBlock:             {2: leaf, 4: externalSignature},
	externalSignature:       {2: leaf},
	block:                   {4: fact, 5: rule, 6: check, 7: leaf, 8: leaf},
	fact:                    {1: predicate},
	rule:                    {1: predicate, 2: predicate, 3: expression, 4: leaf},
	check:                   {1: rule},
	predicate:               {2: term},
	term:                    {7: termSet, 8: leaf, 9: array, 10: mapMessage},
	termSet:                 {1: term},
	array:                   {1: term},
	mapMessage:              {1: mapEntry},
	mapEntry:                {1: leaf, 2: term},
	expression:              {1: op},
	op:                      {1: term, 2: leaf, 3: leaf, 4: opClosure},
	opClosure:               {2: op},
	thirdPartyBlockRequest:  {1: leaf, 2: leaf},
	thirdPartyBlockContents: {2: externalSignature},
}

// walk checks the tags and the nesting of a message of kind k, with
// depth messages left to enter.
func walk(b []byte, k kind, depth int) error {
	if depth--; depth < 0 {
		return fmt.Errorf("proto: messages nested deeper than %d", MaxDepth)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if !num.IsValid() {
			return fmt.Errorf("proto: invalid field number %d", num)
		}
		b = b[n:]
		if typ == protowire.BytesType && int(num) < len(messageFields[k]) && messageFields[k][num] != notMessage {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			if err := walk(v, messageFields[k][num], depth); err != nil {
				return err
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}
