package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

// TestAuthorizeExitStatus holds the CLI's contract for authorize: 0
// allow, 1 deny, 2 bad input, and a token that does not verify against
// the root key given is bad input, not a denial.
func TestAuthorizeExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	root, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	authority, err := datalog.ParseBlock(`right("read");`, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token.New(root, authority, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := write("t", tok.String()+"\n")
	policy := write("p.datalog", `allow if right("read"), operation("read");`)
	for _, tt := range []struct {
		name string
		key  token.PublicKey
		op   string
		want int
	}{
		{"allow", root.Public(), "read", exitOK},
		{"deny", root.Public(), "write", exitDeny},
		{"wrong root key", other.Public(), "read", exitUsage},
	} {
		var stdout, stderr strings.Builder
		code := run([]string{"authorize", "--token", tokenFile, "--root-key", tt.key.String(), "--policy", policy,
			"--fact", `operation("` + tt.op + `")`}, &stdout, &stderr)
		if code != tt.want {
			t.Errorf("%s: exit status %d, want %d\nstdout: %s\nstderr: %s", tt.name, code, tt.want, &stdout, &stderr)
		}
	}
}
