module github.com/codios/codios/conformance

go 1.26.0

require (
	github.com/biscuit-auth/biscuit-go/v2 v2.2.0
	github.com/codios/codios v0.0.0
	github.com/google/go-cmp v0.7.0
)

require (
	filippo.io/bigmod v0.1.0 // indirect
	filippo.io/nistec v0.0.4 // indirect
	github.com/alecthomas/participle/v2 v2.0.0 // indirect
	github.com/aperturerobotics/protobuf-go-lite v0.14.0 // indirect
	github.com/oasisprotocol/curve25519-voi v0.0.0-20230904125328-1f23a7beb09a // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/codios/codios => ../
