package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAuditFileWritesWhatSlogWrites: the file's hand-written lines and
// slog's JSONHandler lines are the same JSON, field for field.
func TestAuditFileWritesWhatSlogWrites(t *testing.T) {
	id := uint32(7)
	recs := []*AuditRecord{
		{Time: testNow.Add(123456789 * time.Nanosecond), RequestID: "r1", Service: "reports", Method: "GET",
			Path: "/a", Outcome: OutcomeAllow, LatencyMicros: 12.345, Policy: `allow if true`, RootKeyID: &id,
			Chain: []Hop{{Block: 0, RevocationID: "ab", Agent: "planner"}, {Block: 1, RevocationID: "cd", Signer: "ed25519/ff", SignedBy: "planner", Agent: "x"}}},
		{Time: testNow, RequestID: "r2", Service: "reports", Method: "PUT", Path: "/q\"uote\\d/\x01\u00e9<&>\xff",
			Outcome: OutcomeDeny, Reason: "denied", FailedChecks: []AuditCheck{{Block: -1, Index: 2, Source: `check if "a\nb"`}}},
		{Time: testNow, RequestID: "r3", Outcome: OutcomeInvalid, Reason: "no bearer token"},
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	af, err := OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var viaSlog bytes.Buffer
	sa := SlogAudit{Handler: slog.NewJSONHandler(&viaSlog, nil)}
	for _, r := range recs {
		if err := af.Audit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := sa.Audit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	af.Close()
	mine, _ := os.ReadFile(path)
	a, b := bytes.Split(bytes.TrimSpace(mine), []byte("\n")), bytes.Split(bytes.TrimSpace(viaSlog.Bytes()), []byte("\n"))
	if len(a) != len(recs) || len(b) != len(recs) {
		t.Fatalf("%d and %d lines, want %d", len(a), len(b), len(recs))
	}
	for i := range a {
		var x, y map[string]any
		if err := json.Unmarshal(a[i], &x); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, a[i])
		}
		json.Unmarshal(b[i], &y)
		xs, _ := json.Marshal(x)
		ys, _ := json.Marshal(y)
		if !bytes.Equal(xs, ys) {
			t.Errorf("line %d:\nfile %s\nslog %s", i+1, a[i], b[i])
		}
	}
}
