#!/bin/sh
# Builds the engine for WebAssembly into DIR (default: sdk/wasm/js, next to
# the loader): DIR/codios.wasm and DIR/wasm_exec.js, the loader of the Go that
# built it (the two must match). Both are build outputs, not committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/js}
mkdir -p "$out"
cd "$here"
GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o "$out/codios.wasm" .
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
