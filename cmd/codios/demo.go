package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aperturerobotics/protobuf-go-lite/encoding/protowire"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/sdk/nethttp"
	"github.com/codios/codios/token"
)

const demoDoc = "Demo runs, in this process and on 127.0.0.1 ports of its own, an issuer,\n" +
	"three agents (planner, research, summarizer) and a reports service behind\n" +
	"the Codios middleware, and narrates what happens as a token is delegated\n" +
	"from agent to agent: each agent narrows it offline, and the service\n" +
	"authorizes every call. It ends with the audit trail as a delegation tree.\n" +
	"It checks every outcome it shows, and exits 1 if one is not what it should\n" +
	"be. The audit log goes to a temporary folder, removed at the end, unless\n" +
	"--audit names a file.\n\n" +
	"Example:\n\n" +
	"\tcodios demo --audit demo-audit.log"

// The demo's issuer grant and the reports service's policy.
const (
	demoGrant = `right("/reports/", {"read", "write"});`

	demoPolicy = `// The reports service: a right on a prefix of the resource, for the operation.
allow if right($prefix, $ops), resource($r), $r.starts_with($prefix),
         operation($op), $ops.contains($op);
`
	demoRootKeyID = 1
)

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo")
	auditPath := fs.String("audit", "", "write the audit log to `FILE` and keep it")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	d, err := startDemo(stdout, *auditPath)
	if err != nil {
		fmt.Fprintf(stderr, "codios demo: %v\n", err)
		return exitDeny
	}
	defer d.stop()
	if err := d.run(); err != nil {
		fmt.Fprintf(stderr, "codios demo: %v\n", err)
		return exitDeny
	}
	if len(d.failures) > 0 {
		fmt.Fprintf(stderr, "codios demo: %d outcomes were not as they should be:\n", len(d.failures))
		for _, f := range d.failures {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		return exitDeny
	}
	return exitOK
}

// demo is the demo's world: its servers, its agents and what it saw.
type demo struct {
	out       io.Writer
	dir       string // temporary, removed by stop; "" when none
	auditPath string
	revPath   string

	root       *token.PrivateKey
	servers    []*http.Server
	issuerURL  string
	reportsURL string
	mw         *nethttp.Middleware
	auditFile  *sdk.AuditFile
	client     *http.Client

	planner, research, summarizer *demoAgent

	step     int
	failures []string
}

// demoAgent is an agent instance with the address where it receives
// tokens handed to it.
type demoAgent struct {
	*sdk.Agent
	url    string
	client *http.Client
}

func startDemo(out io.Writer, auditPath string) (*demo, error) {
	d := &demo{out: out, client: &http.Client{Timeout: 10 * time.Second}}
	dir, err := os.MkdirTemp("", "codios-demo-")
	if err != nil {
		return nil, err
	}
	d.dir = dir
	d.revPath = filepath.Join(dir, "revoked.txt")
	d.auditPath = auditPath
	if d.auditPath == "" {
		d.auditPath = filepath.Join(dir, "audit.log")
	}
	if err := sdk.AddRevocations(d.revPath); err != nil {
		d.stop()
		return nil, err
	}
	if d.root, err = token.GenerateKey(token.Ed25519, nil); err != nil {
		d.stop()
		return nil, err
	}
	if err := d.startServices(); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

func (d *demo) startServices() error {
	issuerURL, err := d.serve(d.issuerHandler())
	if err != nil {
		return err
	}
	d.issuerURL = issuerURL

	revocations, err := sdk.OpenRevocationFile(d.revPath, time.Hour)
	if err != nil {
		return err
	}
	audit, err := sdk.OpenAuditFile(d.auditPath)
	if err != nil {
		return err
	}
	policy, err := token.ParseAuthorizer(demoPolicy, nil, nil)
	if err != nil {
		return err
	}
	d.mw, err = nethttp.NewMiddleware(sdk.Config{
		Service:            "reports",
		RootKeys:           token.KeySet{Keys: map[uint32]token.PublicKey{demoRootKeyID: d.root.Public()}},
		Policy:             policy,
		Audit:              audit,
		Revocations:        revocations,
		ExposeFailedChecks: true, // the demo shows which block denied a call
	}, nil)
	if err != nil {
		audit.Close()
		return err
	}
	d.auditFile = audit
	if d.reportsURL, err = d.serve(d.mw.Wrap(reportsHandler())); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		dst  **demoAgent
	}{{"planner", &d.planner}, {"research", &d.research}, {"summarizer", &d.summarizer}} {
		a, err := sdk.NewAgent(p.name, nil)
		if err != nil {
			return err
		}
		da := &demoAgent{Agent: a}
		da.client = &http.Client{Timeout: 10 * time.Second, Transport: nethttp.Transport(a, nil)}
		if da.url, err = d.serve(handoffHandler(a)); err != nil {
			return err
		}
		*p.dst = da
	}
	return nil
}

// serve starts a server for h on a loopback port of its own.
func (d *demo) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	d.servers = append(d.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

func (d *demo) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range d.servers {
		s.Shutdown(ctx)
	}
	if d.auditFile != nil {
		d.auditFile.Close()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}

// issuerHandler mints a token for the agent a request names (the demo
// trusts its loopback callers; a real issuer authenticates them) and
// takes revocations.
func (d *demo) issuerHandler() http.Handler {
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mint", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Agent, Key string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		key, err := token.ParsePublicKey(req.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := uint32(demoRootKeyID)
		data, err := sdk.Issue(d.root, sdk.Identity{Name: req.Agent, Key: key},
			sdk.Grant{Source: demoGrant, TTL: time.Hour, RootKeyID: &id})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(data)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1024))
		id := strings.TrimSpace(string(body))
		raw, herr := hex.DecodeString(id)
		if err != nil || herr != nil || id == "" {
			http.Error(w, "want a hex revocation id", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := sdk.AddRevocations(d.revPath, raw); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// handoffHandler is where an agent receives the token another hands it.
func handoffHandler(a *sdk.Agent) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /handoff", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(token.DefaultLimits().MaxTokenBytes)))
		if err == nil {
			err = a.Receive(data)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// reportsHandler serves the reports, behind the middleware.
func reportsHandler() http.Handler {
	var mu sync.Mutex
	docs := map[string]string{
		"/reports/q3/summary.txt": "Q3: revenue up 12%, costs flat.",
		"/reports/q3/data.csv":    "month,revenue\njul,410\naug,455\nsep,470",
		"/reports/q4/plan.txt":    "Q4 plan: hire two analysts.",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodGet:
			doc, ok := docs[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, doc)
		case http.MethodPut:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			docs[r.URL.Path] = string(body)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// say starts a numbered step.
func (d *demo) say(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// note prints a detail of the current step.
func (d *demo) note(format string, args ...any) {
	fmt.Fprintf(d.out, "   %s\n", fmt.Sprintf(format, args...))
}

// expect records an outcome that is not what it should be.
func (d *demo) expect(ok bool, format string, args ...any) {
	if !ok {
		d.failures = append(d.failures, fmt.Sprintf("step %d: ", d.step)+fmt.Sprintf(format, args...))
		d.note("!! not as expected: "+format, args...)
	}
}

func (d *demo) run() error {
	fmt.Fprintf(d.out, "Codios demo: three agents hand a token down a chain; a reports service\n"+
		"authorizes every call. Everything runs in this process, on 127.0.0.1.\n\n"+
		"   issuer   %s   (root key id %d)\n   reports  %s\n   agents   planner %s, research %s, summarizer %s\n",
		d.issuerURL, demoRootKeyID, d.reportsURL, d.planner.url, d.research.url, d.summarizer.url)
	fmt.Fprintf(d.out, "   Each agent made its own Ed25519 key pair when it started:\n")
	for _, a := range []*demoAgent{d.planner, d.research, d.summarizer} {
		fmt.Fprintf(d.out, "     %-10s %s\n", a.Name(), shortKey(a.Identity().Key))
	}

	d.say("The issuer mints a token for the planner: read and write under /reports/, for 1 hour.")
	if err := d.mint(d.planner); err != nil {
		return err
	}
	d.describe(d.planner)

	d.say("The planner delegates to research, offline: read-only, under /reports/q3/, for 10 minutes.")
	if err := d.handoff(d.planner, d.research, sdk.Delegation{
		Checks: `check if operation("read"), resource($r), $r.starts_with({prefix});`,
		Params: datalog.Params{"prefix": datalog.String("/reports/q3/")},
		TTL:    10 * time.Minute,
	}); err != nil {
		return err
	}
	d.describe(d.research)

	d.say("Research delegates to the summarizer: one document, for 1 minute, at most 5 calls a minute.")
	if err := d.handoff(d.research, d.summarizer, sdk.Delegation{
		Checks: `check if resource("/reports/q3/summary.txt");`,
		TTL:    time.Minute,
		Budget: &sdk.Budget{Calls: 5, Period: time.Minute},
	}); err != nil {
		return err
	}
	d.describe(d.summarizer)

	d.say("The summarizer reads its document.")
	d.call(d.summarizer, "GET", "/reports/q3/summary.txt", http.StatusOK)

	d.say("The summarizer tries to write it.")
	d.call(d.summarizer, "PUT", "/reports/q3/summary.txt", http.StatusForbidden)

	d.say("The summarizer removes the block research added (its one-document limit), to read more.")
	if err := d.stripped(); err != nil {
		return err
	}

	d.say("The summarizer keeps calling: its budget is 5 calls a minute, and it has made 1.")
	for range 4 {
		d.call(d.summarizer, "GET", "/reports/q3/summary.txt", http.StatusOK)
	}
	d.call(d.summarizer, "GET", "/reports/q3/summary.txt", http.StatusTooManyRequests)

	d.say("The issuer revokes research's delegation: block 1 of research's token.")
	if err := d.revoke(d.research, 1); err != nil {
		return err
	}
	d.call(d.summarizer, "GET", "/reports/q3/summary.txt", http.StatusForbidden)
	d.call(d.research, "GET", "/reports/q3/data.csv", http.StatusForbidden)
	d.call(d.planner, "GET", "/reports/q3/data.csv", http.StatusOK)

	d.say("A token the issuer minted two hours ago, good for one hour, is presented.")
	if err := d.expired(); err != nil {
		return err
	}

	fmt.Fprintf(d.out, "\nThe audit trail, as a delegation tree (codios audit %s):\n\n", filepath.Base(d.auditPath))
	if code := runAudit([]string{d.auditPath}, d.out, d.out); code != exitOK {
		return fmt.Errorf("printing the audit trail: exit status %d", code)
	}
	if len(d.failures) == 0 {
		fmt.Fprintf(d.out, "\nEvery outcome was as expected.\n")
	}
	return nil
}

// mint asks the issuer for a's token.
func (d *demo) mint(a *demoAgent) error {
	body, _ := json.Marshal(map[string]string{"agent": a.Name(), "key": a.Identity().Key.String()})
	resp, err := d.client.Post(d.issuerURL+"/mint", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(token.DefaultLimits().MaxTokenBytes)))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("issuer: %s: %s", resp.Status, data)
	}
	return a.Receive(data)
}

// handoff has from delegate to to, and sends to the narrower token.
func (d *demo) handoff(from, to *demoAgent, del sdk.Delegation) error {
	del.To = to.Identity()
	data, err := from.Delegate(del)
	if err != nil {
		return err
	}
	resp, err := d.client.Post(to.url+"/handoff", "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("handing the token to %s: %s: %s", to.Name(), resp.Status, msg)
	}
	return nil
}

// describe shows the token an agent holds now.
func (d *demo) describe(a *demoAgent) {
	text, err := a.Token()
	if err != nil {
		d.expect(false, "%s holds no token: %v", a.Name(), err)
		return
	}
	tok, err := token.ParseText(text, d.root.Public(), nil)
	if err != nil {
		d.expect(false, "%s's token does not verify: %v", a.Name(), err)
		return
	}
	blocks := tok.Blocks()
	last := blocks[len(blocks)-1]
	signer := "the root key"
	if last.ExternalKey != nil {
		signer = shortKey(*last.ExternalKey)
	}
	size := 0
	if data, err := token.DecodeText(text, nil); err == nil {
		size = len(data)
	}
	d.note("%s holds a token of %d bytes, %d block(s); the last, signed by %s, says:", a.Name(), size, len(blocks), signer)
	for _, line := range strings.Split(strings.TrimSpace(last.Program.String()), "\n") {
		d.note("    %s", line)
	}
}

// call has a make one request to the reports service, and shows and
// checks the answer.
func (d *demo) call(a *demoAgent, method, path string, want int) {
	req, err := http.NewRequest(method, d.reportsURL+path, nil)
	if method == http.MethodPut {
		req, err = http.NewRequest(method, d.reportsURL+path, strings.NewReader("Q3: all good."))
	}
	if err != nil {
		d.expect(false, "%v", err)
		return
	}
	resp, err := a.client.Do(req)
	d.show(a.Name(), req, resp, err, want)
}

// show prints and checks one answer of the reports service.
func (d *demo) show(who string, req *http.Request, resp *http.Response, err error, want int) {
	if err != nil {
		d.expect(false, "%s %s %s: %v", who, req.Method, req.URL.Path, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	line := fmt.Sprintf("%-10s %-4s %-24s -> %d %s", who, req.Method, req.URL.Path, resp.StatusCode, http.StatusText(resp.StatusCode))
	switch {
	case resp.StatusCode == http.StatusOK:
		line += fmt.Sprintf(": %q", firstLine(string(body)))
	case resp.StatusCode == http.StatusTooManyRequests:
		line += ", Retry-After: " + resp.Header.Get("Retry-After") + " s"
	default:
		var e struct {
			Reason       string
			FailedChecks []sdk.AuditCheck `json:"failed_checks"`
		}
		if json.Unmarshal(body, &e) == nil {
			line += " (" + e.Reason + ")"
			for _, fc := range e.FailedChecks {
				by := fc.Agent
				if by == "" {
					by = "the service"
				}
				line += fmt.Sprintf("\n%s   failed: block %d, written by %s: %s", strings.Repeat(" ", 14), fc.Block, by, fc.Describe())
			}
		}
	}
	d.note("%s", line)
	d.expect(resp.StatusCode == want, "%s %s %s: status %d, want %d", who, req.Method, req.URL.Path, resp.StatusCode, want)
}

// stripped sends the summarizer's token with its last block removed.
func (d *demo) stripped() error {
	text, err := d.summarizer.Token()
	if err != nil {
		return err
	}
	data, err := token.DecodeText(text, nil)
	if err != nil {
		return err
	}
	cut, err := dropLastBlock(data)
	if err != nil {
		return err
	}
	d.note("without that block, the token would allow all that research may do")
	req, err := http.NewRequest(http.MethodGet, d.reportsURL+"/reports/q3/data.csv", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+base64.URLEncoding.EncodeToString(cut))
	resp, err := d.client.Do(req)
	d.show("summarizer", req, resp, err, http.StatusUnauthorized)
	d.note("refused: a token ends with the key that signs its next block, and after the cut that")
	d.note("key belongs to no block of the token, so the service sees it was tampered with")
	return nil
}

// dropLastBlock removes the last attenuation block of a serialized token
// (field 3 of the Biscuit message), leaving everything else as it is.
func dropLastBlock(data []byte) ([]byte, error) {
	lastStart, lastEnd := -1, -1
	for i := 0; i < len(data); {
		num, typ, n := protowire.ConsumeTag(data[i:])
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, data[i+n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		if num == 3 {
			lastStart, lastEnd = i, i+n+m
		}
		i += n + m
	}
	if lastStart < 0 {
		return nil, errors.New("the token has no attenuation block")
	}
	return append(append([]byte(nil), data[:lastStart]...), data[lastEnd:]...), nil
}

// revoke has the issuer revoke block i of a's token, then waits for the
// service to read its revocation list again.
func (d *demo) revoke(a *demoAgent, i int) error {
	text, err := a.Token()
	if err != nil {
		return err
	}
	tok, err := token.ParseText(text, d.root.Public(), nil)
	if err != nil {
		return err
	}
	id := hex.EncodeToString(tok.RevocationIDs()[i])
	resp, err := d.client.Post(d.issuerURL+"/revoke", "text/plain", strings.NewReader(id))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("issuer: revoke: %s", resp.Status)
	}
	d.note("revoked %s…; the service reads its revocation list again within a second", id[:16])
	time.Sleep(1100 * time.Millisecond)
	return nil
}

// expired presents a token minted two hours ago for one hour.
func (d *demo) expired() error {
	id := uint32(demoRootKeyID)
	old, err := sdk.Issue(d.root, d.planner.Identity(), sdk.Grant{
		Source: demoGrant, TTL: time.Hour, RootKeyID: &id, Now: time.Now().Add(-2 * time.Hour),
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, d.reportsURL+"/reports/q3/summary.txt", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+base64.URLEncoding.EncodeToString(old))
	resp, err := d.client.Do(req)
	d.show("planner", req, resp, err, http.StatusForbidden)
	return nil
}

func shortKey(k token.PublicKey) string {
	s := k.String()
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
