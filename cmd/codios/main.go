// Command codios is the Codios command-line tool.
//
// Usage:
//
//	codios <command> [flags] [arguments]
//
// Run "codios help" for the list of commands.
//
// # Commands
//
// Each command is one entry in the commands table: a name, a one-line
// summary for the list, a paragraph for "codios help <command>", and a run
// function that takes the command's arguments and its output streams and
// returns the exit status. Adding a command means adding an entry; run
// functions parse their flags with [parseFlags], which handles --help and
// usage errors the same way for all of them.
//
// # Exit status
//
// 0 on success, 1 when a command fails, 2 on a usage error (an unknown
// command, flag or argument).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK    = 0
	exitUsage = 2
)

// A command is one subcommand of codios.
type command struct {
	name    string
	args    string // the arguments after the name in the usage line
	summary string // one line for the command list
	doc     string // a paragraph for "codios help <command>"
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the command table, in the order "codios help" lists it. It
// is filled in init because the help command reads it.
var commands []command

func init() {
	commands = []command{
		{
			name:    "help",
			args:    "[command]",
			summary: "show usage, for codios or for one command",
			doc:     "Help shows the list of commands, or the usage of the named command.",
			run:     runHelp,
		},
		{
			name:    "version",
			summary: "print the version of codios",
			doc:     "Version prints the version of codios, taken from the build information, or \"devel\".",
			run:     runVersion,
		},
		{
			name:    "demo",
			summary: "run the three-agent delegation demo (planned)",
			doc: "Demo will run the three-agent delegation demo: a token minted for one agent,\n" +
				"attenuated offline as it is handed to two more, and checked by an authorizer.\n" +
				"It arrives with the Go SDK; for now it only says so.",
			run: runDemo,
		},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "codios: unknown command %q; run 'codios help' for the list\n", args[0])
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// printUsage prints the usage of codios and the list of commands.
func printUsage(w io.Writer) {
	fmt.Fprint(w, "Codios: cryptographic authorization for AI agents.\n\n"+
		"Usage:\n\n\tcodios <command> [flags] [arguments]\n\nCommands:\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun 'codios help <command>' for more about a command.\n")
}

// printCommandUsage prints the usage of c, whose flags are in fs.
func printCommandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	line := "codios " + c.name
	if fs.HasFlags() {
		line += " [flags]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", line, c.doc)
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

// newFlags returns an empty flag set for the command called name; the
// command defines its flags on it and calls [parseFlags].
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseFlags reports errors itself.
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args with fs, made by [newFlags], and checks that at
// most maxArgs arguments remain. If done is true, the command must return
// code at once: the usage was asked for with --help and printed to stdout
// (exitOK), or the arguments were wrong and the error went to stderr
// (exitUsage).
func parseFlags(fs *pflag.FlagSet, args []string, maxArgs int, stdout, stderr io.Writer) (rest []string, code int, done bool) {
	c := lookup(fs.Name())
	if c == nil {
		panic("codios: parseFlags: no command called " + fs.Name())
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		printCommandUsage(stdout, c, fs)
		return nil, exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "codios %s: %v\n", c.name, err)
	case fs.NArg() > maxArgs:
		fmt.Fprintf(stderr, "codios %s: unexpected argument %q\n", c.name, fs.Arg(maxArgs))
	default:
		return fs.Args(), exitOK, false
	}
	printCommandUsage(stderr, c, fs)
	return nil, exitUsage, true
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	rest, code, done := parseFlags(newFlags("help"), args, 1, stdout, stderr)
	if done {
		return code
	}
	if len(rest) == 0 {
		printUsage(stdout)
		return exitOK
	}
	c := lookup(rest[0])
	if c == nil {
		fmt.Fprintf(stderr, "codios help: unknown command %q; run 'codios help' for the list\n", rest[0])
		return exitUsage
	}
	return c.run([]string{"--help"}, stdout, stderr)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if _, code, done := parseFlags(newFlags("version"), args, 0, stdout, stderr); done {
		return code
	}
	fmt.Fprintf(stdout, "codios %s\n", version())
	return exitOK
}

// version returns the main module's version from the build information,
// or "devel" when the build has none.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "devel"
	}
	return info.Main.Version
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	if _, code, done := parseFlags(newFlags("demo"), args, 0, stdout, stderr); done {
		return code
	}
	fmt.Fprintln(stdout, "codios demo: not yet: the three-agent delegation demo arrives with the Go SDK.")
	return exitOK
}
