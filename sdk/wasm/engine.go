//go:build js && wasm

package main

import "github.com/codios/codios/sdk/internal/hostapi"

// The module's whole engine is hostapi: these pass its calls through.

const (
	abiVersion      = hostapi.VersionMajor
	codeBadArgument = int(hostapi.BadArgument)
	codeInternal    = int(hostapi.Internal)
)

func dispatch(op string, in []byte) ([]byte, int, string) {
	return result(hostapi.Call(op, in))
}

func checkGuard(handle uint64, in []byte) ([]byte, int, string) {
	return result(hostapi.GuardCheck(handle, in))
}

func result(out []byte, e *hostapi.Error) ([]byte, int, string) {
	if e != nil {
		return nil, int(e.Code), e.Message
	}
	return out, 0, ""
}
