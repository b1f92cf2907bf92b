package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// TestRevokeCutsOffTheBlockAndDownstream revokes the research agent's
// delegation with the id codios revoke prints: the research agent and the
// summarizer, downstream of it, are refused; the planner, upstream, and
// an agent the planner delegated to alongside keep working.
func TestRevokeCutsOffTheBlockAndDownstream(t *testing.T) {
	d := newDelegation(t)
	auditor := newSDKAgent(t, "auditor")
	data, err := d.planner.Delegate(sdk.Delegation{To: auditor.Identity(), TTL: time.Minute, Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	d.receive(t, auditor, data)

	// The id is block 1's, verified or not.
	out := runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.research), "--block", "1")
	pub := filepath.Join(d.dir, "root.pub")
	if err := os.WriteFile(pub, []byte(d.root.Public().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.research), "--block", "1", "--root-key", pub); v != out {
		t.Errorf("with --root-key: %q, without: %q", v, out)
	}
	tok, err := loadToken(d.tokenFile(d.research), d.root.Public())
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(tok.RevocationIDs()[1]) + "\n"; out != want {
		t.Fatalf("codios revoke printed %q, want block 1's id %q", out, want)
	}

	// Added to a revocation list with --list, after another id already
	// there (and again: an id is listed once).
	list := filepath.Join(d.dir, "revoked.txt")
	other := runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.summarizer), "--block", "2")
	if err := sdk.AddRevocations(list, bytes.Repeat([]byte{0xab}, 64)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if v := runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.research), "--block", "1", "--list", list); v != out {
			t.Errorf("with --list: printed %q, want %q", v, out)
		}
	}
	file, err := sdk.OpenRevocationFile(list, 0)
	if err != nil {
		t.Fatal(err)
	}
	id, err := hex.DecodeString(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	set := sdk.RevocationSet{string(id): {}}
	if file.Len() != 2 {
		t.Fatalf("the file holds %d ids, want 2", file.Len())
	}
	otherID, err := hex.DecodeString(strings.TrimSpace(other))
	if err != nil {
		t.Fatal(err)
	}
	if revoked, _ := file.Revoked(otherID); revoked {
		t.Errorf("the summarizer's block is in the file, though only research's was appended")
	}

	for _, revs := range []struct {
		name string
		r    sdk.Revocations
	}{{"RevocationSet", set}, {"RevocationFile", file}} {
		t.Run(revs.name, func(t *testing.T) {
			var recs []sdk.AuditRecord
			audit := sdk.AuditFunc(func(_ context.Context, rec *sdk.AuditRecord) error {
				recs = append(recs, *rec)
				return nil
			})
			s := newService(t, d, sdk.Config{Audit: audit, Revocations: revs.r})
			for _, tt := range []struct {
				agent   *sdk.Agent
				status  int
				outcome string
			}{
				{d.planner, 200, sdk.OutcomeAllow},
				{auditor, 200, sdk.OutcomeAllow},
				{d.research, 403, sdk.OutcomeRevoked},
				{d.summarizer, 403, sdk.OutcomeRevoked},
			} {
				s.call(t, tt.agent, "GET", "/reports/q3/summary.txt", tt.status)
				rec := recs[len(recs)-1]
				if rec.Outcome != tt.outcome {
					t.Errorf("%s: outcome %q, want %q", tt.agent.Name(), rec.Outcome, tt.outcome)
				}
				if tt.outcome == sdk.OutcomeRevoked && rec.Reason != "block 1 is revoked" {
					t.Errorf("%s: reason %q, want block 1 revoked", tt.agent.Name(), rec.Reason)
				}
			}
		})
	}
}

// TestRevokeRefuses checks the errors of codios revoke: a block out of
// range names how many blocks there are; a token that does not verify
// against --root-key is refused.
func TestRevokeRefuses(t *testing.T) {
	d := newDelegation(t)
	other, err := token.GenerateKey(token.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--token", d.tokenFile(d.research), "--block", "2"}, `^codios revoke: --block 2: \S+research.token has 2 blocks, 0 to 1\n$`},
		{[]string{"--token", d.tokenFile(d.planner), "--block", "1"}, `^codios revoke: --block 1: \S+planner.token has 1 block, 0 to 0\n$`},
		{[]string{"--token", d.tokenFile(d.research), "--block", "0", "--root-key", other.Public().String()}, `^codios revoke: \S+research.token: .*signature`},
		{[]string{"--token", d.tokenFile(d.research), "--block", "-1"}, `^codios revoke: --block -1: want a block index, 0 for the authority block\nusage: codios revoke`},
		{[]string{"--token", d.tokenFile(d.research)}, `^codios revoke: --block is required\nusage: codios revoke`},
	} {
		var stdout, stderr strings.Builder
		if code := run(append([]string{"revoke"}, tt.args...), &stdout, &stderr); code != exitUsage {
			t.Errorf("codios revoke %s: exit status %d, want %d", strings.Join(tt.args, " "), code, exitUsage)
		}
		checkOutput(t, "stdout", stdout.String(), "")
		checkOutput(t, "stderr", stderr.String(), tt.stderr)
	}
}
