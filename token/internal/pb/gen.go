// Package pb is the generated Go code of the Biscuit wire format.
package pb

//go:generate protoc --go_out=../../.. --go_opt=paths=source_relative --proto_path=../../.. token/internal/pb/biscuit.proto
