package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/codios/codios/token"
)

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("keygen")
	alg := fs.String("alg", "ed25519", "the key's `algorithm`: ed25519 or p256")
	out := fs.String("out", "", "write the private key to `FILE` and the public key to FILE.pub")
	force := fs.Bool("force", false, "overwrite FILE and FILE.pub if they exist")
	jsonOut := fs.Bool("json", false, "print the public key as JSON")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	var a token.Algorithm
	switch *alg {
	case "ed25519":
		a = token.Ed25519
	case "p256", "secp256r1":
		a = token.Secp256r1
	default:
		return usageError(stderr, fs, fmt.Sprintf("unknown algorithm %q: want ed25519 or p256", *alg))
	}
	if *out == "" {
		return usageError(stderr, fs, "--out is required")
	}
	key, err := token.GenerateKey(a, nil)
	if err != nil {
		return fail(stderr, "keygen", err)
	}
	pub := key.Public().String()
	// Both files are written before either replaces anything: a failure
	// leaves the old pair as it was, not half of each.
	if err := writeFiles(*force,
		outFile{*out, []byte(key.SecretText() + "\n"), 0o600},
		outFile{*out + ".pub", []byte(pub + "\n"), 0o644}); err != nil {
		return fail(stderr, "keygen", err)
	}
	if *jsonOut {
		return printJSON(stdout, stderr, "keygen", map[string]string{"public_key": pub, "private_key_file": *out, "public_key_file": *out + ".pub"})
	}
	fmt.Fprintln(stdout, pub)
	return exitOK
}

// loadPrivateKey reads a private key file, as keygen writes it.
func loadPrivateKey(name string) (*token.PrivateKey, error) {
	data, err := readInput(name)
	if err != nil {
		return nil, err
	}
	key, err := token.ParsePrivateKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return key, nil
}

// loadPublicKey reads a public key given as its text, ed25519/<hex>, or as
// a file holding it (a .pub file of keygen).
func loadPublicKey(arg string) (token.PublicKey, error) {
	k, keyErr := token.ParsePublicKey(arg)
	if keyErr == nil {
		return k, nil
	}
	data, err := readInput(arg)
	switch {
	case errors.Is(err, os.ErrNotExist) && (strings.HasPrefix(arg, "ed25519/") || strings.HasPrefix(arg, "secp256r1/")):
		return token.PublicKey{}, fmt.Errorf("public key %q: %w", arg, keyErr)
	case err != nil:
		return token.PublicKey{}, fmt.Errorf("public key %q is neither a key text (ed25519/<hex>) nor a readable file: %w", arg, err)
	}
	k, err = token.ParsePublicKey(strings.TrimSpace(string(data)))
	if err != nil {
		return token.PublicKey{}, fmt.Errorf("%s: %w", arg, err)
	}
	return k, nil
}
