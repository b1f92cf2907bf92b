// Command cabi is the Codios engine as a C library: a thin shim over
// sdk/internal/hostapi, with no logic of its own. Build it with
//
//	go build -buildmode=c-shared -o libcodios1.so ./sdk/cabi
//
// and include codios.h (hand-written, the documented interface; the
// header cgo writes next to the library is not). Values cross as JSON
// with explicit lengths; every buffer the library returns is C.malloc'd
// (no Go pointer escapes) and freed by codios_free; a panic is recovered
// in hostapi and never crosses the boundary; every function is safe from
// many threads.
package main

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"unsafe"

	"github.com/codios/codios/sdk/internal/hostapi"
)

func main() {}

// input copies nothing: hostapi only reads in during the call.
func input(in *C.uint8_t, n C.size_t) []byte {
	if in == nil || n == 0 {
		return nil
	}
	if n > hostapi.MaxInput+1 {
		n = hostapi.MaxInput + 1 // enough to be refused as too large
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(in)), int(n))
}

// answer copies the result, or the error's JSON, into C memory.
func answer(res []byte, e *hostapi.Error, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	code := C.int32_t(0)
	if e != nil {
		res, code = e.JSON(), C.int32_t(e.Code)
	}
	if out == nil || outLen == nil {
		return code
	}
	p := C.malloc(C.size_t(len(res)) + 1)
	if p == nil {
		*out, *outLen = nil, 0
		return C.int32_t(hostapi.Internal)
	}
	buf := unsafe.Slice((*byte)(p), len(res)+1)
	copy(buf, res)
	buf[len(res)] = 0 // a NUL after the JSON, for C callers' convenience
	*out, *outLen = (*C.uint8_t)(p), C.size_t(len(res))
	return code
}

func call(op string, in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	res, e := hostapi.Call(op, input(in, n))
	return answer(res, e, out, outLen)
}

//export codios_free
func codios_free(p *C.uint8_t) { C.free(unsafe.Pointer(p)) }

//export codios_version
func codios_version() C.uint32_t { return C.uint32_t(hostapi.VersionMajor<<16 | hostapi.VersionMinor) }

//export codios_guard_check
func codios_guard_check(guard C.uint64_t, in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	res, e := hostapi.GuardCheck(uint64(guard), input(in, n))
	return answer(res, e, out, outLen)
}

//export codios_release
func codios_release(handle C.uint64_t) C.int32_t {
	if e := hostapi.Release(uint64(handle)); e != nil {
		return C.int32_t(e.Code)
	}
	return 0
}

//export codios_abi_version
func codios_abi_version(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("abi_version", in, n, out, outLen)
}

//export codios_key_generate
func codios_key_generate(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("key_generate", in, n, out, outLen)
}

//export codios_key_parse
func codios_key_parse(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("key_parse", in, n, out, outLen)
}

//export codios_key_public
func codios_key_public(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("key_public", in, n, out, outLen)
}

//export codios_mint
func codios_mint(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("mint", in, n, out, outLen)
}

//export codios_attenuate
func codios_attenuate(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("attenuate", in, n, out, outLen)
}

//export codios_seal
func codios_seal(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("seal", in, n, out, outLen)
}

//export codios_thirdparty_request
func codios_thirdparty_request(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("thirdparty_request", in, n, out, outLen)
}

//export codios_thirdparty_sign
func codios_thirdparty_sign(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("thirdparty_sign", in, n, out, outLen)
}

//export codios_thirdparty_append
func codios_thirdparty_append(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("thirdparty_append", in, n, out, outLen)
}

//export codios_inspect
func codios_inspect(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("inspect", in, n, out, outLen)
}

//export codios_authorize
func codios_authorize(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("authorize", in, n, out, outLen)
}

//export codios_guard_new
func codios_guard_new(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("guard_new", in, n, out, outLen)
}

//export codios_noop
func codios_noop(in *C.uint8_t, n C.size_t, out **C.uint8_t, outLen *C.size_t) C.int32_t {
	return call("noop", in, n, out, outLen)
}
