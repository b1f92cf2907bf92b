package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRun runs command lines through run, as main does, and checks the exit
// status and both output streams. A pattern that is empty means the stream
// must be empty.
func TestRun(t *testing.T) {
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string // regular expressions
	}{
		{args: nil, code: 2, stderr: `(?s)^Codios: .*Commands:.*\n  help +show .*\n  version +print .*\n  demo +run `},
		{args: []string{"help"}, code: 0, stdout: `(?s)^Codios: .*Usage:.*\n  help +show .*\n  version +print .*\n  demo +run .*codios help <command>`},
		{args: []string{"--help"}, code: 0, stdout: `(?s)^Codios: .*Commands:`},
		{args: []string{"-h"}, code: 0, stdout: `(?s)^Codios: .*Commands:`},
		{args: []string{"help", "version"}, code: 0, stdout: `^usage: codios version \[flags\]\n\nVersion prints `},
		{args: []string{"help", "help"}, code: 0, stdout: `^usage: codios help \[command\]\n`},
		{args: []string{"help", "--help"}, code: 0, stdout: `^usage: codios help \[command\]\n`},
		{args: []string{"help", "nope"}, code: 2, stderr: `^codios help: unknown command "nope"; run 'codios help' for the list\n$`},
		{args: []string{"help", "demo", "version"}, code: 2, stderr: `^codios help: unexpected argument "version"\nusage: codios help`},
		{args: []string{"version"}, code: 0, stdout: `^codios \S+\n$`},
		{args: []string{"version", "--help"}, code: 0, stdout: `^usage: codios version \[flags\]\n`},
		{args: []string{"version", "extra"}, code: 2, stderr: `^codios version: unexpected argument "extra"\nusage: codios version \[flags\]\n`},
		{args: []string{"version", "--bogus"}, code: 2, stderr: `^codios version: unknown flag: --bogus\nusage: codios version \[flags\]\n`},
		{args: []string{"demo", "-h"}, code: 0, stdout: `^usage: codios demo \[flags\]\n\nDemo runs, `},
		{args: []string{"help", "demo"}, code: 0, stdout: `^usage: codios demo \[flags\]\n\nDemo runs, `},
		{args: []string{"nope"}, code: 2, stderr: `^codios: unknown command "nope"; run 'codios help' for the list\n$`},
		{args: []string{"--bogus"}, code: 2, stderr: `^codios: unknown command "--bogus"; run 'codios help' for the list\n$`},
	} {
		t.Run(strings.Join(append([]string{"codios"}, tt.args...), " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			checkOutput(t, "stdout", stdout.String(), tt.stdout)
			checkOutput(t, "stderr", stderr.String(), tt.stderr)
		})
	}
}

func checkOutput(t *testing.T, name, got, pattern string) {
	t.Helper()
	if pattern == "" {
		if got != "" {
			t.Errorf("%s is not empty:\n%s", name, got)
		}
		return
	}
	if !regexp.MustCompile(pattern).MatchString(got) {
		t.Errorf("%s does not match %#q:\n%s", name, pattern, got)
	}
}

// TestCommandsDocumented checks that every command in the table has what
// help prints, and that no two share a name.
func TestCommandsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if c.name == "" || c.summary == "" || c.doc == "" || c.run == nil {
			t.Errorf("command %q lacks a name, summary, doc or run function", c.name)
		}
		if seen[c.name] {
			t.Errorf("command %q is in the table twice", c.name)
		}
		seen[c.name] = true
	}
}
