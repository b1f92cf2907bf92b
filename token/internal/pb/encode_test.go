package pb

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/codios/codios/token/internal/pb/pbref"
)

// sameBytes checks that the generated encoder writes what proto.Marshal
// writes for the message that data decodes to.
func sameBytes[R any, RP interface {
	*R
	proto.Message
}, M any, MP interface {
	*M
	MarshalVT() ([]byte, error)
}](t *testing.T, data []byte, unmarshal func([]byte, MP) error) {
	t.Helper()
	ref, m := RP(new(R)), MP(new(M))
	if proto.Unmarshal(data, ref) != nil || unmarshal(data, m) != nil {
		return
	}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(ref)
	if err != nil {
		return
	}
	got, err := m.MarshalVT()
	if err != nil {
		t.Fatalf("input %x: %v", data, err)
	}
	// Unknown fields are written back as each library kept them: the
	// generated code as read, proto.Marshal with its tags made minimal.
	// Nothing re-encodes a decoded message; compare what they mean.
	known := proto.Clone(ref)
	discardUnknown(known.ProtoReflect())
	if !proto.Equal(known, ref) {
		back := RP(new(R))
		if err := proto.Unmarshal(got, back); err != nil {
			t.Fatalf("input %x: the generated encoding does not decode: %v", data, err)
		}
		discardUnknown(back.ProtoReflect())
		if !proto.Equal(back, known) {
			t.Fatalf("input %x: the generated encoding means another message", data)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("input %x\nproto.Marshal: %x\ngenerated:     %x", data, want, got)
	}
}

func TestMarshalSamples(t *testing.T) {
	tokens, blocks := sampleTokens(t)
	for _, data := range tokens {
		sameBytes[pbref.Biscuit](t, data, UnmarshalBiscuit)
	}
	for _, data := range blocks {
		sameBytes[pbref.Block](t, data, UnmarshalBlock)
	}
}

// TestMarshalLong checks lengths of two and three bytes, which move a
// field's contents.
func TestMarshalLong(t *testing.T) {
	for _, n := range []int{127, 128, 300, 20000} {
		ref := &pbref.Block{Symbols: []string{string(make([]byte, n))}, Facts: []*pbref.Fact{{Predicate: &pbref.Predicate{
			Name: new(uint64(3)), Terms: []*pbref.Term{{Content: &pbref.Term_Bytes{Bytes: make([]byte, n)}}},
		}}}}
		m := &Block{Symbols: []string{string(make([]byte, n))}, Facts: []*Fact{{Predicate: &Predicate{
			Name: new(uint64(3)), Terms: []*Term{{Content: &Term_Bytes{Bytes: make([]byte, n)}}},
		}}}}
		want, _ := proto.Marshal(ref)
		if got, err := m.MarshalVT(); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("length %d: got %x (%v), want %x", n, got, err, want)
		}
	}
}

func FuzzMarshalBiscuit(f *testing.F) {
	tokens, _ := sampleTokens(f)
	for _, data := range tokens {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameBytes[pbref.Biscuit](t, data, UnmarshalBiscuit) })
}

func FuzzMarshalBlock(f *testing.F) {
	_, blocks := sampleTokens(f)
	for _, data := range blocks {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameBytes[pbref.Block](t, data, UnmarshalBlock) })
}
