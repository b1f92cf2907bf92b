package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
	"github.com/spf13/pflag"
)

// stdin is what the file name "-" reads.
var stdin io.Reader = os.Stdin

// maxInputBytes bounds what a command reads from one file: more than the
// largest token (token.DefaultLimits()) or Datalog source (datalog's
// MaxSourceBytes) it accepts, so that those limits report a file too large.
const maxInputBytes = 4 << 20

// readInput reads the file name, or standard input for "-", up to
// maxInputBytes.
func readInput(name string) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInputBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInputBytes)
	}
	return data, nil
}

// errExist is an output file that is there already, without --force.
var errExist = errors.New("already exists; use --force to overwrite it")

// outFile is one file a command writes.
type outFile struct {
	name string
	data []byte
	perm fs.FileMode
}

// writeFile writes one file as writeFiles does.
func writeFile(name string, data []byte, perm fs.FileMode, force bool) error {
	return writeFiles(force, outFile{name, data, perm})
}

// writeFiles writes files atomically, all or none: each to a temporary
// file beside it (mode 0600 until it is complete, as what it holds may be
// a secret), synced; only when every one is written are they put in
// place, so that no command leaves a half-written file, nor replaces one
// file of a set (a key and its .pub) and then fails on the next. Unless
// force is set, an existing name is an error wrapping errExist. With force,
// a file replaced before a later one fails is put back as it was.
func writeFiles(force bool, files ...outFile) (err error) {
	if !force {
		for _, f := range files {
			if _, err := os.Lstat(f.name); err == nil {
				return fmt.Errorf("%s: %w", f.name, errExist)
			}
		}
	}
	temps := make([]string, 0, len(files))
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp) // once in place, a temporary name is gone already
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(f)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	var done []placed
	defer func() {
		for i := len(done) - 1; i >= 0; i-- {
			done[i].finish(err == nil)
		}
	}()
	for i, f := range files {
		p, err := install(temps[i], f.name, force)
		if err != nil {
			return err
		}
		done = append(done, p)
	}
	return nil
}

// writeTemp writes f to a new temporary file beside f.name, created 0600,
// and gives it f.perm once complete. It returns the temporary file's name.
func writeTemp(f outFile) (name string, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(f.name), "."+filepath.Base(f.name)+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(f.data); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Chmod(f.perm); err != nil {
		return "", err
	}
	return tmp.Name(), tmp.Close()
}

// placed is a file put in place by install: its name, and the hard link
// that keeps the file it replaced ("" if there was none).
type placed struct {
	name, backup string
}

// install puts the temporary file tmp in place as name. Without force it
// links it, which fails if name appeared meanwhile (a rename would replace
// it); with force it keeps a link to the file it replaces, then renames.
func install(tmp, name string, force bool) (placed, error) {
	if !force {
		if err := os.Link(tmp, name); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return placed{}, fmt.Errorf("%s: %w", name, errExist)
			}
			return placed{}, err
		}
		return placed{name: name}, nil
	}
	p := placed{name: name}
	if _, err := os.Lstat(name); err == nil {
		p.backup = tmp + ".old"
		if err := os.Link(name, p.backup); err != nil {
			return placed{}, err
		}
	}
	if err := os.Rename(tmp, name); err != nil {
		if p.backup != "" {
			os.Remove(p.backup)
		}
		return placed{}, err
	}
	return p, nil
}

// finish keeps the new file and drops the old one, or, when the set
// failed, puts the old file back (or removes the new one if there was
// none).
func (p placed) finish(keep bool) {
	switch {
	case keep && p.backup != "":
		os.Remove(p.backup)
	case !keep && p.backup != "":
		os.Rename(p.backup, p.name)
	case !keep:
		os.Remove(p.name)
	}
}

// output is where a command writes what it makes: a token, a request or a
// block, as base64 URL text with a newline, as its raw bytes with --raw, or
// as a JSON document {"<key>": "<base64>"} with --json.
type output struct {
	key   string // the JSON document's field
	raw   bool
	json  bool
	out   string
	force bool
}

// outputFlags adds the output flags to fs, for what is written (a
// "token"...), whose field in the JSON document is key.
func outputFlags(fs *pflag.FlagSet, what, key string) *output {
	o := &output{key: key}
	fs.BoolVar(&o.raw, "raw", false, "write the "+what+" as raw bytes, not base64 text")
	fs.BoolVar(&o.json, "json", false, "write the "+what+" as a JSON document {\""+key+"\": base64}")
	fs.StringVarP(&o.out, "out", "o", "", "write the "+what+" to `FILE`, not standard output")
	fs.BoolVar(&o.force, "force", false, "overwrite the --out file if it exists")
	return o
}

// write writes data to the output file or to stdout.
func (o *output) write(stdout io.Writer, data []byte) error {
	text := base64.URLEncoding.EncodeToString(data)
	switch {
	case o.json:
		doc, err := json.MarshalIndent(map[string]string{o.key: text}, "", "  ")
		if err != nil {
			return err
		}
		data = append(doc, '\n')
	case !o.raw:
		data = []byte(text + "\n")
	}
	if o.out == "" {
		_, err := stdout.Write(data)
		return err
	}
	// 0600: an open token carries its last private key.
	return writeFile(o.out, data, 0o600, o.force)
}

// readBinary reads a token, request or block file in any form output
// writes: base64 URL text (padded or not, "biscuit:" prefix allowed), raw
// bytes, or a JSON document of one field holding the text.
func readBinary(name string) ([]byte, error) {
	data, err := readInput(name)
	if err != nil {
		return nil, err
	}
	var doc map[string]string
	if json.Unmarshal(data, &doc) == nil && len(doc) == 1 {
		for _, text := range doc {
			data = []byte(text)
		}
	}
	if text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(data)), "biscuit:")); text != "" {
		if b, err := base64.URLEncoding.DecodeString(text); err == nil {
			return b, nil
		}
		b, err := base64.RawURLEncoding.DecodeString(text)
		if err == nil {
			return b, nil
		}
		if isText(data) {
			// Raw token bytes are binary; text that is not base64 is
			// not a token in any form this command writes.
			return nil, fmt.Errorf("%s: text that is not base64 URL: %w", name, err)
		}
	}
	return data, nil
}

// isText reports whether data reads as text: UTF-8 without control
// characters but tabs and line ends. A token's raw bytes never do: its
// keys and signatures are random bytes.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, r := range string(data) {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// loadToken reads and verifies a token with the root key.
func loadToken(name string, root token.RootKeys) (*token.Token, error) {
	data, err := readBinary(name)
	if err != nil {
		return nil, err
	}
	t, err := token.Parse(data, root, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// loadProgram reads and parses a block (or, for policy, an authorizer).
func loadProgram(name string, params datalog.Params, policy bool) (*datalog.Program, error) {
	src, err := readInput(name)
	if err != nil {
		return nil, err
	}
	filename := name
	if name == "-" {
		filename = "<stdin>"
	}
	opts := &datalog.ParseOptions{Filename: filename, Params: params}
	if policy {
		return datalog.ParseAuthorizer(string(src), opts)
	}
	return datalog.ParseBlock(string(src), opts)
}

// errorLine is err on one line: the first line of its message, and for
// several parse errors how many more there are. A parse error's message
// starts with file:line:col.
func errorLine(err error) string {
	var list datalog.ParseErrors
	if errors.As(err, &list) && len(list) > 0 {
		msg := firstLine(list[0].Error())
		switch len(list) {
		case 1:
		case 2:
			msg += " (and 1 more error)"
		default:
			msg += fmt.Sprintf(" (and %d more errors)", len(list)-1)
		}
		return msg
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
