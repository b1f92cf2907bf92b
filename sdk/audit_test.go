package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

// TestAuditLineIsSlogJSON: an audit line is the JSON a slog.JSONHandler
// writes for the same record, field for field, so that ReadAudit reads a
// log shared with the service's slog output; and ReadAudit reads back
// what the AuditWriter wrote.
func TestAuditLineIsSlogJSON(t *testing.T) {
	id := uint32(7)
	recs := []*AuditRecord{
		{Time: testNow.Add(123456789 * time.Nanosecond), RequestID: "r1", Service: "reports", Method: "GET",
			Path: "/a", Outcome: OutcomeAllow, LatencyMicros: 12.345, Policy: &AuditPolicy{Index: 1, Kind: "allow", Source: `allow if "é"`}, RootKeyID: &id,
			Chain: []Hop{{Block: 0, RevocationID: "ab", Agent: "planner"}, {Block: 1, RevocationID: "cd", Signer: "ed25519/ff", SignedBy: "planner", Agent: "x"}}},
		{Time: testNow, RequestID: "r2", Service: "reports", Method: "PUT", Path: "/q\"uote\\d/\x01\u00e9<&>",
			Outcome: OutcomeDeny, Reason: "denied", FailedChecks: []AuditCheck{{Block: -1, Index: 2, Source: `check if "a\nb"`}, {Block: 1, Agent: "planner", Source: "check if x"}}},
		{Time: testNow, RequestID: "r3", Outcome: OutcomeInvalid, Reason: "no bearer token"},
	}
	var mine, viaSlog bytes.Buffer
	aw := NewAuditWriter(&mine)
	h := slog.NewJSONHandler(&viaSlog, nil)
	for _, rec := range recs {
		if err := aw.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		r := slog.NewRecord(rec.Time, slog.LevelInfo, "authorization", 0)
		r.AddAttrs(slog.String("request_id", rec.RequestID), slog.String("service", rec.Service),
			slog.String("method", rec.Method), slog.String("path", rec.Path), slog.String("outcome", rec.Outcome),
			slog.Float64("latency_us", rec.LatencyMicros))
		if rec.Reason != "" {
			r.AddAttrs(slog.String("reason", rec.Reason))
		}
		if rec.Policy != nil {
			r.AddAttrs(slog.Any("policy", rec.Policy))
		}
		if len(rec.FailedChecks) > 0 {
			r.AddAttrs(slog.Any("failed_checks", rec.FailedChecks))
		}
		if rec.RootKeyID != nil {
			r.AddAttrs(slog.Uint64("root_key_id", uint64(*rec.RootKeyID)))
		}
		if len(rec.Chain) > 0 {
			r.AddAttrs(slog.Any("chain", rec.Chain))
		}
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	a, b := bytes.Split(bytes.TrimSpace(mine.Bytes()), []byte("\n")), bytes.Split(bytes.TrimSpace(viaSlog.Bytes()), []byte("\n"))
	if len(a) != len(recs) || len(b) != len(recs) {
		t.Fatalf("%d and %d lines, want %d", len(a), len(b), len(recs))
	}
	for i := range a {
		var x, y map[string]any
		if err := json.Unmarshal(a[i], &x); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, a[i])
		}
		json.Unmarshal(b[i], &y)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("line %d:\nmine %s\nslog %s", i+1, a[i], b[i])
		}
	}
	var back []*AuditRecord
	if err := ReadAudit(&mine, func(r *AuditRecord) error { back = append(back, r); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, r := range back {
		r.Time = r.Time.In(recs[i].Time.Location())
		if !reflect.DeepEqual(r, recs[i]) {
			t.Errorf("record %d read back:\n got %+v\nwant %+v", i, r, recs[i])
		}
	}
}
