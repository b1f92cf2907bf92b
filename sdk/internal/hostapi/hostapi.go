// Package hostapi is the one set of engine operations that every non-Go
// host reaches: the C ABI (sdk/cabi) and the WebAssembly build (sdk/wasm)
// are thin shims over it, with no logic of their own, so that Python and
// JavaScript decide exactly as Go does.
//
// Every operation takes JSON and returns JSON: Call(op, in) dispatches by
// name, and GuardCheck is the hot path, taking the guard's handle apart.
// Decoding is strict: an unknown field, trailing data or an input over
// MaxInput bytes is a bad_argument error. A panic in an operation is
// recovered into an internal error, so that it never crosses a language
// boundary.
//
// Objects that live across calls (guards) are held in a handle table:
// opaque uint64 handles, never reused, safe from many goroutines, released
// explicitly with the release operation. An unknown or released handle is
// a not_found error. Keys cross as their text forms ("ed25519/<hex>",
// "ed25519-private/<hex>"), which are short and need no release.
//
// Errors carry a stable Code (the C header and the JS module name the
// same numbers) and the Go error's message, unchanged.
package hostapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// ABI version: the major changes when an operation's JSON changes
// incompatibly (the C library's name carries it), the minor when one is
// added.
const (
	VersionMajor = 1
	VersionMinor = 0
)

// MaxInput bounds one operation's input, in bytes: tokens, policies and
// requests are far smaller, and a host's bug should not make the engine
// allocate without bound.
const MaxInput = 4 << 20

// Code is an error's stable number.
type Code int32

// The error codes; 0 is success.
const (
	OK          Code = 0
	BadArgument Code = 1 // bad JSON, unknown or missing field, input too large
	InvalidKey  Code = 2
	Parse       Code = 3 // Datalog syntax; the message has line:col
	InvalidTok  Code = 4 // malformed, bad signature, unknown root key, over limits
	Limit       Code = 5 // evaluation limits
	NotFound    Code = 6 // unknown or released handle, unknown operation
	IO          Code = 7
	Internal    Code = 8 // a recovered panic
)

// Error is an operation's failure.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// JSON is the error's JSON form, {"code":…,"message":…}.
func (e *Error) JSON() []byte {
	b, _ := json.Marshal(e)
	return b
}

func errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// classify gives a Go error its code; the message is kept unchanged.
func classify(err error, fallback Code) *Error {
	if err == nil {
		return nil
	}
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	var pe datalog.ParseErrors
	var pe1 *datalog.ParseError
	c := fallback
	switch {
	case errors.As(err, &pe), errors.As(err, &pe1), errors.Is(err, datalog.ErrSyntax):
		c = Parse
	case errors.Is(err, token.ErrInvalidKey):
		c = InvalidKey
	case errors.Is(err, token.ErrInvalidSignature), errors.Is(err, token.ErrUnknownRootKey),
		errors.Is(err, token.ErrFormat), errors.Is(err, token.ErrSealed):
		c = InvalidTok
	case errors.Is(err, datalog.ErrLimit):
		c = Limit
	}
	return &Error{Code: c, Message: err.Error()}
}

// handles is the table of live objects.
var handles struct {
	mu   sync.RWMutex
	m    map[uint64]any
	next atomic.Uint64
}

func put(v any) uint64 {
	h := handles.next.Add(1)
	handles.mu.Lock()
	if handles.m == nil {
		handles.m = map[uint64]any{}
	}
	handles.m[h] = v
	handles.mu.Unlock()
	return h
}

func get(h uint64) (any, *Error) {
	handles.mu.RLock()
	v, ok := handles.m[h]
	handles.mu.RUnlock()
	if !ok {
		return nil, errorf(NotFound, "hostapi: no object has handle %d (unknown or released)", h)
	}
	return v, nil
}

// Release frees the object of handle h.
func Release(h uint64) *Error {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	v, ok := handles.m[h]
	if !ok {
		return errorf(NotFound, "hostapi: no object has handle %d (unknown or released)", h)
	}
	delete(handles.m, h)
	if c, ok := v.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return classify(err, IO)
		}
	}
	return nil
}

// decode reads in strictly into v.
func decode(in []byte, v any) *Error {
	if len(in) > MaxInput {
		return errorf(BadArgument, "hostapi: input of %d bytes is over the limit of %d", len(in), MaxInput)
	}
	d := json.NewDecoder(bytes.NewReader(in))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errorf(BadArgument, "hostapi: %v", err)
	}
	if d.More() {
		return errorf(BadArgument, "hostapi: trailing data after the JSON value")
	}
	if _, err := d.Token(); err != io.EOF {
		return errorf(BadArgument, "hostapi: trailing data after the JSON value")
	}
	return nil
}

func encode(v any) ([]byte, *Error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, classify(err, Internal)
	}
	return b, nil
}

// op is one operation: JSON in, JSON out.
type op func(in []byte) ([]byte, *Error)

// typed adapts a typed operation to an op.
func typed[In, Out any](f func(*In) (Out, *Error)) op {
	return func(in []byte) ([]byte, *Error) {
		var x In
		if err := decode(in, &x); err != nil {
			return nil, err
		}
		out, err := f(&x)
		if err != nil {
			return nil, err
		}
		return encode(out)
	}
}

var ops map[string]op

func init() {
	ops = map[string]op{
		"abi_version":        typed(abiVersion),
		"key_generate":       typed(KeyGenerate),
		"key_parse":          typed(KeyParse),
		"key_public":         typed(KeyPublic),
		"mint":               typed(Mint),
		"attenuate":          typed(Attenuate),
		"seal":               typed(Seal),
		"thirdparty_request": typed(ThirdPartyRequest),
		"thirdparty_sign":    typed(ThirdPartySign),
		"thirdparty_append":  typed(ThirdPartyAppend),
		"inspect":            typed(Inspect),
		"authorize":          typed(Authorize),
		"guard_new":          typed(GuardNew),
		"guard_check":        guardCheckOp,
		"release":            typed(releaseOp),
		"noop":               func([]byte) ([]byte, *Error) { return []byte("{}"), nil },
	}
}

// Ops lists the operations Call knows.
func Ops() []string {
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	return names
}

// Call runs the operation named op on its JSON input and returns its JSON
// result, or an error. It never panics.
func Call(name string, in []byte) (out []byte, e *Error) {
	defer recoverInto(&out, &e)
	f, ok := ops[name]
	if !ok {
		return nil, errorf(NotFound, "hostapi: unknown operation %q", name)
	}
	return f(in)
}

func recoverInto(out *[]byte, e **Error) {
	if r := recover(); r != nil {
		*out = nil
		*e = errorf(Internal, "hostapi: internal error (a recovered panic): %v\n%s", r, debug.Stack())
	}
}

// VersionOut is abi_version's result.
type VersionOut struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
}

type empty struct{}

func abiVersion(*empty) (VersionOut, *Error) { return VersionOut{VersionMajor, VersionMinor}, nil }

// HandleIn names a handle.
type HandleIn struct {
	Handle uint64 `json:"handle"`
}

func releaseOp(in *HandleIn) (empty, *Error) { return empty{}, Release(in.Handle) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
