package format

import (
	"errors"
	"strings"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token/internal/pb"
)

func mustParse(t *testing.T, src string) *datalog.Program {
	t.Helper()
	p, err := datalog.ParseBlock(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encodeAt encodes a program declaring the given version, whatever its
// features need.
func encodeAt(t *testing.T, src string, version uint32) (*pb.Block, *Symbols, *Keys) {
	t.Helper()
	syms, keys := NewSymbols(), &Keys{}
	b, err := Encode(mustParse(t, src), syms, keys, version)
	if err != nil {
		t.Fatal(err)
	}
	return b, syms, keys
}

func TestRoundTrip(t *testing.T) {
	srcs := []string{
		`right("a", "read"); f(1, -2, 2020-01-01T00:00:00Z, hex:00ff, true, null, {1, 2}, [1, "a"], {"k": [1], 2: {}});`,
		`r($x) <- f($x), $x.length() > 1 trusting authority, previous;`,
		`check all f($x), [1, 2].any($y -> $y == $x) or g($x); reject if h(1); check if true.extern::f(1) trusting ed25519/` + strings.Repeat("ab", 32) + `;`,
		"trusting previous;\nf(1);",
	}
	for _, src := range srcs {
		p := mustParse(t, src)
		syms, keys := NewSymbols(), &Keys{}
		b, err := Encode(p, syms, keys, RequiredVersion(p, false))
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.MarshalVT()
		if err != nil {
			t.Fatal(err)
		}
		var back pb.Block
		if err := pb.UnmarshalBlock(data, &back); err != nil {
			t.Fatal(err)
		}
		rsyms, rkeys := NewSymbols(), &Keys{}
		if err := rsyms.Extend(back.Symbols); err != nil {
			t.Fatal(err)
		}
		var declared []datalog.PublicKey
		for _, k := range back.PublicKeys {
			declared = append(declared, datalog.PublicKey{Algorithm: datalog.Algorithm(k.GetAlgorithm()), Key: k.Key})
		}
		if err := rkeys.Extend(declared); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(&back, rsyms, rkeys, false, 64)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got.String() != p.String() {
			t.Errorf("decoded\n%s\nwant\n%s", got, p)
		}
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		src  string
		want uint32
	}{
		{`f(1); check if f($x), $x < 2;`, Version3_0},
		{`check if f($x) trusting previous;`, Version3_1},
		{`check all f($x), $x < 2;`, Version3_1},
		{`check if 1 !== 2;`, Version3_1},
		{`check if 3 & 1 == 1;`, Version3_3},
		{`reject if f(1);`, Version3_3},
		{`f(null);`, Version3_3},
		{`f([1]);`, Version3_3},
		{`f({"a": 1});`, Version3_3},
		{`check if [1].get(0) === 1;`, Version3_3},
		{`check if (1 / 0).try_or(true);`, Version3_3},
		{`check if true && false;`, Version3_3},
	}
	for _, tt := range tests {
		if got := RequiredVersion(mustParse(t, tt.src), false); got != tt.want {
			t.Errorf("%s: version %d, want %d", tt.src, got, tt.want)
		}
	}
	if got := RequiredVersion(mustParse(t, `f(1);`), true); got != Version3_2 {
		t.Errorf("third party: version %d", got)
	}
}

// TestDecodeRefuses checks that a block is refused, with ErrFormat, when
// its version is out of range or below what its features need.
func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		version    uint32
		thirdParty bool
	}{
		{"version 2", `f(1);`, 2, false},
		{"version 7", `f(1);`, 7, false},
		{"scopes in v3.0", `check if f(1) trusting previous;`, Version3_0, false},
		{"check all in v3.0", `check all f($x), $x > 1;`, Version3_0, false},
		{"reject if in v3.1", `reject if f(1);`, Version3_1, false},
		{"closure in v3.1", `check if [1].any($x -> $x > 0);`, Version3_1, false},
		{"null in v3.0", `f(null);`, Version3_0, false},
		{"third party in v3.1", `f(1);`, Version3_1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, syms, keys := encodeAt(t, tt.src, tt.version)
			if _, err := Decode(b, syms, keys, tt.thirdParty, 64); !errors.Is(err, ErrFormat) {
				t.Errorf("got %v, want a format error", err)
			}
		})
	}
	// The reference mints arrays in v3.0 blocks: they are read.
	b, syms, keys := encodeAt(t, `f([1, 2]);`, Version3_0)
	if _, err := Decode(b, syms, keys, false, 64); err != nil {
		t.Errorf("array in a v3.0 block: %v", err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	b, syms, keys := encodeAt(t, `f(1, "a"); check if g($x), $x.length() > 0;`, Version3_0)
	mutations := map[string]func(b *pb.Block){
		"unknown symbol": func(b *pb.Block) { b.Facts[0].Predicate.Name = new(uint64(5000)) },
		"empty term":     func(b *pb.Block) { b.Facts[0].Predicate.Terms[0] = &pb.Term{} },
		"variable in a fact": func(b *pb.Block) {
			b.Facts[0].Predicate.Terms[0] = &pb.Term{Content: &pb.Term_Variable{Variable: 1024}}
		},
		"empty operation":    func(b *pb.Block) { b.Checks[0].Queries[0].Expressions[0].Ops[0] = &pb.Op{} },
		"unknown check kind": func(b *pb.Block) { b.Checks[0].Kind = pb.Check_Kind(9).Enum() },
		"unknown public key": func(b *pb.Block) { b.Scope = []*pb.Scope{{Content: &pb.Scope_PublicKey{PublicKey: 3}}} },
		"extern without name": func(b *pb.Block) {
			b.Checks[0].Queries[0].Expressions[0].Ops[1] = &pb.Op{Content: &pb.Op_Unary{Unary: &pb.OpUnary{Kind: pb.OpUnary_Ffi.Enum()}}}
		},
		"name on a length": func(b *pb.Block) {
			b.Checks[0].Queries[0].Expressions[0].Ops[1] = &pb.Op{Content: &pb.Op_Unary{Unary: &pb.OpUnary{Kind: pb.OpUnary_Length.Enum(), FfiName: new(uint64(0))}}}
		},
		"mixed set": func(b *pb.Block) {
			b.Facts[0].Predicate.Terms[0] = &pb.Term{Content: &pb.Term_Set{Set: &pb.TermSet{Set: []*pb.Term{
				{Content: &pb.Term_Integer{Integer: 1}}, {Content: &pb.Term_Bool{Bool: true}}}}}}
		},
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			c := clone(t, b)
			mutate(c)
			if _, err := Decode(c, syms, keys, false, 64); !errors.Is(err, ErrFormat) {
				t.Errorf("got %v, want a format error", err)
			}
		})
	}
	deep := &pb.Term{Content: &pb.Term_Integer{Integer: 1}}
	for i := 0; i < 100; i++ {
		deep = &pb.Term{Content: &pb.Term_Array{Array: &pb.Array{Array: []*pb.Term{deep}}}}
	}
	c := clone(t, b)
	c.Facts[0].Predicate.Terms[0] = deep
	if _, err := Decode(c, syms, keys, false, 64); !errors.Is(err, ErrFormat) {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestSymbolTables(t *testing.T) {
	s := NewSymbols()
	if err := s.Extend([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Extend([]string{"c", "a"}); !errors.Is(err, ErrFormat) {
		t.Errorf("redeclared symbol: %v", err)
	}
	if err := NewSymbols().Extend([]string{"read"}); !errors.Is(err, ErrFormat) {
		t.Errorf("redeclared default symbol: %v", err)
	}
	if got, _ := s.Get(1024); got != "a" {
		t.Errorf("symbol 1024 is %q", got)
	}
	if _, err := s.Get(28); !errors.Is(err, ErrFormat) {
		t.Errorf("symbol 28: %v", err)
	}
	if id := s.Insert("query"); id != 27 {
		t.Errorf("query is %d", id)
	}
}

// clone copies a block through its encoding.
func clone(t *testing.T, b *pb.Block) *pb.Block {
	t.Helper()
	data, err := b.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	var c pb.Block
	if err := pb.UnmarshalBlock(data, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}
