package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/sdk"
	"github.com/codios/codios/sdk/internal/hostapi"
	"github.com/codios/codios/sdk/nethttp"
)

// The corpus (sdk/testdata/corpus) is one set of requests that every host
// of the guard must decide alike: this Go test through hostapi (what the C
// ABI and WebAssembly shims call) and through the net/http middleware, the
// C ABI's Python test, and the WebAssembly build's Node test.
//
// A case is two files: <name>.json, its guard configuration and requests
// in guard_new's and guard_check's JSON with the outcome and status each
// step must have, and <name>.verdicts.jsonl, the exact bytes of each
// step's verdict, one per line, with "latency_us" set to 0. -mint writes
// the case files anew (fresh tokens), -update only the verdicts. Every host
// compares its verdict bytes, so that an audit record differs nowhere.

var (
	updateCorpus = flag.Bool("update", false, "record the corpus's verdicts anew, from its case files")
	mintCorpus   = flag.Bool("mint", false, "write the corpus's case files anew, with fresh tokens, and record their verdicts")
)

const corpusDir = "testdata/corpus"

// corpusCase is a case file.
type corpusCase struct {
	Name  string              `json:"name"`
	About string              `json:"about"`
	Guard json.RawMessage     `json:"guard"`
	Steps []corpusCaseRequest `json:"steps"`
}

type corpusCaseRequest struct {
	Request json.RawMessage `json:"request"`
	Expect  struct {
		Outcome string `json:"outcome"`
		Status  int    `json:"status"`
	} `json:"expect"`
}

var latency = regexp.MustCompile(`"latency_us":[0-9.eE+-]+`)

// normalVerdict zeroes the one field that differs between two runs.
func normalVerdict(b []byte) []byte { return latency.ReplaceAll(b, []byte(`"latency_us":0`)) }

func TestCorpus(t *testing.T) {
	if *mintCorpus {
		mintCorpusFiles(t)
	}
	if *mintCorpus || *updateCorpus {
		recordCorpusVerdicts(t)
	}
	cases, verdicts := readCorpus(t)
	outcomes, statuses := map[string]bool{}, map[int]bool{}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			runCorpusHostAPI(t, c, verdicts[i])
			runCorpusMiddleware(t, c, verdicts[i])
		})
		for _, s := range c.Steps {
			outcomes[s.Expect.Outcome], statuses[s.Expect.Status] = true, true
		}
	}
	for _, o := range []string{sdk.OutcomeAllow, sdk.OutcomeDeny, sdk.OutcomeInvalid, sdk.OutcomeRevoked,
		sdk.OutcomeOverBudget, sdk.OutcomeBadRequest, sdk.OutcomeError} {
		if !outcomes[o] {
			t.Errorf("no case of the corpus has the outcome %q", o)
		}
	}
	for _, s := range []int{200, 400, 401, 403, 429, 503} {
		if !statuses[s] {
			t.Errorf("no case of the corpus has the status %d", s)
		}
	}
}

// runCorpusMiddleware serves a case's requests through the net/http
// middleware over the same configuration, and wants the status, headers,
// body and audit record of each recorded verdict.
func runCorpusMiddleware(t *testing.T, c corpusCase, want [][]byte) {
	var gc hostapi.GuardConfig
	if err := json.Unmarshal(c.Guard, &gc); err != nil {
		t.Fatal(err)
	}
	cfg, file, e := hostapi.Config(&gc)
	if e != nil {
		t.Fatalf("config: %v", e)
	}
	if file != nil {
		defer file.Close()
	}
	// step is the request being served, read by hostapi as guard_check
	// reads it: the middleware's clock and mapping give what it says.
	var step *sdk.GuardRequest
	var record []byte
	sink := cfg.Audit
	cfg.Audit = sdk.AuditFunc(func(ctx context.Context, rec *sdk.AuditRecord) error {
		b, err := rec.MarshalJSON()
		if err != nil {
			return err
		}
		record = b
		return sink.Audit(ctx, rec)
	})
	cfg.Now = func() time.Time {
		if step.Time.IsZero() {
			return time.Now() // as the guard does for a request without a time
		}
		return step.Time
	}
	mapFn := func(r *http.Request) (sdk.Action, error) {
		switch {
		case step.MapError != nil:
			return sdk.Action{}, step.MapError
		case step.Action != nil:
			return *step.Action, nil
		}
		return nethttp.MapMethod(r)
	}
	mw, err := nethttp.NewMiddleware(cfg, &nethttp.Options{Map: mapFn})
	if err != nil {
		t.Fatal(err)
	}
	served := false
	handler := mw.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true }))
	for i, s := range c.Steps {
		var in hostapi.GuardRequest
		if err := json.Unmarshal(s.Request, &in); err != nil {
			t.Fatal(err)
		}
		record, served = nil, false
		if step, e = hostapi.Request(&in); e != nil {
			t.Fatalf("step %d: %v", i+1, e)
		}
		r := httptest.NewRequest(step.Method, "http://"+step.Host+step.Path, nil)
		r.URL.Path = step.Path // as sent, not cleaned
		for _, a := range step.Authorization {
			r.Header.Add("Authorization", a)
		}
		if step.RequestID != "" {
			r.Header.Set("X-Request-Id", step.RequestID)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)

		var v hostapi.VerdictOut
		if err := json.Unmarshal(want[i], &v); err != nil {
			t.Fatal(err)
		}
		where := fmt.Sprintf("middleware step %d", i+1)
		if w.Code != v.Status || served != (v.Outcome == sdk.OutcomeAllow) {
			t.Errorf("%s: status %d, handler ran %v; the verdict has %d %s", where, w.Code, served, v.Status, v.Outcome)
		}
		for _, h := range v.Headers {
			if !slices.Contains(w.Header().Values(h[0]), h[1]) {
				t.Errorf("%s: header %s: %q, the verdict has %q", where, h[0], w.Header().Values(h[0]), h[1])
			}
		}
		if !jsonEqualBytes(w.Body.Bytes(), v.Body) {
			t.Errorf("%s: body\n got %s\nwant %s", where, w.Body.Bytes(), v.Body)
		}
		if got := normalVerdict(record); !bytes.Equal(got, v.Audit) {
			t.Errorf("%s: audit record\n got %s\nwant %s", where, got, v.Audit)
		}
	}
}

// jsonEqualBytes compares a response body with a verdict's body: the
// same compact bytes, or both empty (null in the verdict).
func jsonEqualBytes(body []byte, verdict json.RawMessage) bool {
	if len(body) == 0 {
		return len(verdict) == 0 || string(verdict) == "null"
	}
	var a, b bytes.Buffer
	return json.Compact(&a, body) == nil && json.Compact(&b, verdict) == nil && bytes.Equal(a.Bytes(), b.Bytes())
}

// mintCorpusFiles writes the case files anew: fresh keys and tokens, so
// every token in the corpus changes.
func mintCorpusFiles(t *testing.T) {
	ct := mintCorpusTokens(t)
	old, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range corpusCases(ct) {
		data, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(corpusDir, c["name"].(string)+".json")
		if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// caseFiles reads the case files, strictly: a field the runners would not
// read is an error.
func caseFiles(t *testing.T) ([]string, []corpusCase) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s (go test ./sdk -run TestCorpus -mint makes it): %v", corpusDir, err)
	}
	cases := make([]corpusCase, len(files))
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cases[i]); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return files, cases
}

func verdictsFile(caseFile string) string {
	return strings.TrimSuffix(caseFile, ".json") + ".verdicts.jsonl"
}

// readCorpus reads the cases and their recorded verdicts.
func readCorpus(t *testing.T) ([]corpusCase, [][][]byte) {
	t.Helper()
	files, cases := caseFiles(t)
	verdicts := make([][][]byte, len(files))
	for i, f := range files {
		lines, err := os.ReadFile(verdictsFile(f))
		if err != nil {
			t.Fatal(err)
		}
		verdicts[i] = bytes.Split(bytes.TrimSuffix(lines, []byte("\n")), []byte("\n"))
		if len(verdicts[i]) != len(cases[i].Steps) {
			t.Fatalf("%s: %d steps, %d verdicts", f, len(cases[i].Steps), len(verdicts[i]))
		}
	}
	return cases, verdicts
}

// hostapiVerdicts decides a case's requests through hostapi, as the C ABI
// and the WebAssembly build do: each verdict's bytes, latency zeroed.
func hostapiVerdicts(t *testing.T, c corpusCase) [][]byte {
	t.Helper()
	out, e := hostapi.Call("guard_new", c.Guard)
	if e != nil {
		t.Fatalf("%s: guard_new: %v", c.Name, e)
	}
	var h hostapi.HandleOut
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatal(err)
	}
	defer hostapi.Release(h.Handle)
	verdicts := make([][]byte, len(c.Steps))
	for i, s := range c.Steps {
		v, e := hostapi.GuardCheck(h.Handle, s.Request)
		if e != nil {
			t.Fatalf("%s step %d: guard_check: %v", c.Name, i+1, e)
		}
		verdicts[i] = normalVerdict(v)
	}
	return verdicts
}

// runCorpusHostAPI wants hostapi's verdicts to be the recorded bytes, with
// the outcome and status each step expects.
func runCorpusHostAPI(t *testing.T, c corpusCase, want [][]byte) {
	for i, got := range hostapiVerdicts(t, c) {
		var v hostapi.VerdictOut
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if s := c.Steps[i]; v.Outcome != s.Expect.Outcome || v.Status != s.Expect.Status {
			t.Errorf("hostapi step %d: %s %d, the case expects %s %d", i+1, v.Outcome, v.Status, s.Expect.Outcome, s.Expect.Status)
		}
		if !bytes.Equal(got, want[i]) {
			t.Errorf("hostapi step %d: verdict\n got %s\nwant %s", i+1, got, want[i])
		}
	}
}

// recordCorpusVerdicts records the engine's verdict of every step of the
// case files, for review in the diff.
func recordCorpusVerdicts(t *testing.T) {
	files, cases := caseFiles(t)
	for i, f := range files {
		var lines bytes.Buffer
		for _, v := range hostapiVerdicts(t, cases[i]) {
			lines.Write(v)
			lines.WriteByte('\n')
		}
		if err := os.WriteFile(verdictsFile(f), lines.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
