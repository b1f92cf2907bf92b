// Package pb is the Biscuit wire format: the Go code that
// protoc-gen-go-lite generates from biscuit.proto, reflection-free and
// without the protobuf runtime, and the walk that bounds it
// (unmarshal.go). pbref holds the same messages as protoc-gen-go writes
// them, the reference that the tests hold this package to.
package pb

// Regenerate with protoc v3.21.12 (Debian's protobuf-compiler) and the
// plugins at the versions the files name:
//
//	go install github.com/aperturerobotics/protobuf-go-lite/cmd/protoc-gen-go-lite@v0.14.0
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//
//go:generate protoc --go-lite_out=../../.. --go-lite_opt=paths=source_relative,features=marshal+unmarshal+size,Mtoken/internal/pb/biscuit.proto=github.com/codios/codios/token/internal/pb;pb --proto_path=../../.. token/internal/pb/biscuit.proto
//go:generate protoc --go_out=../../.. --go_opt=module=github.com/codios/codios,Mtoken/internal/pb/biscuit.proto=github.com/codios/codios/token/internal/pb/pbref;pbref --proto_path=../../.. token/internal/pb/biscuit.proto
