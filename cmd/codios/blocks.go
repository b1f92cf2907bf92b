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

// rootKeyFlag adds --root-key to fs, for the commands that must verify
// the token: authorize, and inspect to show that the blocks are genuine.
func rootKeyFlag(fs *pflag.FlagSet) *string {
	return fs.String("root-key", "", "the root public `KEY` that verifies the token: ed25519/<hex> or a file")
}

// tokenArgs are the flags of the commands that read a token.
type tokenArgs struct {
	file, rootKey *string
}

// tokenFlags adds --token and a --root-key that the command requires.
func tokenFlags(fs *pflag.FlagSet) tokenArgs {
	return tokenArgs{
		file:    fs.String("token", "", "read the token from `FILE` (- for standard input)"),
		rootKey: rootKeyFlag(fs),
	}
}

// holderFlags adds --token and an optional --root-key, for the commands a
// token's holder runs offline (attenuate, seal, third-party request and
// append): they need no key but the token's own, which travels in it.
func holderFlags(fs *pflag.FlagSet) tokenArgs {
	return tokenArgs{
		file:    fs.String("token", "", "read the token from `FILE` (- for standard input)"),
		rootKey: fs.String("root-key", "", "verify the token first against the root public `KEY`: ed25519/<hex> or a file (optional)"),
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

// loadUnverified reads the token without verifying it, unless --root-key
// is given: then a token whose signatures do not verify against the root
// key is an error. Either way the token it returns is unverified: what is
// appended to it vouches for nothing in it.
func (a tokenArgs) loadUnverified() (*token.Unverified, error) {
	if *a.file == "" {
		return nil, errMissing("--token")
	}
	var root *token.PublicKey
	if *a.rootKey != "" {
		k, err := loadPublicKey(*a.rootKey)
		if err != nil {
			return nil, err
		}
		root = &k
	}
	data, err := readBinary(*a.file)
	if err != nil {
		return nil, err
	}
	u, err := token.ParseUnverified(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *a.file, err)
	}
	if root != nil {
		if _, err := u.Verify(*root); err != nil {
			return nil, fmt.Errorf("%s: %w", *a.file, err)
		}
	}
	return u, nil
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
		p.Checks = append(p.Checks, token.ExpiryCheck(time.Now().Add(*a.ttl)))
	}
	return p, nil
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
		return t.Serialize(), nil
	})
}

func runAttenuate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("attenuate")
	tok := holderFlags(fs)
	block := blockFlags(fs)
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		u, err := tok.loadUnverified()
		if err != nil {
			return nil, err
		}
		p, err := block.load()
		if err != nil {
			return nil, err
		}
		if u, err = u.Append(p, nil); err != nil {
			return nil, err
		}
		return u.Serialize(), nil
	})
}

func runSeal(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("seal")
	tok := holderFlags(fs)
	out := outputFlags(fs, "token", "token")
	return runBlockCommand(fs, out, args, stdout, stderr, func() ([]byte, error) {
		u, err := tok.loadUnverified()
		if err != nil {
			return nil, err
		}
		if u, err = u.Seal(); err != nil {
			return nil, err
		}
		return u.Serialize(), nil
	})
}
