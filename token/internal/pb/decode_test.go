package pb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/codios/codios/internal/samples"
	"github.com/codios/codios/token/internal/pb/pbref"
)

// sampleTokens returns the bytes of every sample token, and of each of
// their blocks.
func sampleTokens(tb testing.TB) (tokens, blocks [][]byte) {
	s, dir, err := samples.Load()
	if err != nil {
		tb.Skipf("no samples: %v", err)
	}
	for _, tc := range s.TestCases {
		data, err := os.ReadFile(filepath.Join(dir, tc.Filename))
		if err != nil {
			tb.Fatal(err)
		}
		tokens = append(tokens, data)
		var msg pbref.Biscuit
		if err := proto.Unmarshal(data, &msg); err != nil {
			continue
		}
		blocks = append(blocks, msg.GetAuthority().GetBlock())
		for _, b := range msg.GetBlocks() {
			blocks = append(blocks, b.GetBlock())
		}
	}
	return tokens, blocks
}

// discardUnknown drops the unknown fields that proto.Unmarshal keeps.
func discardUnknown(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				discardUnknown(v.List().Get(i).Message())
			}
		case fd.Message() != nil:
			discardUnknown(v.Message())
		}
		return true
	})
	m.SetUnknown(nil)
}

// stricter reports whether err is one of the two refusals where the
// generated decoder is documented to be stricter than proto.Unmarshal
// (unmarshal.go).
func stricter(err error) bool {
	return strings.Contains(err.Error(), "wrong wireType") || strings.Contains(err.Error(), "required field")
}

// same checks that a decoder of this package and proto.Unmarshal, into
// the reference type R, agree on data: the same message, or an error both
// (or one of the documented, stricter refusals). The messages are
// compared through the generated encoder, as the reference reads it back.
func same[R any, RP interface {
	*R
	proto.Message
}, M any, MP interface {
	*M
	MarshalVT() ([]byte, error)
}](t *testing.T, data []byte, unmarshal func([]byte, MP) error) {
	t.Helper()
	want, got := RP(new(R)), MP(new(M))
	wantErr := proto.Unmarshal(data, want)
	gotErr := unmarshal(data, got)
	switch {
	case wantErr != nil && gotErr != nil:
		return
	case wantErr != nil:
		t.Fatalf("proto.Unmarshal: %v; generated accepts; input %x", wantErr, data)
	case gotErr != nil && stricter(gotErr):
		return
	case gotErr != nil:
		t.Fatalf("proto.Unmarshal accepts; generated: %v; input %x", gotErr, data)
	}
	enc, err := got.MarshalVT()
	if err != nil {
		t.Fatalf("re-encoding: %v; input %x", err, data)
	}
	back := RP(new(R))
	if err := proto.Unmarshal(enc, back); err != nil {
		t.Fatalf("re-encoded %x: %v; input %x", enc, err, data)
	}
	discardUnknown(want.ProtoReflect())
	discardUnknown(back.ProtoReflect())
	if !proto.Equal(want, back) {
		t.Fatalf("input %x\nproto.Unmarshal: %v\ngenerated:       %v", data, want, back)
	}
}

func TestUnmarshalSamples(t *testing.T) {
	tokens, blocks := sampleTokens(t)
	for _, data := range tokens {
		same[pbref.Biscuit](t, data, UnmarshalBiscuit)
	}
	for _, data := range blocks {
		same[pbref.Block](t, data, UnmarshalBlock)
	}
}

// TestUnmarshalEdges covers what the samples do not: the corners of the
// wire format where proto.Unmarshal's behaviour has to be followed.
func TestUnmarshalEdges(t *testing.T) {
	tag := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	msg := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(tag(b, num, protowire.BytesType), v)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(tag(b, num, protowire.VarintType), v)
	}
	pred := varint(nil, 1, 1024)
	strTerm := varint(nil, 3, 7)
	predWithTerm := msg(nil, 2, strTerm)
	blocks := map[string][]byte{
		"empty":                nil,
		"fact":                 msg(nil, 4, msg(nil, 1, append(pred, predWithTerm...))),
		"fact without name":    msg(nil, 4, msg(nil, 1, predWithTerm)),
		"name in a 2nd part":   msg(nil, 4, msg(msg(nil, 1, predWithTerm), 1, pred)),
		"fact twice merged":    msg(nil, 4, msg(msg(nil, 1, pred), 1, predWithTerm)),
		"unknown field":        varint(msg(nil, 4, msg(nil, 1, pred)), 99, 5),
		"wrong wire type":      msg(varint(nil, 4, 3), 1, []byte("sym")),
		"version wrong type":   msg(nil, 3, []byte{1}),
		"symbols":              msg(msg(varint(nil, 3, 3), 1, []byte("a")), 1, []byte("")),
		"context":              msg(nil, 2, []byte("ctx")),
		"big uint32":           varint(nil, 3, 1<<40+5),
		"group":                tag(tag(varint(nil, 3, 4), 50, protowire.StartGroupType), 50, protowire.EndGroupType),
		"lone end group":       tag(nil, 50, protowire.EndGroupType),
		"field zero":           varint(nil, 0, 1),
		"truncated":            msg(nil, 4, msg(nil, 1, pred))[:5],
		"packed params":        msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, msg(nil, 1, []byte{1, 2, 0x81, 1}))))),
		"unpacked params":      msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, varint(varint(nil, 1, 1), 1, 2))))),
		"bad packed":           msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, msg(nil, 1, []byte{0x81}))))),
		"binary without kind":  msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"both missing":         msg(msg(nil, 4, msg(msg(nil, 1, predWithTerm), 1, pred)), 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"2nd part lacks name":  msg(msg(nil, 4, msg(msg(nil, 1, pred), 1, predWithTerm)), 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"binary":               msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 1, 4))))),
		"oneof replaced":       msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(varint(nil, 3, 7), 7, nil))...))),
		"set merged":           msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(msg(nil, 7, msg(nil, 1, strTerm)), 7, msg(nil, 1, varint(nil, 2, 3))))...))),
		"map without value":    msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(nil, 10, msg(nil, 1, msg(nil, 1, varint(nil, 1, 5)))))...))),
		"null":                 msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(nil, 8, varint(nil, 5, 1)))...))),
		"enum out of range":    msg(nil, 6, varint(nil, 2, 1<<33+7)),
		"scope":                msg(msg(nil, 7, varint(nil, 1, 1)), 7, varint(nil, 2, 1<<63)),
		"key without algo":     msg(nil, 8, msg(nil, 2, []byte{1, 2})),
		"key":                  msg(nil, 8, varint(msg(nil, 2, nil), 1, 1)),
		"field number too big": varint(nil, protowire.MaxValidNumber+1, 1),
		"field number wraps":   protowire.AppendBytes(protowire.AppendVarint(nil, (1<<32+4)<<3|2), msg(nil, 1, pred)),
		"wraps in a term":      msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, protowire.AppendVarint(protowire.AppendVarint(nil, (1<<32+2)<<3), 5))...))),
	}
	for name, data := range blocks {
		t.Run("block/"+name, func(t *testing.T) { same[pbref.Block](t, data, UnmarshalBlock) })
	}
	key := varint(msg(nil, 2, make([]byte, 32)), 1, 0)
	signed := msg(msg(msg(nil, 1, []byte("b")), 2, key), 3, []byte("s"))
	tokens := map[string][]byte{
		"open":                 msg(msg(nil, 2, signed), 4, msg(nil, 1, []byte{9})),
		"sealed, root key id":  varint(msg(msg(nil, 2, signed), 4, msg(nil, 2, []byte{9})), 1, 7),
		"proof replaced":       msg(msg(nil, 2, signed), 4, msg(msg(nil, 1, []byte{9}), 2, nil)),
		"no proof":             msg(nil, 2, signed),
		"empty proof":          msg(msg(nil, 2, signed), 4, nil),
		"no signature":         msg(msg(nil, 2, msg(msg(nil, 1, []byte("b")), 2, key)), 4, nil),
		"external":             msg(msg(nil, 3, msg(signed, 4, msg(msg(nil, 1, []byte("e")), 2, key))), 2, signed),
		"external without key": msg(msg(msg(nil, 3, msg(signed, 4, msg(nil, 1, []byte("e")))), 2, signed), 4, nil),
		"authority merged":     msg(msg(msg(nil, 2, signed), 2, varint(nil, 5, 1)), 4, nil),
		"field number wraps":   protowire.AppendBytes(protowire.AppendVarint(msg(nil, 2, signed), (1<<32+4)<<3|2), nil),
	}
	for name, data := range tokens {
		t.Run("token/"+name, func(t *testing.T) { same[pbref.Biscuit](t, data, UnmarshalBiscuit) })
	}
	requests := map[string][]byte{
		"request":            msg(nil, 3, []byte("s")),
		"legacy keys":        msg(msg(msg(nil, 1, key), 2, key), 3, []byte("s")),
		"no signature":       msg(nil, 2, key),
		"field number wraps": protowire.AppendBytes(protowire.AppendVarint(nil, (1<<32+3)<<3|2), []byte("s")),
	}
	for name, data := range requests {
		t.Run("request/"+name, func(t *testing.T) {
			same[pbref.ThirdPartyBlockRequest](t, data, UnmarshalThirdPartyBlockRequest)
		})
	}
	external := msg(msg(nil, 1, []byte("e")), 2, key)
	contents := map[string][]byte{
		"contents":         msg(msg(nil, 1, []byte("b")), 2, external),
		"no payload":       msg(nil, 2, external),
		"key without algo": msg(msg(nil, 1, []byte("b")), 2, msg(msg(nil, 1, []byte("e")), 2, msg(nil, 2, nil))),
	}
	for name, data := range contents {
		t.Run("contents/"+name, func(t *testing.T) {
			same[pbref.ThirdPartyBlockContents](t, data, UnmarshalThirdPartyBlockContents)
		})
	}
}

// TestUnmarshalDepth checks the nesting limit at its edge: a block whose
// innermost message is depth deep, through arrays and an empty set.
func TestUnmarshalDepth(t *testing.T) {
	nested := func(depth int) []byte {
		var term []byte // Block, Fact, Predicate, then depth-3 of Term, Array, ...
		arrays := (depth - 4) / 2
		if (depth-4)%2 == 1 {
			term = protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), nil)
		} else {
			term = protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 1)
		}
		for range arrays {
			array := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), term)
			term = protowire.AppendBytes(protowire.AppendTag(nil, 9, protowire.BytesType), array)
		}
		pred := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 0)
		pred = protowire.AppendBytes(protowire.AppendTag(pred, 2, protowire.BytesType), term)
		fact := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), pred)
		return protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), fact)
	}
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		data := nested(depth)
		same[pbref.Block](t, data, UnmarshalBlock)
		if err := UnmarshalBlock(data, &Block{}); (err == nil) != (depth <= MaxDepth) {
			t.Errorf("depth %d: %v", depth, err)
		}
	}
}

func FuzzUnmarshalBiscuit(f *testing.F) {
	tokens, _ := sampleTokens(f)
	for _, data := range tokens {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { same[pbref.Biscuit](t, data, UnmarshalBiscuit) })
}

func FuzzUnmarshalBlock(f *testing.F) {
	_, blocks := sampleTokens(f)
	for _, data := range blocks {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { same[pbref.Block](t, data, UnmarshalBlock) })
}

// BenchmarkUnmarshal compares the generated decoders with proto.Unmarshal
// on every sample token and its blocks.
func BenchmarkUnmarshal(b *testing.B) {
	tokens, blocks := sampleTokens(b)
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, data := range tokens {
				_ = proto.Unmarshal(data, &pbref.Biscuit{})
			}
			for _, data := range blocks {
				_ = proto.Unmarshal(data, &pbref.Block{})
			}
		}
	})
	b.Run("generated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, data := range tokens {
				_ = UnmarshalBiscuit(data, &Biscuit{})
			}
			for _, data := range blocks {
				_ = UnmarshalBlock(data, &Block{})
			}
		}
	})
}

// TestMessageFields checks the walk's table of message fields against
// biscuit.proto, as the reference types describe it.
func TestMessageFields(t *testing.T) {
	kinds := map[protoreflect.FullName]kind{}
	for k, m := range map[kind]proto.Message{
		biscuit: &pbref.Biscuit{}, signedBlock: &pbref.SignedBlock{}, externalSignature: &pbref.ExternalSignature{},
		block: &pbref.Block{}, fact: &pbref.Fact{}, rule: &pbref.Rule{}, check: &pbref.Check{},
		predicate: &pbref.Predicate{}, term: &pbref.Term{}, termSet: &pbref.TermSet{}, array: &pbref.Array{},
		mapMessage: &pbref.Map{}, mapEntry: &pbref.MapEntry{}, expression: &pbref.Expression{}, op: &pbref.Op{},
		opClosure: &pbref.OpClosure{}, thirdPartyBlockRequest: &pbref.ThirdPartyBlockRequest{},
		thirdPartyBlockContents: &pbref.ThirdPartyBlockContents{},
	} {
		kinds[m.ProtoReflect().Descriptor().FullName()] = k
	}
	messages := pbref.File_token_internal_pb_biscuit_proto.Messages()
	for i := range messages.Len() {
		md := messages.Get(i)
		k, ok := kinds[md.FullName()]
		if !ok {
			k = leaf
		}
		var want [len(messageFields[0])]kind
		for j := range md.Fields().Len() {
			fd := md.Fields().Get(j)
			if fd.Message() == nil {
				continue
			}
			if int(fd.Number()) >= len(want) {
				t.Fatalf("%s: field %d is past the table", md.FullName(), fd.Number())
			}
			if want[fd.Number()], ok = kinds[fd.Message().FullName()]; !ok {
				want[fd.Number()] = leaf
			}
		}
		if messageFields[k] != want {
			t.Errorf("%s: table %v, biscuit.proto %v", md.FullName(), messageFields[k], want)
		}
	}
}
