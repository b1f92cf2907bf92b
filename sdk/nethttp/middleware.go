package nethttp

import (
	"context"
	"net/http"

	"github.com/codios/codios/sdk"
)

// Options are the adapter's own settings, beside the guard's sdk.Config.
type Options struct {
	// Map turns a request into an Action; nil means MapMethod. An error
	// answers 400.
	Map func(*http.Request) (sdk.Action, error)
}

// MapMethod is the default request mapper: GET and HEAD read, POST, PUT
// and PATCH write, DELETE deletes; the resource is the request path.
// Other methods are refused.
func MapMethod(r *http.Request) (sdk.Action, error) { return sdk.MapOperation(r.Method, r.URL.Path) }

// Middleware authorizes every request to a service before its handler
// runs: an adapter of net/http over an sdk.Guard, which makes every
// decision. It is safe for concurrent use.
type Middleware struct {
	guard *sdk.Guard
	mapFn func(*http.Request) (sdk.Action, error)
}

// NewMiddleware checks the configuration and makes the guard, once; opts
// may be nil.
func NewMiddleware(cfg sdk.Config, opts *Options) (*Middleware, error) {
	g, err := sdk.NewGuard(cfg)
	if err != nil {
		return nil, err
	}
	m := &Middleware{guard: g, mapFn: MapMethod}
	if opts != nil && opts.Map != nil {
		m.mapFn = opts.Map
	}
	return m, nil
}

// Guard is the guard that makes the middleware's decisions.
func (m *Middleware) Guard() *sdk.Guard { return m.guard }

type contextKey struct{}

// FromContext returns the authorization of the request whose context
// this is: nil outside a handler the middleware wraps.
func FromContext(ctx context.Context) *sdk.Authorization {
	a, _ := ctx.Value(contextKey{}).(*sdk.Authorization)
	return a
}

// Wrap returns next behind the middleware.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := sdk.GuardRequest{
			Authorization: r.Header.Values("Authorization"),
			RequestID:     r.Header.Get("X-Request-Id"),
			Method:        r.Method,
			Path:          r.URL.Path,
			Host:          r.Host,
		}
		act, err := m.mapFn(r)
		if err != nil {
			req.MapError = err
		} else {
			req.Action = &act
		}
		v := m.guard.Check(r.Context(), &req)
		h := w.Header()
		for _, f := range v.Headers {
			h[f.Name] = append(h[f.Name], f.Value) // the names are canonical
		}
		if v.Auth == nil {
			w.WriteHeader(v.Status)
			_, _ = w.Write(v.Body) // the client may be gone; nothing to do
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, v.Auth)))
	})
}
