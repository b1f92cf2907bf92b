// Package nethttp puts the Codios guard and agents on net/http: a
// middleware that authorizes every request before its handler runs, and
// an http.RoundTripper that sends an agent's token with every call.
//
// # Services
//
// [NewMiddleware] takes the guard's sdk.Config and the adapter's own
// [Options]: how a request becomes an sdk.Action (Options.Map; by
// default [MapMethod], the method's operation on the request path).
// [Middleware.Wrap] describes each request to the sdk.Guard (its
// Authorization header values, X-Request-Id, method, path and host, and
// the mapped action) and copies the verdict onto the response: the
// status, the headers and the JSON body of a refusal. It decides nothing itself, so a service
// behind it answers exactly as the C ABI and the WebAssembly build do
// for the same request. An allowed request runs the handler with its
// sdk.Authorization in the context: [FromContext].
//
// # Agents
//
// [Transport] wraps an http.RoundTripper to send an sdk.Agent's token in
// an Authorization: Bearer header, or, with TransportOptions.PerCall, a
// token narrowed to that call's method and path for a few seconds
// (sdk.Agent.CallToken).
//
// # Why a package of its own
//
// Package sdk is the host-neutral core, linked by the C ABI and the
// WebAssembly build; net/http brings TLS, X.509 and the network stack
// with it, several megabytes in a WebAssembly module. So the adapter
// lives here, and only programs that serve or call over net/http link
// it.
package nethttp
