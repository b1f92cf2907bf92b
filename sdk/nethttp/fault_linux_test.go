//go:build linux

package nethttp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/codios/codios/sdk"
)

// smallDisk mounts a tmpfs of size bytes for one test, as root (CI runs
// as root; elsewhere the test skips), and returns its folder.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs takes root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// TestAuditDiskFullThenRoom fills the audit log's disk while a service
// takes calls, then makes room again: no call is served without its
// record (handler runs = allow records), the calls refused meanwhile get
// 503, and the log reads back whole, every record in it, none damaged.
func TestAuditDiskFullThenRoom(t *testing.T) {
	dir := smallDisk(t, "64k")
	// A filler takes most of the disk; removing it makes room again.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 40<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	audit, err := sdk.OpenAuditFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	f := newFixture(t, sdk.Config{Audit: audit})
	served := 0
	call := func() int { return faultCall(t, f, f.planner, &served) }
	refused, okBefore := 0, 0
	for range 200 {
		switch code := call(); code {
		case 200:
			if refused == 0 {
				okBefore++
			}
		case 503:
			refused++
		default:
			t.Fatalf("status %d", code)
		}
		if refused >= 3 {
			break
		}
	}
	if refused == 0 || okBefore == 0 {
		t.Fatalf("%d calls served, then %d refused: the disk never filled", okBefore, refused)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if code := call(); code != 200 {
			t.Fatalf("with room again: status %d", code)
		}
	}

	data, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	if err := sdk.ReadAudit(bytes.NewReader(data), func(rec *sdk.AuditRecord) error {
		if rec.Outcome != sdk.OutcomeAllow {
			t.Errorf("record %d: outcome %q", records, rec.Outcome)
		}
		records++
		return nil
	}); err != nil {
		t.Fatalf("the log does not read back whole: %v", err)
	}
	if records != served || served != okBefore+5 {
		t.Errorf("%d calls served, %d allow records, want both %d", served, records, okBefore+5)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Error("the log does not end with a whole line")
	}
}

// TestAuditFileEndsHalfALine: a log left ending in half a line (a crash
// mid-write) gets the next record on a line of its own; ReadAudit names
// the damaged line and reads the records on both sides of it.
func TestAuditFileEndsHalfALine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	first := auditLine(t, &sdk.AuditRecord{Service: "reports", Outcome: sdk.OutcomeAllow})
	if err := os.WriteFile(path, append(first, first[:20]...), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := sdk.OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Audit(t.Context(), &sdk.AuditRecord{Service: "reports", Outcome: sdk.OutcomeDeny}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	err = sdk.ReadAudit(bytes.NewReader(data), func(rec *sdk.AuditRecord) error {
		outcomes = append(outcomes, rec.Outcome)
		return nil
	})
	var damage *sdk.AuditDamageError
	if !errors.As(err, &damage) || damage.Count != 1 || damage.Lines[0].Line != 2 {
		t.Fatalf("error %v, want line 2 damaged", err)
	}
	if len(outcomes) != 2 || outcomes[1] != sdk.OutcomeDeny {
		t.Errorf("records read: %v, want allow then deny", outcomes)
	}
}

func auditLine(t *testing.T, rec *sdk.AuditRecord) []byte {
	t.Helper()
	var line bytes.Buffer
	if err := sdk.NewAuditWriter(&line).Audit(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	return line.Bytes()
}
