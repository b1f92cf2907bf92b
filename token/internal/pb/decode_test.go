package pb

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/codios/codios/internal/samples"
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
		var msg Biscuit
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

// discardUnknown drops the unknown fields that proto.Unmarshal keeps and
// the hand-written decoders skip.
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

// same checks that a hand-written decoder and proto.Unmarshal agree on
// data: the same message, or an error both.
func same[M any, P interface {
	*M
	proto.Message
}](t *testing.T, data []byte, unmarshal func([]byte, P) error) {
	t.Helper()
	want, got := P(new(M)), P(new(M))
	wantErr := proto.Unmarshal(data, want)
	gotErr := unmarshal(data, got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("proto.Unmarshal: %v; hand-written: %v; input %x", wantErr, gotErr, data)
	}
	if wantErr != nil {
		return
	}
	discardUnknown(want.ProtoReflect())
	if !proto.Equal(want, got) {
		t.Fatalf("input %x\nproto.Unmarshal: %v\nhand-written:    %v", data, want, got)
	}
}

func TestUnmarshalSamples(t *testing.T) {
	tokens, blocks := sampleTokens(t)
	for _, data := range tokens {
		same(t, data, UnmarshalBiscuit)
	}
	for _, data := range blocks {
		same(t, data, UnmarshalBlock)
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
		"empty":               nil,
		"fact":                msg(nil, 4, msg(nil, 1, append(pred, predWithTerm...))),
		"fact without name":   msg(nil, 4, msg(nil, 1, predWithTerm)),
		"name in a 2nd part":  msg(nil, 4, msg(msg(nil, 1, predWithTerm), 1, pred)),
		"fact twice merged":   msg(nil, 4, msg(msg(nil, 1, pred), 1, predWithTerm)),
		"unknown field":       varint(msg(nil, 4, msg(nil, 1, pred)), 99, 5),
		"wrong wire type":     msg(varint(nil, 4, 3), 1, []byte("sym")),
		"version wrong type":  msg(nil, 3, []byte{1}),
		"symbols":             msg(msg(varint(nil, 3, 3), 1, []byte("a")), 1, []byte("")),
		"context":             msg(nil, 2, []byte("ctx")),
		"big uint32":          varint(nil, 3, 1<<40+5),
		"group":               tag(tag(varint(nil, 3, 4), 50, protowire.StartGroupType), 50, protowire.EndGroupType),
		"lone end group":      tag(nil, 50, protowire.EndGroupType),
		"field zero":          varint(nil, 0, 1),
		"truncated":           msg(nil, 4, msg(nil, 1, pred))[:5],
		"packed params":       msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, msg(nil, 1, []byte{1, 2, 0x81, 1}))))),
		"unpacked params":     msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, varint(varint(nil, 1, 1), 1, 2))))),
		"bad packed":          msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 4, msg(nil, 1, []byte{0x81}))))),
		"binary without kind": msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"both missing":        msg(msg(nil, 4, msg(msg(nil, 1, predWithTerm), 1, pred)), 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"2nd part lacks name": msg(msg(nil, 4, msg(msg(nil, 1, pred), 1, predWithTerm)), 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 2, 1))))),
		"binary":              msg(nil, 5, msg(msg(nil, 1, pred), 3, msg(nil, 1, msg(nil, 3, varint(nil, 1, 4))))),
		"oneof replaced":      msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(varint(nil, 3, 7), 7, nil))...))),
		"set merged":          msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(msg(nil, 7, msg(nil, 1, strTerm)), 7, msg(nil, 1, varint(nil, 2, 3))))...))),
		"map without value":   msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(nil, 10, msg(nil, 1, msg(nil, 1, varint(nil, 1, 5)))))...))),
		"null":                msg(nil, 4, msg(nil, 1, append(pred, msg(nil, 2, msg(nil, 8, varint(nil, 5, 1)))...))),
		"enum out of range":   msg(nil, 6, varint(nil, 2, 1<<33+7)),
		"scope":               msg(msg(nil, 7, varint(nil, 1, 1)), 7, varint(nil, 2, 1<<63)),
		"key without algo":    msg(nil, 8, msg(nil, 2, []byte{1, 2})),
		"key":                 msg(nil, 8, varint(msg(nil, 2, nil), 1, 1)),
	}
	for name, data := range blocks {
		t.Run("block/"+name, func(t *testing.T) { same(t, data, UnmarshalBlock) })
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
	}
	for name, data := range tokens {
		t.Run("token/"+name, func(t *testing.T) { same(t, data, UnmarshalBiscuit) })
	}
}

func FuzzUnmarshalBiscuit(f *testing.F) {
	tokens, _ := sampleTokens(f)
	for _, data := range tokens {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data, UnmarshalBiscuit) })
}

func FuzzUnmarshalBlock(f *testing.F) {
	_, blocks := sampleTokens(f)
	for _, data := range blocks {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data, UnmarshalBlock) })
}

// BenchmarkUnmarshal compares the hand-written decoders with
// proto.Unmarshal on every sample token and its blocks.
func BenchmarkUnmarshal(b *testing.B) {
	tokens, blocks := sampleTokens(b)
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, data := range tokens {
				_ = proto.Unmarshal(data, &Biscuit{})
			}
			for _, data := range blocks {
				_ = proto.Unmarshal(data, &Block{})
			}
		}
	})
	b.Run("hand-written", func(b *testing.B) {
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
