package playground

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codios/codios/internal/decisionjson"
)

// newServer returns the playground as an internal server, for its keys,
// and as a handler with the given policies folder.
func newServer(t *testing.T, opts *Options) *server {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h.(*server)
}

// call sends a request to h and decodes the JSON answer into out, when
// out is not nil. It returns the status and the raw body.
func call(t *testing.T, h http.Handler, method, path string, body any, out any) (int, string) {
	t.Helper()
	var r *http.Request
	if body == nil {
		r = newRequest(method, path, nil)
	} else {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = newRequest(method, path, bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, w.Body)
		}
	}
	return w.Code, w.Body.String()
}

// newRequest is httptest.NewRequest for the host the playground answers
// to: localhost.
func newRequest(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Host = "localhost"
	return r
}

type errorBody struct {
	Error apiError `json:"error"`
}

func TestPage(t *testing.T) {
	s := newServer(t, nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, newRequest("GET", "/", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<script src="app.js"`) {
		t.Fatalf("GET / = %d\n%s", w.Code, w.Body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for _, p := range []string{"/app.js", "/style.css"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, newRequest("GET", p, nil))
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("GET %s = %d, %d bytes", p, w.Code, w.Body.Len())
		}
	}
	if code, _ := call(t, s, "POST", "/", struct{}{}, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", code)
	}
}

// TestAssetsFetchNothing checks that no embedded asset names another
// origin: the page must work offline and leak nothing.
func TestAssetsFetchNothing(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range url.FindAll(data, -1) {
			t.Errorf("%s names another origin: %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		kind, src string
		want      []diagnostic
	}{
		{"block", "right(\"/a\", \"read\");\ncheck if operation(\"read\");", []diagnostic{}},
		{"block", "right(\"/a\");\ncheck if x(;", []diagnostic{{Line: 2, Col: 12, Message: "expected a term, found ';'"}}},
		{"authorizer", "allow if true;", []diagnostic{}},
		{"block", "allow if true;", []diagnostic{{Line: 1, Col: 1, Message: "policies (allow if, deny if) are only allowed in the authorizer"}}},
		{"request", "check if true;", []diagnostic{{Line: 1, Col: 1, Message: "the request holds facts only"}}},
		// {name} is an agent's key: fine in a trusting clause.
		{"authorizer", "allow if a(1) trusting {compliance};", []diagnostic{}},
	} {
		var got parseResponse
		code, body := call(t, s, "POST", "/api/parse", parseRequest{Kind: tc.kind, Source: tc.src}, &got)
		if code != http.StatusOK {
			t.Errorf("%s %q: status %d: %s", tc.kind, tc.src, code, body)
			continue
		}
		if diff := cmp.Diff(tc.want, got.Diagnostics); diff != "" {
			t.Errorf("%s %q: diagnostics (-want +got):\n%s", tc.kind, tc.src, diff)
		}
	}
	var e errorBody
	if code, _ := call(t, s, "POST", "/api/parse", parseRequest{Kind: "rule", Source: ""}, &e); code != http.StatusBadRequest || e.Error.Code != "bad_request" {
		t.Errorf("unknown kind: %d %+v", code, e)
	}
}

// delegation is the README's two-hop delegation: the issuer grants the
// planner read and write, the planner hands the research agent read-only
// access, and the compliance agent vouches for it as a third party.
func delegation(operation string) *authorizeRequest {
	return &authorizeRequest{
		Authority: "agent(\"planner\");\nright(\"/reports/q3\", \"read\");\nright(\"/reports/q3\", \"write\");",
		Blocks: []blockInput{
			{Source: "check if operation(\"read\");", Holder: "research"},
			{Source: "approved(\"research\");", ThirdParty: "compliance"},
		},
		Authorizer: "allow if right($r, $op), resource($r), operation($op),\n  approved(\"research\") trusting authority, {compliance};",
		Request:    "resource(\"/reports/q3\");\noperation(\"" + operation + "\");",
		Time:       "2026-06-01T12:00:00Z",
	}
}

func TestAuthorizeAllow(t *testing.T) {
	s := newServer(t, nil)
	var res authorizeResponse
	code, body := call(t, s, "POST", "/api/authorize", delegation("read"), &res)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if !res.Decision.Allowed || res.Decision.Policy == nil || res.Decision.Policy.Index != 0 || len(res.Decision.FailedChecks) != 0 {
		t.Fatalf("decision = %+v, want allow by policy 0", res.Decision)
	}
	compliance := s.agentKey("compliance").Public().String()
	if diff := cmp.Diff([]agent{{Name: "compliance", PublicKey: compliance}}, res.Agents); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	tok := res.Token
	if tok.RootKey != s.rootKey().Public().String() {
		t.Errorf("root key = %s", tok.RootKey)
	}
	var labels, signers []string
	for _, b := range tok.Blocks {
		labels = append(labels, b.Label)
		signers = append(signers, b.Signer)
		if len(b.RevocationID) != 128 {
			t.Errorf("block %d: revocation id %q", b.Index, b.RevocationID)
		}
	}
	if diff := cmp.Diff([]string{"issuer", "research", "compliance"}, labels); diff != "" {
		t.Errorf("path labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"root key", "holder of block 0", "third party " + compliance}, signers); diff != "" {
		t.Errorf("signers (-want +got):\n%s", diff)
	}
	if tok.Blocks[2].ExternalKey != compliance {
		t.Errorf("block 2 external key = %q", tok.Blocks[2].ExternalKey)
	}
	check := 0
	if diff := cmp.Diff([]line{{Text: `check if operation("read");`, Check: &check}}, tok.Blocks[1].Lines); diff != "" {
		t.Errorf("block 1 lines (-want +got):\n%s", diff)
	}
	if tok.Bytes < 200 || len(tok.Text) < tok.Bytes {
		t.Errorf("token of %d bytes, text of %d", tok.Bytes, len(tok.Text))
	}
	// The world: every fact with its origin.
	origins := map[string][]string{}
	for _, g := range res.World {
		for _, f := range g.Facts {
			origins[f] = g.Origin
		}
	}
	for f, want := range map[string]string{
		`approved("research")`:          "block 2",
		`right("/reports/q3", "write")`: "block 0",
		`operation("read")`:             "authorizer",
		`time(2026-06-01T12:00:00Z)`:    "authorizer",
		`resource("/reports/q3")`:       "authorizer",
		`agent("planner")`:              "block 0",
		`right("/reports/q3", "read")`:  "block 0",
	} {
		if !slices.Contains(origins[f], want) {
			t.Errorf("world: %s from %v, want %s", f, origins[f], want)
		}
	}
	// No private key leaves the server.
	for _, k := range []string{s.rootKey().SecretText(), s.agentKey("compliance").SecretText()} {
		_, hexKey, _ := strings.Cut(k, "/")
		if strings.Contains(body, hexKey) {
			t.Errorf("the answer holds a private key")
		}
	}
}

// TestAuthorizeDeny checks the decision's JSON, with the places of the
// failed check and the matched policy in their editors: a token keeps no
// source, so the server finds them in the programs it parsed.
func TestAuthorizeDeny(t *testing.T) {
	s := newServer(t, nil)
	var res authorizeResponse
	req := delegation("write")
	req.Blocks[0].Source = "// research only reads\n  check if operation(\"read\");"
	code, body := call(t, s, "POST", "/api/authorize", req, &res)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	want := &decisionjson.Decision{
		Allowed: false,
		Policy: &decisionjson.Policy{Index: 0, Kind: "allow", Source: res.Authorizer[0].Text[:len(res.Authorizer[0].Text)-1],
			Position: decisionjson.Position{Line: 1, Col: 1}},
		FailedChecks: []decisionjson.Check{{
			Block: 1, Index: 0, Agent: "research", Source: `check if operation("read")`,
			Position: decisionjson.Position{Line: 2, Col: 3},
			Missing:  []string{`operation("read")`},
		}},
	}
	for _, b := range res.Token.Blocks {
		want.Blocks = append(want.Blocks, decisionjson.Block{Index: b.Index, Signer: b.Signer, ExternalKey: b.ExternalKey})
	}
	if diff := cmp.Diff(want, res.Decision); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if p := res.Authorizer[0].Policy; p == nil || *p != 0 {
		t.Errorf("authorizer line 0 = %+v, want policy 0", res.Authorizer[0])
	}
}

func TestAuthorizeSyntaxErrors(t *testing.T) {
	s := newServer(t, nil)
	req := delegation("read")
	req.Blocks[0].Source = "check if operation(\"read\");\ncheck if"
	req.Authorizer = "allow if"
	var e errorBody
	code, _ := call(t, s, "POST", "/api/authorize", req, &e)
	if code != http.StatusUnprocessableEntity || e.Error.Code != "syntax" {
		t.Fatalf("status %d, %+v", code, e)
	}
	var where []string
	for _, d := range e.Error.Diagnostics {
		where = append(where, d.Editor)
		if d.Line == 0 || d.Col == 0 || d.Message == "" {
			t.Errorf("diagnostic without a place: %+v", d)
		}
	}
	if diff := cmp.Diff([]string{"authorizer", "block 1"}, where); diff != "" {
		t.Errorf("editors with errors (-want +got):\n%s", diff)
	}
	if e.Error.Diagnostics[1].Line != 2 {
		t.Errorf("block 1's error on line %d, want 2", e.Error.Diagnostics[1].Line)
	}
}

func TestAuthorizePasted(t *testing.T) {
	s := newServer(t, nil)
	var minted authorizeResponse
	if code, body := call(t, s, "POST", "/api/authorize", delegation("read"), &minted); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	// Another playground, with other keys, verifies it with the root key.
	other := newServer(t, nil)
	req := delegation("write")
	req.Authority, req.Blocks = "", nil
	req.Token, req.RootKey = minted.Token.Text, minted.Token.RootKey
	req.Authorizer = "allow if right($r, $op), resource($r), operation($op);"
	var res authorizeResponse
	if code, body := call(t, other, "POST", "/api/authorize", req, &res); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	// A pasted token has no editors: its checks have no place.
	if res.Decision.Allowed || len(res.Decision.FailedChecks) != 1 || res.Decision.FailedChecks[0].Block != 1 || res.Decision.FailedChecks[0].Line != 0 {
		t.Errorf("decision = %+v, want deny by block 1's check", res.Decision)
	}
	if res.Token.Text != minted.Token.Text || len(res.Token.Blocks) != 3 || res.Token.Blocks[1].Label != "block 1" {
		t.Errorf("token view = %+v", res.Token)
	}

	for name, tc := range map[string]struct {
		token, root, code string
	}{
		"wrong root key": {minted.Token.Text, other.rootKey().Public().String(), "invalid_signature"},
		"bad root key":   {minted.Token.Text, "ed25519/00", "root_key"},
		"not a token":    {"not-a-token", minted.Token.RootKey, "token"},
		"truncated":      {minted.Token.Text[:100], minted.Token.RootKey, "token"},
	} {
		req.Token, req.RootKey = tc.token, tc.root
		var e errorBody
		if code, _ := call(t, other, "POST", "/api/authorize", req, &e); code != http.StatusUnprocessableEntity || e.Error.Code != tc.code {
			t.Errorf("%s: status %d, %+v, want 422 %s", name, code, e.Error, tc.code)
		}
	}
}

func TestLimits(t *testing.T) {
	s := newServer(t, &Options{Limits: Limits{MaxBodyBytes: 4096, MaxSourceBytes: 100, MaxBlocks: 2, MaxTokenBytes: 300}})
	status := func(r *http.Request) (int, errorBody) {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var e errorBody
		json.Unmarshal(w.Body.Bytes(), &e)
		return w.Code, e
	}
	post := func(body string, contentType string) *http.Request {
		r := newRequest("POST", "/api/authorize", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		return r
	}
	evil := newRequest("GET", "/", nil)
	evil.Host = "evil.example:7007"
	for name, tc := range map[string]struct {
		r    *http.Request
		code int
		err  string
	}{
		"body over the limit": {post(`{"authority":"`+strings.Repeat("a", 5000)+`"}`, "application/json"), 413, "too_large"},
		"not JSON":            {post(`{"authority":`, "application/json"), 400, "bad_request"},
		"two documents":       {post(`{} {}`, "application/json"), 400, "bad_request"},
		"unknown field":       {post(`{"authoritee":""}`, "application/json"), 400, "bad_request"},
		"not declared JSON":   {post(`{}`, "text/plain"), 415, "content_type"},
		"too many blocks":     {post(`{"blocks":[{},{},{}]}`, "application/json"), 422, "limit"},
		"source too large":    {post(`{"authority":"`+strings.Repeat(" ", 101)+`"}`, "application/json"), 422, "syntax"},
		"bad agent name":      {post(`{"blocks":[{"third_party":"a b"}]}`, "application/json"), 422, "agent"},
		"bad time":            {post(`{"time":"yesterday"}`, "application/json"), 422, "time"},
		"time before 1970":    {post(`{"time":"1969-12-31T23:59:59Z"}`, "application/json"), 422, "time"},
		"token too large":     {post(`{"token":"`+strings.Repeat("A", 1000)+`","root_key":"`+s.rootKey().Public().String()+`"}`, "application/json"), 422, "token"},
		"rebound host":        {evil, 403, "host"},
		"unknown call":        {newRequest("GET", "/api/nothing", nil), 404, "not_found"},
	} {
		code, e := status(tc.r)
		if code != tc.code || e.Error.Code != tc.err {
			t.Errorf("%s: %d %+v, want %d %s", name, code, e.Error, tc.code, tc.err)
		}
	}
	for _, host := range []string{"localhost:7007", "127.0.0.1:7007", "[::1]:7007", "localhost"} {
		r := newRequest("GET", "/", nil)
		r.Host = host
		if code, _ := status(r); code != http.StatusOK {
			t.Errorf("Host %s: %d", host, code)
		}
	}
}

func TestPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("service/read_only.datalog", "check if operation(\"read\");\n")
	write("service/service_test.txt", `authorizer inline allow if right($op), operation($op);
authority inline right("read"); right("write");

case "reads"
  block file=read_only.datalog
  fact operation("read")
  expect allow

case "writes, wrongly expected"
  block file=read_only.datalog
  fact operation("write")
  expect allow
`)
	write("service/testdata/skipped_test.txt", "")
	write("bad_test.txt", "nonsense\n")
	write("notes.md", "not listed")
	outside := filepath.Join(t.TempDir(), "secret.datalog")
	if err := os.WriteFile(outside, []byte("secret(1);"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.datalog")); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, &Options{PoliciesDir: dir})

	var list policyList
	call(t, s, "GET", "/api/policies", nil, &list)
	if diff := cmp.Diff(policyList{Enabled: true, Files: []string{"bad_test.txt", "link.datalog", "service/read_only.datalog", "service/service_test.txt"}}, list); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	var f policyFile
	if code, body := call(t, s, "GET", "/api/policies/file?path=service/read_only.datalog", nil, &f); code != http.StatusOK || f.Source != "check if operation(\"read\");\n" {
		t.Errorf("file: %d %s", code, body)
	}
	for _, p := range []string{"link.datalog", "../secret.datalog", "/etc/passwd", "service/../../x.datalog", "", "service/missing.datalog", "notes.md"} {
		var e errorBody
		code, _ := call(t, s, "GET", "/api/policies/file?path="+p, nil, &e)
		if code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("path %q: %d %+v, want 403 or 404", p, code, e.Error)
		}
		if strings.Contains(e.Error.Message, "secret(1)") {
			t.Errorf("path %q: the answer shows a file outside", p)
		}
	}

	var res testResult
	if code, body := call(t, s, "POST", "/api/policies/test", testRequest{Path: "service/service_test.txt"}, &res); code != http.StatusOK {
		t.Fatalf("test: %d %s", code, body)
	}
	if res.Passed != 1 || res.Failed != 1 || len(res.Cases) != 2 || !res.Cases[0].Passed || res.Cases[1].Passed ||
		res.Cases[0].Name != "reads" || !strings.Contains(res.Cases[1].Detail, "+ fail block 1 check 0") {
		t.Errorf("test result = %+v", res)
	}
	for p, want := range map[string]string{"service/read_only.datalog": "not_a_test", "bad_test.txt": "test_file", "../x_test.txt": "outside"} {
		var e errorBody
		call(t, s, "POST", "/api/policies/test", testRequest{Path: p}, &e)
		if e.Error.Code != want {
			t.Errorf("testing %s: %+v, want code %s", p, e.Error, want)
		}
	}

	none := newServer(t, nil)
	call(t, none, "GET", "/api/policies", nil, &list)
	if list.Enabled || len(list.Files) != 0 {
		t.Errorf("no policies folder: %+v", list)
	}
	if _, err := New(&Options{PoliciesDir: filepath.Join(dir, "notes.md")}); err == nil {
		t.Errorf("New with a file as policies folder: no error")
	}
}

// FuzzAPI sends any body to each API call: the handler answers with JSON
// and never fails inside (500) or panics.
func FuzzAPI(f *testing.F) {
	for _, seed := range []any{
		delegation("read"),
		parseRequest{Kind: "block", Source: "check if x($a), $a > 1;"},
		authorizeRequest{Token: "EoEBChUKAi9h", RootKey: "ed25519/00"},
		testRequest{Path: "../x_test.txt"},
	} {
		data, _ := json.Marshal(seed)
		for _, path := range []string{"/api/parse", "/api/authorize", "/api/policies/test"} {
			f.Add(path, data)
		}
	}
	s, err := New(&Options{PoliciesDir: "../policies"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		r := newRequest("POST", "/api/parse", bytes.NewReader(body))
		r.URL.Path = "/" + strings.TrimPrefix(path, "/")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	})
}
