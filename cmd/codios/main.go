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
// usage errors the same way for all of them. A command with subcommands
// ("third-party") dispatches to a table of its own, whose entries are named
// with both words ("third-party sign").
//
// # Exit status
//
// 0 on success or when authorize allows, 1 when authorize denies (or
// inspect finds that the signatures do not verify, or a policy test case
// fails), 2 on bad input or a
// usage error: an unknown command, flag or argument, a missing or
// malformed file, key, token or Datalog, or a token that does not verify
// against the --root-key given to attenuate, seal, third-party or revoke. Errors are one line on standard
// error, naming the file, line and column where there is one.
//
// # Files
//
// Every file argument may be "-" for standard input. Tokens, third-party
// requests and signed blocks are written as base64 URL text (raw bytes
// with --raw) and read in either form. Files are written atomically: to a
// temporary file in the same directory, synced, then renamed, so that no
// command leaves a half-written file behind; an existing file is kept
// unless --force is given.
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
	exitDeny  = 1
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
			name:    "keygen",
			summary: "make a key pair",
			doc: "Keygen makes a private key, writes it to FILE (mode 0600) and its public key\n" +
				"to FILE.pub, and prints the public key, ed25519/<hex>. It refuses to\n" +
				"overwrite either file without --force.\n\n" +
				"Example:\n\n" +
				"\tcodios keygen --out root.key",
			run: runKeygen,
		},
		{
			name:    "mint",
			summary: "mint a token: its authority block, signed with the root key",
			doc: "Mint signs the block of Datalog with the root private key and prints the new\n" +
				"token. --ttl adds the check that the token expires.\n\n" +
				paramsDoc + "\n\n" +
				"Example:\n\n" +
				"\tcodios mint --key root.key --block authority.datalog --param user=alice --ttl 24h > agent.token",
			run: runMint,
		},
		{
			name:    "attenuate",
			summary: "append a block to a token, offline",
			doc: "Attenuate appends a block of Datalog to the token and prints the new token.\n" +
				"A block can only narrow what the token allows: --ttl can only shorten its\n" +
				"life. Attenuation is offline and needs no key but the token's own, which\n" +
				"travels in it. With --root-key the token is verified first, and one whose\n" +
				"signatures do not verify against it is refused (exit 2); without, it is not\n" +
				"verified, and neither is the new token: a service verifies it as any other.\n\n" +
				paramsDoc + "\n\n" +
				"Example:\n\n" +
				"\tcodios attenuate --token agent.token --block readonly.datalog --ttl 1h",
			run: runAttenuate,
		},
		{
			name:    "seal",
			summary: "seal a token, so that no block can be appended",
			doc: "Seal prints the token sealed: nobody can append a block to it any more.\n" +
				"Like attenuate, it needs no key but the token's own. With --root-key the\n" +
				"token is verified first, and one whose signatures do not verify against it\n" +
				"is refused (exit 2).\n\n" +
				"Example:\n\n" +
				"\tcodios seal --token agent.token",
			run: runSeal,
		},
		{
			name:    "third-party",
			args:    "request|sign|append [flags]",
			summary: "request, sign and append third-party blocks",
			doc: "Third-party blocks are signed by a key other than the token's: a holder sends\n" +
				"a request, the third party signs a block for it, the holder appends it.\n" +
				"The holder needs no root key; --root-key, optional, verifies the token first.\n\n" +
				"\tcodios third-party request --token FILE\n" +
				"\tcodios third-party sign --key FILE --request FILE --block FILE.datalog\n" +
				"\tcodios third-party append --token FILE --block-response FILE\n\n" +
				"Run 'codios third-party <subcommand> --help' for the flags of each.",
			run: runThirdParty,
		},
		{
			name:    "inspect",
			summary: "print a token's blocks and delegation path",
			doc: "Inspect prints every block of the token in order with its Datalog, version,\n" +
				"signer (the third party's key for a third-party block) and revocation id,\n" +
				"whether the token is sealed, and its delegation path. With --root-key it\n" +
				"first verifies the signatures against the root key, and exits 1 if they do\n" +
				"not verify. Without, it checks no signature and says so: the blocks it shows\n" +
				"are what the token claims, not what a service would accept.\n\n" +
				"Example:\n\n" +
				"\tcodios inspect --token agent.token --root-key root.key.pub",
			run: runInspect,
		},
		{
			name:    "authorize",
			summary: "authorize a token against a policy",
			doc: "Authorize verifies the token with the root key and evaluates it with the\n" +
				"policy and the request's facts. It prints the decision: on a denial every\n" +
				"failed check first, with its block and source text (an expiry check says when\n" +
				"the token expired), then the policy that would have allowed. It exits 0 on\n" +
				"allow, 1 on deny, and 2 on bad input, which a token that does not verify\n" +
				"against the root key is: the message names the key. --explain\n" +
				"adds the world, every fact with the blocks it comes from, and for each\n" +
				"failed check the predicates that no fact matches.\n\n" +
				paramsDoc + "\nParameters bind the policy's; facts take none.\n\n" +
				"Example:\n\n" +
				"\tcodios authorize --token agent.token --root-key root.key.pub --policy service.datalog \\\n" +
				"\t\t--fact 'resource(\"/x\")' --fact 'operation(\"read\")'",
			run: runAuthorize,
		},
		{
			name:    "test",
			args:    "[PATH ...]",
			summary: "run policy test cases",
			doc: "Test runs the policy test files (*_test.txt) found under each PATH, the\n" +
				"current folder by default: each case mints and attenuates a token for real,\n" +
				"authorizes it and compares the outcome with what the case expects. It prints\n" +
				"one line per case, a diff under each failure, then \"N passed, M failed\", and\n" +
				"exits 1 when a case fails.\n\n" +
				"Example:\n\n" +
				"\tcodios test policies/",
			run: runTest,
		},
		{
			name:    "playground",
			summary: "serve the web playground, to write and try policies in a browser",
			doc: "Playground serves a page where you write a token's blocks and a service's\n" +
				"policy, authorize a request and see why it is allowed or denied; the engine\n" +
				"is this program's. It listens on loopback by default and prints the URL;\n" +
				"Ctrl+C stops it. Every asset is in the binary: nothing is fetched from outside.\n\n" +
				"Example:\n\n" +
				"\tcodios playground --addr 127.0.0.1:7007",
			run: runPlayground,
		},
		{
			name:    "audit",
			args:    "FILE",
			summary: "print an audit log as delegation trees",
			doc: "Audit reads an audit log, the JSON lines the Go SDK's middleware writes, and\n" +
				"prints it as delegation trees: under each issuer the tokens it minted, under\n" +
				"each block the blocks appended to it, named after the agent that holds the\n" +
				"token and the agent that delegated it, and under each the calls made with\n" +
				"exactly that chain: time, service, method, path and outcome, with the failed\n" +
				"checks (their block and the agent that wrote it) or the reason of a refusal.\n" +
				"Calls without a valid token come last. Revocation ids show their first 12\n" +
				"hex digits, enough for --token; codios revoke prints a whole one.\n\n" +
				"A damaged line (a record cut short by a full disk, say) is named on stderr and\n" +
				"skipped; every whole record is still printed, and the exit status is 1.\n\n" +
				"--agent keeps the calls whose chain names the agent: its own and those\n" +
				"downstream of it; --token those whose chain has the block; --denied those\n" +
				"not allowed. The filters combine.\n\n" +
				"Example:\n\n" +
				"\tcodios audit codios-audit.log --agent research --denied",
			run: runAudit,
		},
		{
			name:    "revoke",
			summary: "revoke a token's block: add its revocation id to a revocation list",
			doc: "Revoke prints the hex revocation id of block N of the token, on one line, and\n" +
				"with --list adds it to that revocation list: a service that reads the list\n" +
				"refuses that block and every token derived from it, while the blocks before it\n" +
				"keep working. The list is replaced atomically (a new file renamed over it) and\n" +
				"ends with a line that counts its ids, so that a service never loads half a\n" +
				"list; it is created if missing. Block 0 is the authority block. Without\n" +
				"--root-key the token's signatures are not checked; with it, a token that does\n" +
				"not verify is refused (exit 2).\n\n" +
				"Example:\n\n" +
				"\tcodios revoke --token research.token --block 1 --list revoked.txt",
			run: runRevoke,
		},
		{
			name:    "version",
			summary: "print the version of codios",
			doc:     "Version prints the version of codios, taken from the build information, or \"devel\".",
			run:     runVersion,
		},
		{
			name:    "demo",
			summary: "run the three-agent delegation demo",
			doc:     demoDoc,
			run:     runDemo,
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

// lookup returns the command called name, or nil. A subcommand's name
// is its command's and its own: "third-party sign".
func lookup(name string) *command {
	for _, table := range [][]command{commands, thirdPartyCommands} {
		for i := range table {
			if table[i].name == name {
				return &table[i]
			}
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
	fs := newFlags("version")
	jsonOut := fs.Bool("json", false, "print one JSON document")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	if *jsonOut {
		return printJSON(stdout, stderr, "version", map[string]string{"version": version()})
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
