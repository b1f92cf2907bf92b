//go:build js && wasm

package main

import (
	"fmt"
	"os"
	"syscall/js"

	"github.com/codios/codios/internal/edhost"
	"github.com/codios/codios/token"
)

// main builds the module's object and hands it to the loader: the
// loader passes, as the program's first argument, the name of a global
// function that receives it (and that the loader deletes at once), so
// that nothing else is left on globalThis. Then main blocks forever:
// the object's functions run as JavaScript calls them.
func main() {
	if len(os.Args) < 2 {
		panic("codios wasm: started without the loader's callback name")
	}
	api := js.Global().Get("Object").New()
	api.Set("abiVersion", abiVersion)
	api.Set("call", js.FuncOf(call))
	api.Set("guardCheck", js.FuncOf(guardCheck))
	api.Set("setEd25519Host", js.FuncOf(setEd25519Host))
	api.Set("verifyEd25519", js.FuncOf(verifyEd25519))
	js.Global().Call(os.Args[1], api)
	select {}
}

// in copies a Uint8Array argument into Go memory; anything else is an
// error of code bad_argument.
func in(v js.Value) ([]byte, bool) {
	if v.Type() != js.TypeObject || !v.InstanceOf(uint8Array) {
		return nil, false
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b, true
}

var uint8Array = js.Global().Get("Uint8Array")

// out is the result of a call: a Uint8Array on success, or an object
// {code, message} that the loader throws as a CodiosError.
func out(b []byte, code int, message string) any {
	if code != 0 {
		return map[string]any{"code": code, "message": message}
	}
	a := uint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// call is codios.call(op string, input Uint8Array): one operation of
// hostapi.
func call(_ js.Value, args []js.Value) any {
	return entry(args, js.TypeString, "call(op: string, input: Uint8Array)", "call: the input must be a Uint8Array",
		func(op js.Value, input []byte) ([]byte, int, string) { return dispatch(op.String(), input) })
}

// guardCheck is codios.guardCheck(handle number, request Uint8Array):
// the hot path, without the operation's name to look up.
func guardCheck(_ js.Value, args []js.Value) any {
	return entry(args, js.TypeNumber, "guardCheck(handle: number, request: Uint8Array)", "guardCheck: the request must be a Uint8Array",
		func(handle js.Value, input []byte) ([]byte, int, string) {
			return checkGuard(uint64(handle.Float()), input)
		})
}

// entry is what call and guardCheck share: their two arguments checked
// (a first of type first, then a Uint8Array), the input copied in, and
// the result or error copied out. A panic never reaches JavaScript (it
// would stop the Go program, and every later call would fail): it
// becomes code internal.
func entry(args []js.Value, first js.Type, usage, notBytes string, run func(js.Value, []byte) ([]byte, int, string)) (res any) {
	defer func() {
		if r := recover(); r != nil {
			res = out(nil, codeInternal, fmt.Sprint("internal error (recovered panic): ", r))
		}
	}()
	if len(args) != 2 || args[0].Type() != first {
		return out(nil, codeBadArgument, usage)
	}
	input, ok := in(args[1])
	if !ok {
		return out(nil, codeBadArgument, notBytes)
	}
	return out(run(args[0], input))
}

// setEd25519Host is codios.setEd25519Host(host | null), host being
// {verify(buf: Uint8Array): boolean, publicKey(seed: Uint8Array):
// Uint8Array | null}: buf is the key (32 bytes), the signature (64) and
// the message, one buffer so that a verification costs one copy and one
// call across. What the host may decide, and why the verdicts stay Go's,
// is internal/edhost's doc. A host function that throws decides nothing:
// Go does the work itself.
func setEd25519Host(_ js.Value, args []js.Value) any {
	if len(args) != 1 || args[0].Type() != js.TypeObject {
		edhost.Set(nil)
		edhost.SetDeriver(nil)
		return nil
	}
	if verify := args[0].Get("verify"); verify.Type() == js.TypeFunction {
		edhost.Set(func(pub, msg, sig []byte) (ok bool) {
			defer func() {
				if recover() != nil {
					ok = false
				}
			}()
			buf := make([]byte, 0, len(pub)+len(sig)+len(msg))
			buf = append(append(append(buf, pub...), sig...), msg...)
			a := uint8Array.New(len(buf))
			js.CopyBytesToJS(a, buf)
			r := verify.Invoke(a)
			return r.Type() == js.TypeBoolean && r.Bool()
		})
	} else {
		edhost.Set(nil)
	}
	if derive := args[0].Get("publicKey"); derive.Type() == js.TypeFunction {
		edhost.SetDeriver(func(seed []byte) (pub []byte, ok bool) {
			defer func() {
				if recover() != nil {
					pub, ok = nil, false
				}
			}()
			a := uint8Array.New(len(seed))
			js.CopyBytesToJS(a, seed)
			r := derive.Invoke(a)
			if r.Type() != js.TypeObject || !r.InstanceOf(uint8Array) || r.Length() != 32 {
				return nil, false
			}
			pub = make([]byte, 32)
			js.CopyBytesToGo(pub, r)
			return pub, true
		})
	} else {
		edhost.SetDeriver(nil)
	}
	return nil
}

// verifyEd25519 is codios.verifyEd25519(key, message, signature
// Uint8Array) -> boolean: token.PublicKey.Verify on a raw key, the rules
// every signature of a token is held to, with the host's work if it is
// set. It is how the tests hold the host path to Go's own, case by case.
func verifyEd25519(_ js.Value, args []js.Value) any {
	if len(args) != 3 {
		return false
	}
	pub, ok1 := in(args[0])
	msg, ok2 := in(args[1])
	sig, ok3 := in(args[2])
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	k, err := token.NewPublicKey(token.Ed25519, pub)
	return err == nil && k.Verify(msg, sig) == nil
}
