package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build builds the library into a temporary directory, as a user would:
// go build -buildmode=c-shared -o libcodios1.so ./sdk/cabi.
func build(t *testing.T) (dir, lib string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		skip(t, "no go command to build the library with")
	}
	dir = t.TempDir()
	lib = filepath.Join(dir, "libcodios1.so")
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-o", lib, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir, lib
}

// skip skips a test whose tool is missing, except where
// CODIOS_REQUIRE_TOOLS is set (scripts/test sets it): there a missing tool
// fails, so that a suite cannot pass by not running.
func skip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CODIOS_REQUIRE_TOOLS") != "" {
		t.Fatal(why + " (and CODIOS_REQUIRE_TOOLS is set)")
	}
	t.Skip(why)
}

// run runs a command in testdata; a test program must print "ok" last.
func run(t *testing.T, wantOK bool, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = "testdata"
	out, err := cmd.CombinedOutput()
	if err != nil || wantOK && !strings.HasSuffix(string(out), "ok\n") {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestOutsideGo runs the C and Python tests over one build of the
// library, which takes most of the time.
func TestOutsideGo(t *testing.T) {
	gcc, gccErr := exec.LookPath("gcc")
	py, pyErr := exec.LookPath("python3")
	if gccErr != nil && pyErr != nil {
		skip(t, "neither gcc nor python3 is installed: the C ABI is not tested from outside Go")
	}
	dir, lib := build(t)
	std, err := filepath.Abs("testdata/standard")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("C", func(t *testing.T) {
		if gccErr != nil {
			skip(t, "gcc is not installed: the C test is skipped")
		}
		bin := filepath.Join(dir, "test")
		run(t, false, gcc, "-Wall", "-Wextra", "-Werror", "-O1", "-I..", "-o", bin, "test.c",
			"-L"+dir, "-lcodios1", "-lpthread", "-Wl,-rpath,"+dir)
		run(t, true, bin, std)
	})
	t.Run("Python", func(t *testing.T) {
		if pyErr != nil {
			skip(t, "python3 is not installed: the Python test is skipped")
		}
		run(t, true, py, "test.py", lib, std)
	})
	t.Run("Python/corpus", func(t *testing.T) {
		if pyErr != nil {
			skip(t, "python3 is not installed: the Python corpus run is skipped")
		}
		corpus, err := filepath.Abs("../testdata/corpus")
		if err != nil {
			t.Fatal(err)
		}
		// Read here too, so that go test's cache sees a changed corpus.
		files, _ := filepath.Glob(filepath.Join(corpus, "*"))
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		run(t, true, py, "corpus.py", lib, corpus)
	})
}

// TestHeaderDeclaresEveryExport keeps codios.h, the documented interface,
// in step with the functions the library exports.
func TestHeaderDeclaresEveryExport(t *testing.T) {
	h, err := os.ReadFile("codios.h")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		name, ok := strings.CutPrefix(line, "//export ")
		if !ok {
			continue
		}
		n++
		if !strings.Contains(string(h), " "+name+"(") {
			t.Errorf("codios.h does not declare %s", name)
		}
	}
	if n < 15 {
		t.Fatalf("only %d exports found", n)
	}
}
