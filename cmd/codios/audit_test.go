package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/codios/codios/sdk"
	"github.com/google/go-cmp/cmp"
)

// shortIDs are the revocation ids the tree shows.
var shortIDs = regexp.MustCompile(`\b[0-9a-f]{12}\b`)

// normalizeIDs numbers the revocation ids of a tree in the order they
// appear, so that the golden text does not depend on the random keys.
func normalizeIDs(s string) string {
	seen := map[string]string{}
	return shortIDs.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := seen[id]; !ok {
			seen[id] = fmt.Sprintf("<id%d>", len(seen))
		}
		return seen[id]
	})
}

// TestAuditTree writes a real audit log through the middleware, the
// agents delegating and calling, then prints it with codios audit.
func TestAuditTree(t *testing.T) {
	d := newDelegation(t)
	log := filepath.Join(d.dir, "audit.log")
	file, err := sdk.OpenAuditFile(log)
	if err != nil {
		t.Fatal(err)
	}
	revoked := sdk.RevocationSet{}
	s := newService(t, d, sdk.Config{Audit: file, Revocations: revoked})
	t.Cleanup(func() { file.Close() })

	s.call(t, d.planner, "PUT", "/reports/q4/plan.txt", 200)
	s.call(t, d.research, "GET", "/reports/q3/data.csv", 200)
	s.call(t, d.research, "PUT", "/reports/q3/data.csv", 403)
	s.call(t, d.summarizer, "GET", "/reports/q3/summary.txt", 200)
	s.call(t, d.summarizer, "GET", "/reports/q3/data.csv", 403)
	s.call(t, d.planner, "GET", "/billing/invoices", 403)
	s.call(t, nil, "GET", "/reports/q3/data.csv", 401)
	s.call(t, d.summarizer, "GET", "/reports/q3/summary.txt", 200)
	s.call(t, d.summarizer, "GET", "/reports/q3/summary.txt", 429)
	revokeID := runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.research), "--block", "1")
	id, err := hex.DecodeString(strings.TrimSpace(revokeID))
	if err != nil {
		t.Fatal(err)
	}
	revoked[string(id)] = struct{}{}
	s.call(t, d.summarizer, "GET", "/reports/q3/summary.txt", 403)
	s.call(t, d.planner, "GET", "/reports/q3/data.csv", 200)

	got := normalizeIDs(runCodios(t, exitOK, "audit", log))
	want := `issuer (root key id 7)
└─ planner (block 0, <id0>)
   ├─ 2026-11-25T12:00:01.000Z  reports  PUT /reports/q4/plan.txt  allow
   ├─ 2026-11-25T12:00:06.000Z  reports  GET /billing/invoices  deny
   │     no policy matched
   ├─ 2026-11-25T12:00:11.000Z  reports  GET /reports/q3/data.csv  allow
   └─ research (delegated by planner, block 1, <id1>)
      ├─ 2026-11-25T12:00:02.000Z  reports  GET /reports/q3/data.csv  allow
      ├─ 2026-11-25T12:00:03.000Z  reports  PUT /reports/q3/data.csv  deny
      │     failed check: block 1, check 0, by planner: check if operation("read"), resource($r), $r.starts_with("/reports/q3/")
      └─ summarizer (delegated by research, block 2, <id2>)
         ├─ 2026-11-25T12:00:04.000Z  reports  GET /reports/q3/summary.txt  allow
         ├─ 2026-11-25T12:00:05.000Z  reports  GET /reports/q3/data.csv  deny
         │     failed check: block 2, check 0, by research: check if resource("/reports/q3/summary.txt")
         ├─ 2026-11-25T12:00:08.000Z  reports  GET /reports/q3/summary.txt  allow
         ├─ 2026-11-25T12:00:09.000Z  reports  GET /reports/q3/summary.txt  over_budget
         │     reason: call budget spent
         └─ 2026-11-25T12:00:10.000Z  reports  GET /reports/q3/summary.txt  revoked
               reason: block 1 is revoked

calls without a valid token
└─ 2026-11-25T12:00:07.000Z  reports  GET /reports/q3/data.csv  invalid
      reason: no bearer token
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codios audit (-want +got):\n%s", diff)
	}

	// The revoked id is the research block's: the tree shows its start.
	if !strings.Contains(runCodios(t, exitOK, "audit", log), "block 1, "+revokeID[:12]+")") {
		t.Errorf("the tree does not show the revoked id %s", revokeID[:12])
	}

	// --agent research: its calls and those downstream, under the
	// planner's block that leads to them.
	got = normalizeIDs(runCodios(t, exitOK, "audit", "--agent", "research", "--denied", log))
	want = `issuer (root key id 7)
└─ planner (block 0, <id0>)
   └─ research (delegated by planner, block 1, <id1>)
      ├─ 2026-11-25T12:00:03.000Z  reports  PUT /reports/q3/data.csv  deny
      │     failed check: block 1, check 0, by planner: check if operation("read"), resource($r), $r.starts_with("/reports/q3/")
      └─ summarizer (delegated by research, block 2, <id2>)
         ├─ 2026-11-25T12:00:05.000Z  reports  GET /reports/q3/data.csv  deny
         │     failed check: block 2, check 0, by research: check if resource("/reports/q3/summary.txt")
         ├─ 2026-11-25T12:00:09.000Z  reports  GET /reports/q3/summary.txt  over_budget
         │     reason: call budget spent
         └─ 2026-11-25T12:00:10.000Z  reports  GET /reports/q3/summary.txt  revoked
               reason: block 1 is revoked
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codios audit --agent research --denied (-want +got):\n%s", diff)
	}

	// --token with the summarizer block's id: only its calls.
	summarizerID := strings.TrimSpace(runCodios(t, exitOK, "revoke", "--token", d.tokenFile(d.summarizer), "--block", "2"))
	got = runCodios(t, exitOK, "audit", "--token", strings.ToUpper(summarizerID[:10]), log)
	if n := strings.Count(got, "  reports  "); n != 5 || strings.Contains(got, "PUT") {
		t.Errorf("codios audit --token %s: %d calls, want the summarizer's 5:\n%s", summarizerID[:10], n, got)
	}
	if got := runCodios(t, exitOK, "audit", "--agent", "nobody", log); got != "no calls\n" {
		t.Errorf("codios audit --agent nobody: %q", got)
	}
}

// TestAuditDamagedLines checks that a damaged line is named by its line
// number, past blank lines, lines of other messages and lines longer than
// a read, and that every whole record around it is still read.
func TestAuditDamagedLines(t *testing.T) {
	rec := `{"time":"2026-11-25T12:00:01Z","level":"INFO","msg":"authorization","service":"reports","method":"GET","path":"/` +
		strings.Repeat("a", 100_000) + `","outcome":"invalid","latency_us":1}`
	for _, tt := range []struct {
		log     string
		records int
		want    []string
	}{
		{"{\n", 0, []string{`^log:1: not an audit record, skipped: unexpected end of JSON input$`}},
		{rec + "\n\n" + `{"msg":"listening"}` + "\n\n" + rec + "\n" + `{"msg":1}` + "\n" + rec + "\n", 3,
			[]string{`^log:6: not an audit record, skipped: json: cannot unmarshal number`}},
		{rec + "\n" + rec, 2, nil},
		{rec + "\n" + rec + "x", 1, []string{`^log:2: not an audit record, skipped: invalid character 'x' after top-level value$`}},
		{rec + "\n" + `{"msg":"` + strings.Repeat("b", 2<<20) + `"}` + "\n" + rec, 2,
			[]string{`^log:2: line too long for an audit record \(over 1048576 bytes\), skipped$`}},
		// A record cut short by a full disk, then the records written
		// once there was room again.
		{rec + "\n" + rec[:500] + "\n" + rec + "\n" + rec[:10] + "\n" + rec + "\n", 3,
			[]string{`^log:2: not an audit record, skipped`, `^log:4: not an audit record, skipped`}},
	} {
		n := 0
		err := readAuditLog(strings.NewReader(tt.log), func(*sdk.AuditRecord) { n++ })
		var got []string
		var damage *sdk.AuditDamageError
		if errors.As(err, &damage) {
			for _, l := range damage.Lines {
				got = append(got, damagedLine("log", l))
			}
		} else if err != nil {
			t.Errorf("log of %d lines: error %v", strings.Count(tt.log, "\n")+1, err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("log of %d lines: damaged lines %q, want %d", strings.Count(tt.log, "\n")+1, got, len(tt.want))
			continue
		}
		for i := range got {
			if !regexp.MustCompile(tt.want[i]).MatchString(got[i]) {
				t.Errorf("log of %d lines: %q, want %#q", strings.Count(tt.log, "\n")+1, got[i], tt.want[i])
			}
		}
		if n != tt.records {
			t.Errorf("log of %d lines: %d records read, want %d", strings.Count(tt.log, "\n")+1, n, tt.records)
		}
	}
}
