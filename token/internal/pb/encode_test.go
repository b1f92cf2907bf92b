package pb

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
)

// sameBytes checks that a hand-written encoder writes what proto.Marshal
// writes, for the message that data decodes to (unknown fields dropped).
func sameBytes[M any, P interface {
	*M
	proto.Message
}](t *testing.T, data []byte, marshal func(P) []byte) {
	t.Helper()
	m := P(new(M))
	if proto.Unmarshal(data, m) != nil {
		return
	}
	discardUnknown(m.ProtoReflect())
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return
	}
	if got := marshal(m); !bytes.Equal(got, want) {
		t.Fatalf("message %v\nproto.Marshal: %x\nhand-written:  %x", m, want, got)
	}
}

func TestMarshalSamples(t *testing.T) {
	tokens, blocks := sampleTokens(t)
	for _, data := range tokens {
		sameBytes(t, data, MarshalBiscuit)
	}
	for _, data := range blocks {
		sameBytes(t, data, MarshalBlock)
	}
}

// TestMarshalLong checks lengths of two and three bytes, which move a
// field's contents.
func TestMarshalLong(t *testing.T) {
	for _, n := range []int{127, 128, 300, 20000} {
		m := &Block{Symbols: []string{string(make([]byte, n))}, Facts: []*Fact{{Predicate: &Predicate{
			Name: proto.Uint64(3), Terms: []*Term{{Content: &Term_Bytes{Bytes: make([]byte, n)}}},
		}}}}
		want, _ := proto.Marshal(m)
		if got := MarshalBlock(m); !bytes.Equal(got, want) {
			t.Fatalf("length %d: got %x, want %x", n, got, want)
		}
	}
}

func FuzzMarshalBiscuit(f *testing.F) {
	tokens, _ := sampleTokens(f)
	for _, data := range tokens {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameBytes(t, data, MarshalBiscuit) })
}

func FuzzMarshalBlock(f *testing.F) {
	_, blocks := sampleTokens(f)
	for _, data := range blocks {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameBytes(t, data, MarshalBlock) })
}
