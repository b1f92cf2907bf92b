package nethttp

import (
	"fmt"
	"net/http"
	"time"

	"github.com/codios/codios/sdk"
)

// DefaultCallTTL is the life of a per-call token when TransportOptions
// gives none.
const DefaultCallTTL = 30 * time.Second

// TransportOptions are the settings of an agent's RoundTripper.
type TransportOptions struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// PerCall narrows the token for each call to exactly its method and
	// path, for CallTTL (sdk.Agent.CallToken), so that a token leaked
	// from one call is worth one call's request, for seconds. It costs a
	// block and a signature per call.
	PerCall bool
	// CallTTL is the life of a per-call token; zero means DefaultCallTTL.
	CallTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Transport returns an http.RoundTripper that sends the agent's token
// with every request, in an Authorization: Bearer header; opts may be
// nil.
func Transport(a *sdk.Agent, opts *TransportOptions) http.RoundTripper {
	t := &transport{agent: a}
	if opts != nil {
		t.opts = *opts
	}
	if t.opts.Base == nil {
		t.opts.Base = http.DefaultTransport
	}
	if t.opts.CallTTL <= 0 {
		t.opts.CallTTL = DefaultCallTTL
	}
	if t.opts.Now == nil {
		t.opts.Now = time.Now
	}
	return t
}

type transport struct {
	agent *sdk.Agent
	opts  TransportOptions
}

var _ http.RoundTripper = (*transport)(nil)

// RoundTrip implements http.RoundTripper. It leaves the caller's request
// unchanged, as the interface requires, and sends a copy.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	var text string
	var err error
	if t.opts.PerCall {
		text, err = t.agent.CallToken(r.Method, r.URL.Path, t.opts.Now().Add(t.opts.CallTTL))
	} else {
		text, err = t.agent.Token()
	}
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("nethttp: %s %s: %w", r.Method, r.URL.Path, err)
	}
	out := r.Clone(r.Context())
	out.Header.Set("Authorization", "Bearer "+text)
	return t.opts.Base.RoundTrip(out)
}
