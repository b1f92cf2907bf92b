package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/codios/codios/token"
)

// inspection is what inspect prints with --json.
type inspection struct {
	RootKeyID *uint32 `json:"root_key_id,omitempty"`
	// Verified is whether the signatures verify against RootKey; nil when
	// no root key was given, and then Blocks are decoded without checking
	// any signature: nothing in them is vouched for.
	Verified *bool          `json:"verified"`
	RootKey  string         `json:"root_key,omitempty"`
	Error    string         `json:"error,omitempty"`
	Sealed   *bool          `json:"sealed,omitempty"`
	Path     []string       `json:"path,omitempty"`
	Blocks   []blockSummary `json:"blocks,omitempty"`
}

type blockSummary struct {
	Index            int    `json:"index"`
	Kind             string `json:"kind"`
	Signer           string `json:"signer"`
	ExternalKey      string `json:"external_key,omitempty"`
	Version          string `json:"datalog_version"`
	SignatureVersion uint32 `json:"signature_version"`
	Context          string `json:"context,omitempty"`
	RevocationID     string `json:"revocation_id"`
	Datalog          string `json:"datalog"`
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect")
	file := fs.String("token", "", "read the token from `FILE` (- for standard input)")
	rootKey := rootKeyFlag(fs)
	jsonOut := fs.Bool("json", false, "print one JSON document")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	if *file == "" {
		return usageError(stderr, fs, "--token is required")
	}
	data, err := readBinary(*file)
	if err != nil {
		return fail(stderr, "inspect", err)
	}
	u, err := token.ParseUnverified(data, nil)
	if err != nil {
		return fail(stderr, "inspect", fmt.Errorf("%s: %w", *file, err))
	}
	var in inspection
	if id, ok := u.RootKeyID(); ok {
		in.RootKeyID = &id
	}
	code := exitOK
	if *rootKey != "" {
		root, err := loadPublicKey(*rootKey)
		if err != nil {
			return fail(stderr, "inspect", err)
		}
		in.RootKey = root.String()
		t, err := u.Verify(root)
		ok := err == nil
		in.Verified = &ok
		switch {
		case errors.Is(err, token.ErrInvalidSignature), errors.Is(err, token.ErrUnknownRootKey):
			in.Error = errorLine(err)
			code = exitDeny
		case err != nil:
			return fail(stderr, "inspect", fmt.Errorf("%s: %w", *file, err))
		default:
			in.fill(t.Blocks(), t.Sealed())
		}
	} else {
		blocks, err := u.UntrustedBlocks()
		if err != nil {
			return fail(stderr, "inspect", fmt.Errorf("%s: %w", *file, err))
		}
		in.fill(blocks, u.Sealed())
	}
	if *jsonOut {
		if c := printJSON(stdout, stderr, "inspect", in); c != exitOK {
			return c
		}
		return code
	}
	in.print(stdout)
	return code
}

// fill records the blocks, in order, and the delegation path.
func (in *inspection) fill(blocks []*token.Block, sealed bool) {
	in.Sealed = &sealed
	in.Path = []string{"root key"}
	for i, b := range blocks {
		s := blockSummary{
			Index:            i,
			Kind:             "attenuation",
			Signer:           fmt.Sprintf("holder of block %d", i-1),
			Version:          fmt.Sprintf("3.%d", b.Version-3),
			SignatureVersion: b.SignatureVersion,
			Context:          b.Context,
			RevocationID:     hex.EncodeToString(b.RevocationID),
			Datalog:          b.Program.String(),
		}
		hop := fmt.Sprintf("block %d", i)
		switch {
		case i == 0:
			s.Kind = "authority"
			s.Signer = "root key"
			hop += " (authority)"
		case b.ExternalKey != nil:
			s.Kind = "third-party"
			s.ExternalKey = b.ExternalKey.String()
			s.Signer = "third party " + s.ExternalKey
			hop += " (third party " + s.ExternalKey + ")"
		}
		in.Blocks = append(in.Blocks, s)
		in.Path = append(in.Path, hop)
	}
	if sealed {
		in.Path = append(in.Path, "sealed")
	}
}

// print writes the inspection for a person: whether the signatures were
// checked, then the delegation path and each block, which read top to
// bottom as the chain.
func (in *inspection) print(w io.Writer) {
	if in.RootKeyID != nil {
		fmt.Fprintf(w, "root key id: %d\n", *in.RootKeyID)
	}
	switch {
	case in.Verified == nil:
		fmt.Fprintln(w, "signatures: not checked (no --root-key): the blocks below are unverified")
	case !*in.Verified:
		fmt.Fprintf(w, "signatures: do not verify against %s: %s\n", in.RootKey, in.Error)
		return
	default:
		fmt.Fprintf(w, "signatures: verified against %s\n", in.RootKey)
	}
	fmt.Fprintf(w, "delegation path: %s\n", strings.Join(in.Path, " -> "))
	if *in.Sealed {
		fmt.Fprintln(w, "sealed: no block can be appended")
	} else {
		fmt.Fprintln(w, "open: its holder can append blocks")
	}
	for _, b := range in.Blocks {
		fmt.Fprintf(w, "\nblock %d (%s), signed by %s\n", b.Index, b.Kind, b.Signer)
		fmt.Fprintf(w, "  datalog v%s, signature v%d\n", b.Version, b.SignatureVersion)
		if b.Context != "" {
			fmt.Fprintf(w, "  context: %q\n", b.Context)
		}
		fmt.Fprintf(w, "  revocation id: %s\n", b.RevocationID)
		for _, line := range strings.Split(strings.TrimRight(b.Datalog, "\n"), "\n") {
			if line != "" {
				fmt.Fprintln(w, "    "+line)
			}
		}
	}
}
