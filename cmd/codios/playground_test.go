package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestPlaygroundServesUntilInterrupted starts the command on a free port,
// reads the URL it prints, loads the page, and interrupts it: it stops
// cleanly with exit status 0. The URL is printed after the command listens
// for SIGINT, so the signal cannot come too early.
func TestPlaygroundServesUntilInterrupted(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	stdoutR, stdoutW := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"playground", "--addr", "127.0.0.1:0", "--policies", filepath.Join(dir, "lib")}, stdoutW, &stderr)
		stdoutW.Close()
	}()
	out := bufio.NewScanner(stdoutR)
	if !out.Scan() {
		t.Fatalf("no output; stderr: %s", stderr.String())
	}
	m := regexp.MustCompile(`^Codios playground: (http://127\.0\.0\.1:\d+/)$`).FindStringSubmatch(out.Text())
	if m == nil {
		t.Fatalf("first line %q, want the URL", out.Text())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Codios playground") {
		t.Fatalf("GET %s: %s\n%s", m[1], resp.Status, page)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for out.Scan() {
		rest = append(rest, out.Text())
	}
	if c := <-code; c != exitOK {
		t.Errorf("exit status %d; stderr: %s", c, stderr.String())
	}
	if want := []string{"policy library: " + filepath.Join(dir, "lib"), "Press Ctrl+C to stop.", "stopped"}; strings.Join(rest, "\n") != strings.Join(want, "\n") {
		t.Errorf("output after the URL:\n%s\nwant:\n%s", strings.Join(rest, "\n"), strings.Join(want, "\n"))
	}
}
