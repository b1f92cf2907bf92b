package main

import (
	"fmt"
	"io"

	"github.com/codios/codios/token"
)

// thirdPartyCommands are the subcommands of "codios third-party".
var thirdPartyCommands []command

func init() {
	thirdPartyCommands = []command{
		{
			name:    "third-party request",
			summary: "print the request a third party signs a block for",
			doc: "Request prints the third-party block request of a token: what its holder\n" +
				"sends a third party so that it signs a block for this token and no other.\n" +
				"It needs no root key; with --root-key the token is verified first, and one\n" +
				"whose signatures do not verify against it is refused (exit 2).\n\n" +
				"Example:\n\n" +
				"\tcodios third-party request --token agent.token > req",
			run: runThirdPartyRequest,
		},
		{
			name:    "third-party sign",
			summary: "sign a block for a request, as the third party",
			doc: "Sign writes the block of Datalog and signs it with the third party's private\n" +
				"key, for the token the request came from. It prints the signed block, which\n" +
				"the token's holder appends with \"codios third-party append\".\n\n" +
				paramsDoc + "\n\n" +
				"Example:\n\n" +
				"\tcodios third-party sign --key idp.key --request req --block group.datalog > resp",
			run: runThirdPartySign,
		},
		{
			name:    "third-party append",
			summary: "append a block a third party signed",
			doc: "Append appends to the token a block that a third party signed for it, and\n" +
				"prints the new token. It needs no root key; with --root-key the token is\n" +
				"verified first, and one whose signatures do not verify against it is\n" +
				"refused (exit 2).\n\n" +
				"Example:\n\n" +
				"\tcodios third-party append --token agent.token --block-response resp",
			run: runThirdPartyAppend,
		},
	}
}

func runThirdParty(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "codios third-party: missing subcommand: request, sign or append")
		printCommandUsage(stderr, lookup("third-party"), newFlags("third-party"))
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printCommandUsage(stdout, lookup("third-party"), newFlags("third-party"))
		return exitOK
	}
	c := lookup("third-party " + args[0])
	if c == nil {
		fmt.Fprintf(stderr, "codios third-party: unknown subcommand %q: want request, sign or append\n", args[0])
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func runThirdPartyRequest(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("third-party request")
	tok := holderFlags(fs)
	out := outputFlags(fs, "request", "request")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		u, err := tok.loadUnverified()
		if err != nil {
			return nil, err
		}
		req, err := u.ThirdPartyRequest()
		if err != nil {
			return nil, err
		}
		return req.Serialize(), nil
	})
}

func runThirdPartySign(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("third-party sign")
	keyFile := fs.String("key", "", "sign with the third party's private key in `FILE`")
	reqFile := fs.String("request", "", "read the request from `FILE` (- for standard input)")
	block := blockFlags(fs)
	out := outputFlags(fs, "signed block", "block")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		if *keyFile == "" {
			return nil, errMissing("--key")
		}
		if *reqFile == "" {
			return nil, errMissing("--request")
		}
		key, err := loadPrivateKey(*keyFile)
		if err != nil {
			return nil, err
		}
		data, err := readBinary(*reqFile)
		if err != nil {
			return nil, err
		}
		req, err := token.ParseThirdPartyRequest(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", *reqFile, err)
		}
		p, err := block.load()
		if err != nil {
			return nil, err
		}
		b, err := req.Sign(key, p)
		if err != nil {
			return nil, err
		}
		return b.Serialize(), nil
	})
}

func runThirdPartyAppend(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("third-party append")
	tok := holderFlags(fs)
	respFile := fs.String("block-response", "", "read the signed block from `FILE` (- for standard input)")
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		if *respFile == "" {
			return nil, errMissing("--block-response")
		}
		u, err := tok.loadUnverified()
		if err != nil {
			return nil, err
		}
		data, err := readBinary(*respFile)
		if err != nil {
			return nil, err
		}
		b, err := token.ParseThirdPartyBlock(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", *respFile, err)
		}
		if u, err = u.AppendThirdParty(b, nil); err != nil {
			return nil, err
		}
		return u.Serialize(), nil
	})
}
