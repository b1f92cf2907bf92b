//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so that the package builds, vets and tests on every
// platform; the module is built with GOOS=js GOARCH=wasm (build.sh).
func main() {
	fmt.Fprintln(os.Stderr, "codios wasm: build with GOOS=js GOARCH=wasm (sdk/wasm/build.sh)")
	os.Exit(2)
}
