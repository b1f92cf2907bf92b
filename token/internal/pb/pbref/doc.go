// Package pbref is biscuit.proto as protoc-gen-go generates it, for the
// protobuf runtime: the reference that the tests of package pb compare
// the generated codec with. Only tests import it.
package pbref
