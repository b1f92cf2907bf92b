// Package playground is Codios's local web playground: a page, served
// from this machine, where a person writes a token's blocks and a
// service's policy, and sees the token, the decision and why.
//
// # What it serves
//
// [New] returns an [http.Handler]. Its page is plain HTML, CSS and
// JavaScript embedded in the binary: no build step, no CDN, nothing
// fetched from anywhere else (the Content-Security-Policy says so to the
// browser). The page edits the authority block, any number of attenuation
// blocks (each optionally a third-party block signed by a named agent), the
// service's authorizer, the request's facts and its time; it keeps its
// whole state in the URL's fragment, which browsers never send to a
// server, so a link shares it and a reload restores it.
//
// # One engine
//
// The page evaluates nothing itself. Every parse, token and decision is
// made here, by packages datalog and token, behind a small JSON API:
//
//   - POST /api/parse: the syntax errors of one editor, at line and column,
//     asked for as the person types.
//   - POST /api/authorize: mint the token from the blocks (or verify a
//     pasted token with its root key), authorize the request, and return
//     the token (size, text, each block's canonical Datalog, signer and
//     revocation id), the decision (the matched policy, every failed check
//     with the predicates no fact matches, from package internal/explain)
//     and the world, every fact with its origin.
//   - GET /api/policies, GET /api/policies/file?path=P and
//     POST /api/policies/test: the files of [Options.PoliciesDir], and the
//     cases of a policy test file run by package policies/policytest, as
//     codios test runs them.
//
// Errors are small JSON documents, {"error": {"code": ..., "message": ...}},
// with the HTTP status that fits: 413 for a body over the limit, 415 for
// one not declared as JSON, 400 for a body that is not the API's JSON, 422
// for Datalog, tokens or keys that do not parse or verify (with a
// "diagnostics" list of line:col errors for Datalog), 403 for a foreign
// Host or a path outside the policies folder, 404 and 405.
//
// # Keys
//
// The page never sees a private key. [New] draws a secret; the root key
// and each named agent's key are derived from it (HMAC-SHA256 of the
// name, as an Ed25519 seed), so a name means the same key for the life of
// the handler, and a shared state rebuilds the same tokens' structure on
// any server. In the Datalog of every editor a parameter {name} is the
// public key of the agent called name, for trusting clauses. Public keys
// are returned; private keys are neither returned nor logged (the handler
// logs nothing).
//
// # Trust model
//
// The playground is a local tool for one person. The command binds it to
// loopback; the handler refuses a Host header naming another host than
// localhost or an IP address (DNS rebinding), and API calls whose body is
// not declared as JSON (so that a web page elsewhere cannot post to it
// without a CORS preflight, which the handler never grants). Every input
// is hostile all the same: bodies, sources, blocks and tokens are bounded
// by [Limits], evaluation by the Datalog limits, and no input panics the
// handler. Policy files are read only under [Options.PoliciesDir], through
// an [os.Root], so no path leaves it, and only its Datalog and test files.
//
// # Tests
//
// The tests here call the handler through httptest, and fuzz the API with
// any body. The page itself is tested in a real browser by the module
// playground/browsertest (headless chromium through chromedp, a dependency
// kept out of this module), which also takes the README's screenshot.
package playground

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/codios/codios/token"
)

// Options are the optional settings of a playground.
type Options struct {
	// PoliciesDir is the folder of policy files the page may open and
	// whose test cases it may run; empty for none.
	PoliciesDir string
	// Limits bounds each request; a zero field takes its default (see
	// DefaultLimits).
	Limits Limits
}

// Limits bounds what one request to the playground may cost.
type Limits struct {
	// MaxBodyBytes bounds a request body; more is refused with 413.
	MaxBodyBytes int64
	// MaxSourceBytes bounds the Datalog of one editor.
	MaxSourceBytes int
	// MaxBlocks bounds the attenuation blocks after the authority block.
	MaxBlocks int
	// MaxTokenBytes bounds a pasted token, in its decoded bytes.
	MaxTokenBytes int
}

// DefaultLimits returns the limits used where a field of Limits is zero:
// 1 MiB bodies, 32 KiB of Datalog an editor, 16 blocks after the
// authority block, and tokens as large as package token accepts.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:   1 << 20,
		MaxSourceBytes: 32 << 10,
		MaxBlocks:      16,
		MaxTokenBytes:  token.DefaultLimits().MaxTokenBytes,
	}
}

// ErrPoliciesDir is a PoliciesDir that is not a readable folder.
var ErrPoliciesDir = errors.New("playground: policies folder")

//go:embed static
var static embed.FS

// server is the playground's handler.
type server struct {
	secret   []byte // derives the root and agent keys
	policies string
	limits   Limits
	mux      *http.ServeMux
}

// New returns the playground's handler. It fails only when
// opts.PoliciesDir is set and is not a folder.
func New(opts *Options) (http.Handler, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &server{policies: opts.PoliciesDir, limits: opts.Limits, secret: make([]byte, 32)}
	if s.policies != "" {
		info, err := os.Stat(s.policies)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPoliciesDir, err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("%w: %s is not a folder", ErrPoliciesDir, s.policies)
		}
	}
	d := DefaultLimits()
	if s.limits.MaxBodyBytes <= 0 {
		s.limits.MaxBodyBytes = d.MaxBodyBytes
	}
	if s.limits.MaxSourceBytes <= 0 {
		s.limits.MaxSourceBytes = d.MaxSourceBytes
	}
	if s.limits.MaxBlocks <= 0 {
		s.limits.MaxBlocks = d.MaxBlocks
	}
	if s.limits.MaxTokenBytes <= 0 {
		s.limits.MaxTokenBytes = d.MaxTokenBytes
	}
	rand.Read(s.secret) // never fails (crypto/rand)

	assets, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	s.mux = http.NewServeMux()
	files := http.FileServerFS(assets)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Code: "method", Message: r.Method + " " + r.URL.Path + ": the page is read with GET"})
			return
		}
		files.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("POST /api/parse", handle(s, s.parse))
	s.mux.HandleFunc("POST /api/authorize", handle(s, s.authorize))
	s.mux.HandleFunc("GET /api/policies", handle(s, s.listPolicies))
	s.mux.HandleFunc("GET /api/policies/file", handle(s, s.policyFile))
	s.mux.HandleFunc("POST /api/policies/test", handle(s, s.testPolicy))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such API call: " + r.Method + " " + r.URL.Path})
	})
	return s, nil
}

var _ http.Handler = (*server)(nil)

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !localHost(r.Host) {
		writeError(w, &apiError{Status: http.StatusForbidden, Code: "host", Message: "the playground answers only to localhost or an IP address, not " + r.Host})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// localHost reports whether a Host header names localhost or an IP
// address: a page that rebinds its own DNS name to 127.0.0.1 sends its own
// name, and is refused.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

// key derives the private key called label from the handler's secret.
func (s *server) key(label string) *token.PrivateKey {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(label))
	k, err := token.NewPrivateKey(token.Ed25519, mac.Sum(nil))
	if err != nil {
		panic(err) // every 32-byte string is an Ed25519 seed
	}
	return k
}

// rootKey is the key that signs the authority block of built tokens.
func (s *server) rootKey() *token.PrivateKey { return s.key("root") }

// agentKey is the key of the agent called name.
func (s *server) agentKey(name string) *token.PrivateKey { return s.key("agent:" + name) }
