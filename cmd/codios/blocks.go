package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
	"github.com/spf13/pflag"
)

// rootKeyFlag adds --root-key to fs. The token package verifies a token
// before it lets anyone append to, seal or read it, so every command that
// takes a token needs its root public key.
func rootKeyFlag(fs *pflag.FlagSet) *string {
	return fs.String("root-key", "", "the root public `KEY` that verifies the token: ed25519/<hex> or a file")
}

// tokenArgs are the flags of the commands that read a token.
type tokenArgs struct {
	file, rootKey *string
}

func tokenFlags(fs *pflag.FlagSet) tokenArgs {
	return tokenArgs{
		file:    fs.String("token", "", "read the token from `FILE` (- for standard input)"),
		rootKey: rootKeyFlag(fs),
	}
}

// load reads and verifies the token. It needs both flags.
func (a tokenArgs) load() (*token.Token, error) {
	if *a.file == "" {
		return nil, errMissing("--token")
	}
	if *a.rootKey == "" {
		return nil, errMissing("--root-key")
	}
	root, err := loadPublicKey(*a.rootKey)
	if err != nil {
		return nil, err
	}
	return loadToken(*a.file, root)
}

// errMissing is a required flag left out.
type errMissing string

func (e errMissing) Error() string { return string(e) + " is required" }

// blockArgs are the flags of the commands that read a block of Datalog.
type blockArgs struct {
	file   *string
	params *[]string
	ttl    *time.Duration
}

func blockFlags(fs *pflag.FlagSet) blockArgs {
	return blockArgs{
		file:   fs.String("block", "", "read the block's Datalog from `FILE` (- for standard input)"),
		params: paramFlag(fs),
		ttl:    fs.Duration("ttl", 0, "add a check that the token expires after `DURATION` (1h, 30m...)"),
	}
}

// load parses the block, with its parameters and its expiry check.
func (a blockArgs) load() (*datalog.Program, error) {
	if *a.file == "" {
		return nil, errMissing("--block")
	}
	params, err := parseParams(*a.params)
	if err != nil {
		return nil, err
	}
	p, err := loadProgram(*a.file, params, false)
	if err != nil {
		return nil, err
	}
	if *a.ttl != 0 {
		if *a.ttl < 0 {
			return nil, fmt.Errorf("--ttl %v is negative", *a.ttl)
		}
		p.Checks = append(p.Checks, expiryCheck(time.Now().Add(*a.ttl)))
	}
	return p, nil
}

// expiryCheck is check if time($t), $t < until.
func expiryCheck(until time.Time) datalog.Check {
	src := fmt.Sprintf("check if time($t), $t < %s", until.UTC().Truncate(time.Second).Format(time.RFC3339))
	c, err := datalog.ParseCheck(src, nil)
	if err != nil {
		panic("codios: expiry check does not parse: " + err.Error())
	}
	return c
}

// runBlockCommand runs the common part of the commands that make a token,
// a request or a block: parse the flags, make, write.
func runBlockCommand(fs *pflag.FlagSet, out *output, args []string, stdout, stderr io.Writer, build func() ([]byte, error)) int {
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	if out.raw && out.json {
		return usageError(stderr, fs, "--raw and --json exclude each other")
	}
	data, err := build()
	if err != nil {
		var m errMissing
		if errors.As(err, &m) {
			return usageError(stderr, fs, m.Error())
		}
		return fail(stderr, fs.Name(), err)
	}
	if err := out.write(stdout, data); err != nil {
		return fail(stderr, fs.Name(), err)
	}
	return exitOK
}

func runMint(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("mint")
	keyFile := fs.String("key", "", "sign with the root private key in `FILE`")
	block := blockFlags(fs)
	rootKeyID := fs.Uint32("root-key-id", 0, "name the root key by id `N`, for verifiers holding several")
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		if *keyFile == "" {
			return nil, errMissing("--key")
		}
		key, err := loadPrivateKey(*keyFile)
		if err != nil {
			return nil, err
		}
		p, err := block.load()
		if err != nil {
			return nil, err
		}
		var opts token.BlockOptions
		if fs.Changed("root-key-id") {
			opts.RootKeyID = rootKeyID
		}
		t, err := token.New(key, p, &opts)
		if err != nil {
			return nil, err
		}
		return t.Serialize()
	})
}

func runAttenuate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("attenuate")
	tok := tokenFlags(fs)
	block := blockFlags(fs)
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		t, err := tok.load()
		if err != nil {
			return nil, err
		}
		p, err := block.load()
		if err != nil {
			return nil, err
		}
		if t, err = t.Append(p, nil); err != nil {
			return nil, err
		}
		return t.Serialize()
	})
}

func runSeal(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("seal")
	tok := tokenFlags(fs)
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		t, err := tok.load()
		if err != nil {
			return nil, err
		}
		if t, err = t.Seal(); err != nil {
			return nil, err
		}
		return t.Serialize()
	})
}
