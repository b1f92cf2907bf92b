package browsertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/codios/codios/playground"
)

// chromium finds the browser, or skips the test saying why.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CODIOS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary ($CODIOS_CHROMIUM, chromium or chromium-browser on $PATH): the browser tests need one; scripts/test installs Debian's")
	return ""
}

// session is one page of the playground in a headless browser.
type session struct {
	t   *testing.T
	ctx context.Context
	url string
}

// open serves a playground on 127.0.0.1 and starts a fresh headless
// chromium, with a profile of its own and no network of its own.
func open(t *testing.T, opts *playground.Options) *session {
	t.Helper()
	bin := chromium(t)
	h, err := playground.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	// The whole session, browser included, has two minutes.
	ctx, cancelTime := context.WithTimeout(alloc, 2*time.Minute)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	t.Cleanup(func() {
		cancelCtx()
		cancelTime()
		cancelAlloc()
	})
	s := &session{t: t, ctx: ctx, url: srv.URL + "/"}
	s.watchErrors()
	s.load(s.url)
	return s
}

// watchErrors fails the test, at its end, for every exception the page
// throws and every error it logs (a Content-Security-Policy violation, a
// resource that does not load), except the API's own refusals, which the
// page shows.
func (s *session) watchErrors() {
	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(s.ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level != cdplog.EntryLevelError || e.Entry.Source == cdplog.EntrySourceNetwork {
				return
			}
			msg = fmt.Sprintf("%s error: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		default:
			return
		}
		mu.Lock()
		problems = append(problems, msg)
		mu.Unlock()
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.do("enable the log", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	}))
	s.t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			s.t.Errorf("the page reported %s", p)
		}
	})
}

// do runs actions, failing the test on an error.
func (s *session) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
}

// load navigates to url and waits until the page is ready. It asks by
// plain evaluation, again and again, rather than with Poll, whose
// JavaScript context can be the previous page's for a moment after a
// navigation.
func (s *session) load(url string) {
	s.t.Helper()
	s.do("load "+url, chromedp.Navigate(url))
	deadline := time.Now().Add(15 * time.Second)
	for {
		ready, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](`document.body !== null && document.body.dataset.ready === 'true'`))
		if err == nil && ready {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("load %s: the page is not ready (%v)", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](s *session, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		s.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript expression is true.
func (s *session) waitFor(what, expr string) {
	s.t.Helper()
	_, err := chromedp.Run(s.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		s.t.Fatalf("waiting until %s (%s): %v\nerror box: %s", what, expr, err, eval[string](s, `document.getElementById('error').textContent`))
	}
}

// typeInto clears a field and types text into it, key by key.
func (s *session) typeInto(sel, text string) {
	s.t.Helper()
	if !eval[bool](s, fmt.Sprintf(`(() => { document.querySelector(%q).value = ''; return true; })()`, sel)) {
		s.t.Fatalf("clearing %s", sel)
	}
	s.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setText replaces a field's text at once, as a paste does.
func (s *session) setText(sel, text string) {
	s.t.Helper()
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('input')); return true; })()`, sel, text)
	if !eval[bool](s, expr) {
		s.t.Fatalf("setting %s", sel)
	}
}

func (s *session) click(sel string) {
	s.t.Helper()
	s.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// texts returns the text of every element a CSS selector matches.
func (s *session) texts(sel string) []string {
	s.t.Helper()
	return eval[[]string](s, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.textContent)`, sel))
}

// authorize clicks Authorize and waits for the new verdict.
func (s *session) authorize() {
	s.t.Helper()
	eval[bool](s, `(() => { const v = document.getElementById('verdict'); v.hidden = true; delete v.dataset.allowed; return true; })()`)
	s.click("#authorize")
	s.waitFor("a verdict", `document.getElementById('verdict').dataset.allowed !== undefined`)
}

// TestDelegation is a person's first session: write a policy, make a
// syntax error and see it marked at its line, attenuate, authorize and be
// allowed, be denied with the failing check marked in its block, then
// share the state and reload it from the link.
func TestDelegation(t *testing.T) {
	s := open(t, nil)

	// Write the issuer's grant and the service's policy, typing.
	s.typeInto("#ed-authority", "right(\"/reports/q3\", \"read\");\nright(\"/reports/q3\", \"write\");\n")
	s.typeInto("#ed-authorizer", "allow if right($r, $op), resource($r), operation($op),\n  approved(\"research\") trusting authority, {compliance};\n")
	s.waitFor("the authorizer parses", `document.querySelectorAll('#card-authorizer .diag').length === 0`)

	// A syntax error, on line 3, is marked there as one types.
	s.do("type an error", chromedp.SendKeys(chromedp.CSS("#ed-authority"), "check if operation(;"))
	s.waitFor("the error is marked", `document.querySelectorAll('#card-authority .gutter .err').length === 1`)
	if got := s.texts("#card-authority .gutter .err"); len(got) != 1 || got[0] != "3" {
		t.Errorf("error marked on lines %q, want 3", got)
	}
	if got := s.texts("#card-authority .diag"); len(got) != 1 || !strings.HasPrefix(got[0], "authority 3:20: ") {
		t.Errorf("error message %q, want authority 3:20: ...", got)
	}
	if n := eval[int](s, `document.querySelectorAll('#card-authority .squiggle').length`); n != 1 {
		t.Errorf("%d inline marks, want 1", n)
	}
	s.setText("#ed-authority", "right(\"/reports/q3\", \"read\");\nright(\"/reports/q3\", \"write\");\n")
	s.waitFor("the error is gone", `document.querySelectorAll('#card-authority .diag, #card-authority .gutter .err').length === 0`)

	// Attenuate: the example's block 1 is the planner's read-only copy for
	// research; append block 2, the compliance agent's approval, signed by
	// it as a third party.
	s.click("#add-block")
	s.waitFor("block 2", `document.getElementById('ed-block-2') !== null`)
	s.typeInto("#ed-block-2", `approved("research");`)
	s.typeInto(`#card-block-2 input[aria-label="block 2 third-party signer"]`, "compliance")
	s.setText("#ed-request", "resource(\"/reports/q3\");\noperation(\"read\");\n")
	s.authorize()
	if got := eval[string](s, `document.getElementById('verdict').dataset.allowed`); got != "true" {
		t.Fatalf("reading: verdict allowed=%s (%q), want allow", got, s.texts("#verdict"))
	}
	if got := s.texts("#verdict"); len(got) != 1 || !strings.HasPrefix(got[0], "Allowpolicy 0 matched (allow): allow if right(") || strings.Contains(got[0], "null") {
		t.Errorf("verdict %q", got)
	}
	// The matched policy is marked at the line the server gives.
	if got := s.texts("#card-authorizer .gutter .match"); len(got) != 1 || got[0] != "1" {
		t.Errorf("authorizer editor: matched policy on lines %q, want 1", got)
	}
	if got := s.texts("#chain .who"); strings.Join(got, " → ") != "issuer → research → compliance" {
		t.Errorf("delegation path %q", got)
	}

	// A write: denied by block 1's check, marked in block 1.
	s.setText("#ed-request", "resource(\"/reports/q3\");\noperation(\"write\");\n")
	s.authorize()
	if got := eval[string](s, `document.getElementById('verdict').dataset.allowed`); got != "false" {
		t.Fatalf("writing: verdict allowed=%s, want deny", got)
	}
	if got := s.texts("#verdict .failed-check"); len(got) != 1 || !strings.Contains(got[0], `block 1, check 0 failed: check if operation("read")`) || !strings.Contains(got[0], `no fact matches: operation("read")`) {
		t.Errorf("failed checks %q", got)
	}
	// It leads with what failed, then the policy that would have allowed.
	if got := s.texts("#verdict"); len(got) != 1 || !strings.HasPrefix(got[0], "Denyblock 1, check 0 failed: ") || !strings.Contains(got[0], "without the failed check, policy 0 would have allowed: allow if right(") {
		t.Errorf("verdict %q", got)
	}
	if got := s.texts("#card-block-1 .gutter .fail"); len(got) != 1 || got[0] != "2" {
		t.Errorf("block 1 editor: failing lines %q, want 2 (the check, under a comment, as the server places it)", got)
	}
	if n := eval[int](s, `document.querySelectorAll('#card-block-1 .band.fail').length`); n != 1 {
		t.Errorf("block 1 editor: %d highlighted lines, want 1", n)
	}
	if got := s.texts("#token-block-1 .line.fail"); len(got) != 1 || !strings.HasPrefix(got[0], `check if operation("read");`) {
		t.Errorf("token view: block 1 failing lines %q", got)
	}
	if got := s.texts(".fail, .band.fail"); len(got) == 0 {
		t.Errorf("nothing highlighted")
	}
	// The world, filtered.
	s.typeInto("#world-filter", "approved")
	if got := s.texts("#world tbody tr"); len(got) != 1 || !strings.Contains(got[0], "block 2") {
		t.Errorf("world filtered by approved: %q", got)
	}

	// Share, and open the link in a fresh page.
	s.click("#share")
	s.waitFor("the state in the fragment", `location.hash.startsWith('#s=')`)
	link := eval[string](s, `location.href`)
	s.do("leave the page", chromedp.Navigate("about:blank"))
	s.load(link)
	for sel, want := range map[string]string{
		"#ed-authority":  "right(\"/reports/q3\", \"read\");\nright(\"/reports/q3\", \"write\");\n",
		"#ed-block-2":    `approved("research");`,
		"#ed-request":    "resource(\"/reports/q3\");\noperation(\"write\");\n",
		"#ed-authorizer": "allow if right($r, $op), resource($r), operation($op),\n  approved(\"research\") trusting authority, {compliance};\n",
		`#card-block-2 input[aria-label="block 2 third-party signer"]`: "compliance",
	} {
		if got := eval[string](s, fmt.Sprintf(`document.querySelector(%q).value`, sel)); got != want {
			t.Errorf("after reload, %s = %q, want %q", sel, got, want)
		}
	}
	s.authorize()
	if got := s.texts("#verdict .failed-check"); len(got) != 1 || !strings.Contains(got[0], "block 1, check 0") {
		t.Errorf("after reload: failed checks %q", got)
	}

	// The same token, pasted with its root key, as a service sees it.
	s.click("#to-paste")
	s.waitFor("paste mode", `!document.getElementById('paste').hidden && document.getElementById('paste-token').value !== ''`)
	s.authorize()
	if got := s.texts("#verdict .failed-check"); len(got) != 1 || !strings.Contains(got[0], "block 1, check 0") {
		t.Errorf("pasted: failed checks %q", got)
	}
	if got := s.texts("#chain .who"); strings.Join(got, " → ") != "block 0 → block 1 → block 2" {
		t.Errorf("pasted: path %q", got)
	}

	// With another root key (compliance's), the token does not verify.
	keys := s.texts("#keys dd")
	if len(keys) != 2 {
		t.Fatalf("keys shown: %q, want the root key and compliance's", keys)
	}
	s.setText("#paste-root", keys[1])
	s.click("#authorize")
	s.waitFor("the error", `!document.getElementById('error').hidden`)
	if got := s.texts("#error .message"); len(got) != 1 || !strings.Contains(got[0], "does not verify with this root key") {
		t.Errorf("wrong root key: error %q", got)
	}
	if !eval[bool](s, `document.getElementById('verdict').hidden && document.getElementById('token-card').hidden`) {
		t.Errorf("wrong root key: the previous verdict and token are still shown")
	}
}

// TestPolicyLibrary opens a test file of the policy library and runs its
// cases.
func TestPolicyLibrary(t *testing.T) {
	s := open(t, &playground.Options{PoliciesDir: filepath.Join("..", "..", "policies")})
	s.waitFor("the library", `!document.getElementById('policies-card').hidden`)
	s.do("choose a file", chromedp.SetValue(chromedp.CSS("#policy-files"), "service/file_service_test.txt"))
	s.click("#policy-open")
	s.waitFor("the file", `document.getElementById('policy-source').textContent.includes('case "files: read under the granted prefix"')`)
	s.click("#policy-run")
	s.waitFor("the results", `document.querySelector('#policy-results .summary') !== null`)
	if fails := s.texts("#policy-results .case.fail"); len(fails) > 0 {
		t.Errorf("failing cases: %q", fails)
	}
	passes := s.texts("#policy-results .case.pass")
	if len(passes) < 3 || passes[0] != "PASS files: read under the granted prefix" {
		t.Errorf("passing cases: %q", passes)
	}
}

// TestScreenshot writes the README's screenshot when $CODIOS_SCREENSHOT
// names a PNG file, relative to the repository's root: the README's
// delegation, denied.
func TestScreenshot(t *testing.T) {
	out := os.Getenv("CODIOS_SCREENSHOT")
	if out == "" {
		t.Skip("set CODIOS_SCREENSHOT=docs/playground.png to write the README's screenshot")
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join("..", "..", out)
	}
	s := open(t, nil)
	s.setText("#ed-authorizer", "// The reports service trusts approvals signed by compliance.\nallow if right($r, $op), resource($r), operation($op),\n  approved(\"research\") trusting authority, {compliance};\n")
	s.click("#add-block")
	s.waitFor("block 2", `document.getElementById('ed-block-2') !== null`)
	s.setText("#ed-block-2", "// The compliance agent vouches for research.\napproved(\"research\");\n")
	s.setText(`#card-block-2 input[aria-label="block 2 third-party signer"]`, "compliance")
	s.setText("#ed-request", "resource(\"/reports/q3\");\noperation(\"write\");\n")
	s.setText("#time", "2026-11-25T12:00:00Z")
	s.authorize()
	eval[bool](s, `(() => { document.activeElement.blur(); window.scrollTo(0, 0); return true; })()`)
	png, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}
