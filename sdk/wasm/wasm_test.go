//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The module's size limits (issue 13).
const (
	maxRaw  = 8 << 20
	maxGzip = 2 << 20
)

// TestWasm builds the module as build.sh does into a temporary directory,
// holds it to the size limits, and runs the Node tests against it. Without
// node on PATH it skips (scripts/test installs Node 20).
func TestWasm(t *testing.T) {
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "codios.wasm"), ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, out)
	}
	execJS, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("size", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(dir, "codios.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(raw)
		w.Close()
		t.Logf("codios.wasm: %d bytes raw, %d gzipped", len(raw), gz.Len())
		if len(raw) > maxRaw {
			t.Errorf("%d bytes raw, over the limit of %d", len(raw), maxRaw)
		}
		if gz.Len() > maxGzip {
			t.Errorf("%d bytes gzipped, over the limit of %d", gz.Len(), maxGzip)
		}
	})

	t.Run("node", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			if os.Getenv("CODIOS_REQUIRE_TOOLS") != "" {
				t.Fatal("node is not installed (and CODIOS_REQUIRE_TOOLS is set)")
			}
			t.Skip("node is not installed")
		}
		tests, err := filepath.Glob(filepath.Join("js", "test", "*.test.mjs"))
		if err != nil || len(tests) == 0 {
			t.Fatalf("no Node tests (%v)", err)
		}
		// Read what node reads too, so that go test's cache sees it change.
		inputs, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*"))
		more, _ := filepath.Glob(filepath.Join("js", "test", "*.mjs"))
		loader, _ := filepath.Glob(filepath.Join("js", "*.mjs"))
		more = append(more, loader...)
		for _, f := range append(append(inputs, more...), tests...) {
			if _, err := os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(node, append([]string{"--test"}, tests...)...)
		cmd.Env = append(os.Environ(), "CODIOS_WASM_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node --test: %v\n%s", err, out)
		}
		if testing.Verbose() {
			t.Logf("%s", out)
		}
	})
}
