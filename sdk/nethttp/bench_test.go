package nethttp

// Benchmarks of the middleware on the standard request (an authority block
// and three attenuation blocks, ../shared/bench/standard), beside the
// engine's own cost of the same token and facts, and a load test on
// loopback. They read the standard request's files from
// ../shared/bench/standard relative to the repository root, or from
// $CODIOS_BENCH, and skip when neither is there.
//
//	go test -run '^$' -bench . -benchmem -count 6 ./sdk/nethttp | tee new.txt
//	benchstat new.txt
//
// "What the middleware adds" is MiddlewareStandard/cached/audit=discard
// minus EngineCached/facts=request minus MiddlewareStandard/bare (the
// recorder and the handler). The load benchmarks report req/s and the
// p50/p99 latency of whole HTTP calls as the clients saw them, and
// (srv-) of the handler chain as the server timed it.
//
// Last measured 2026-11-25 (third session) on the 2-core EPYC, quiet,
// medians of 6; the second session's figures in brackets:
//
//	EngineCached/facts=request                4.0µs [18.2]
//	MiddlewareStandard/bare (recorder, handler) 1.7µs
//	  cached/audit=discard                    8.3µs [25.1]
//	  cached/audit=file (the default sink)    9.6µs [27.7]
//	  cached/audit=slog                      19.6µs [38.2]
//	LoadPaced at 1,000/s, srv-p50 / srv-p99, the range of six runs:
//	  bare        0.6-0.8 /  2-3µs
//	  spin       11.9-12.5 / 23-33µs
//	  engine     11.3-13.7 / 33-41µs  [37-44 / 235-275]
//	  middleware 21.0-26.4 / 68-89µs  [54-58 / 205-400]
//
// So the middleware adds about 4µs to the engine with its default audit
// file. At one call a millisecond every call starts with cold caches:
// spin, which only computes, runs as fast as in a hot loop, but code
// that reads and allocates memory takes 2-3 times as long (the engine's
// 4µs take 12). The middleware with its audit sink replaced by one that
// does nothing measured 18-19 / 49-61µs: formatting and writing the
// audit line before the handler runs costs 15-25µs of the p99.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// standardTime is the standard request's time: before every expiry of
// the standard token (2029-06-01).
var standardTime = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)

// standardPath is the request of the standard workload: GET of it maps
// to operation("read") and resource("/tmp/file1").
const standardPath = "/tmp/file1"

// standardRequest is the standard request's Datalog, read from its files.
type standardRequest struct {
	authority string
	hops      []string
	// policy is authorizer.datalog without its operation and resource
	// facts: the middleware gives those from the request.
	policy string
}

// loadStandard reads the standard request from $CODIOS_BENCH or
// ../shared/bench/standard relative to the repository root.
func loadStandard(tb testing.TB) *standardRequest {
	tb.Helper()
	dir := os.Getenv("CODIOS_BENCH")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "bench", "standard")
	}
	read := func(name string) string {
		src, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			tb.Skipf("standard request not found: %v (set CODIOS_BENCH to its directory)", err)
		}
		if err != nil {
			tb.Fatal(err)
		}
		return string(src)
	}
	s := &standardRequest{authority: read("authority.datalog")}
	for _, name := range []string{"hop1.datalog", "hop2.datalog", "hop3.datalog"} {
		s.hops = append(s.hops, read(name))
	}
	var policy []string
	for line := range strings.Lines(read("authorizer.datalog")) {
		switch strings.TrimSpace(line) {
		case `resource("/tmp/file1");`, `operation("read");`:
		default:
			policy = append(policy, line)
		}
	}
	s.policy = strings.Join(policy, "")
	return s
}

// token mints the standard token under root and returns its text, as an
// Authorization header carries it. Every call makes a different token:
// each block's next key is new.
func (s *standardRequest) token(tb testing.TB, root *token.PrivateKey) string {
	tb.Helper()
	block := func(src string) *datalog.Program {
		p, err := datalog.ParseBlock(src, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	tok, err := token.New(root, block(s.authority), nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, hop := range s.hops {
		if tok, err = tok.Append(block(hop), nil); err != nil {
			tb.Fatal(err)
		}
	}
	return base64.URLEncoding.EncodeToString(tok.Serialize())
}

// benchPolicyOptions give the policy a time limit of a minute, not
// datalog's default second. That limit is wall-clock time: on a busy
// machine, or with more runnable goroutines than cores as in the load
// benchmarks, an evaluation of 30µs is now and then descheduled for
// longer, and the call refused (503, MaxTime); under valgrind even a
// second is too short. The limit's value costs nothing either way.
var benchPolicyOptions = &token.AuthorizerOptions{Limits: datalog.Limits{MaxTime: time.Minute}}

// benchService is a service on the standard request: a root key, the
// policy, a middleware with a fixed clock, and the tokens to send.
type benchService struct {
	std    *standardRequest
	root   *token.PrivateKey
	policy *token.Authorizer
	mw     *Middleware
	tokens []string
	// cacheBytes sizes the token caches: none for fresh tokens.
	cacheBytes int
}

// newBenchService sets up the service with a cache of cacheSize tokens
// and ntokens distinct standard tokens. Tokens the cache cannot all hold
// are fresh on each call: no cache holds them (the token cache, the
// signature cache with its decoded blocks, the authorizer's worlds), so
// that each call verifies every signature and evaluates from scratch.
func newBenchService(tb testing.TB, audit sdk.AuditSink, cacheSize, ntokens int) *benchService {
	tb.Helper()
	fresh := cacheSize < ntokens
	opts := *benchPolicyOptions
	cacheBytes := sdk.DefaultCacheBytes
	if fresh {
		old := token.SetSignatureCacheSize(0)
		tb.Cleanup(func() { token.SetSignatureCacheSize(old) })
		opts.CachedWorlds = -1
		cacheBytes = 0
	}
	s := &benchService{std: loadStandard(tb), cacheBytes: cacheBytes}
	var err error
	if s.root, err = token.GenerateKey(token.Ed25519, nil); err != nil {
		tb.Fatal(err)
	}
	if s.policy, err = token.ParseAuthorizer(s.std.policy, nil, &opts); err != nil {
		tb.Fatal(err)
	}
	for range ntokens {
		s.tokens = append(s.tokens, s.std.token(tb, s.root))
	}
	s.mw, err = NewMiddleware(sdk.Config{
		Service:  "files",
		RootKeys: s.root.Public(),
		Policy:   s.policy,
		Cache:    token.NewCache(cacheBytes),
		Audit:    audit,
		Now:      func() time.Time { return standardTime },
	}, &Options{Map: MapMethod})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// writerAudit is a real audit sink that writes its JSON nowhere.
func writerAudit() sdk.AuditSink { return sdk.NewAuditWriter(io.Discard) }

// fileAudit is the default audit sink, an AuditFile, on /dev/null.
func fileAudit() sdk.AuditSink {
	f, err := sdk.OpenAuditFile(os.DevNull)
	if err != nil {
		panic(err)
	}
	return f
}

// okBody is what the service's handler answers.
var okBody = []byte("ok\n")

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Write(okBody)
})

// standardFacts are the facts the middleware gives the policy for GET
// standardPath on host "files.local", depth 3: the engine benchmarks
// authorize with the same. The last two are the standard request's own.
func standardFacts() []datalog.Fact {
	return []datalog.Fact{
		datalog.NewFact("method", datalog.String(http.MethodGet)),
		datalog.NewFact("path", datalog.String(standardPath)),
		datalog.NewFact("host", datalog.String("files.local")),
		datalog.NewFact("service", datalog.String("files")),
		datalog.NewFact("delegation_depth", datalog.Integer(3)),
		datalog.NewFact("operation", datalog.String("read")),
		datalog.NewFact("resource", datalog.String(standardPath)),
	}
}

func standardHTTPRequest(text string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://files.local"+standardPath, nil)
	if text != "" {
		r.Header.Set("Authorization", "Bearer "+text)
	}
	return r
}

// BenchmarkEngineCached is the engine's own cost of a repeated standard
// token: token.Cache.ParseText of its text and Authorize. facts=request
// gives the policy the middleware's request facts; facts=standard only
// the standard request's operation and resource, as token's
// BenchmarkStandardRequestCached does.
func BenchmarkEngineCached(b *testing.B) {
	b.Run("facts=request", func(b *testing.B) { benchEngine(b, 1024, 1, standardFacts()) })
	b.Run("facts=standard", func(b *testing.B) { benchEngine(b, 1024, 1, standardFacts()[5:]) })
}

// BenchmarkEngineFresh is the engine's cost of a token it has not seen:
// a cache of one token alternating two, so every call verifies the four
// signatures.
func BenchmarkEngineFresh(b *testing.B) {
	benchEngine(b, 1, 2, standardFacts())
}

func benchEngine(b *testing.B, cacheSize, ntokens int, facts []datalog.Fact) {
	s := newBenchService(b, sdk.DiscardAudit, cacheSize, ntokens)
	cache := token.NewCache(s.cacheBytes)
	req := &token.Request{Time: standardTime, Facts: facts}
	ctx := context.Background()
	pub := s.root.Public()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tok, err := cache.ParseText(s.tokens[i%len(s.tokens)], pub, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := s.policy.Authorize(ctx, tok, req)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
		i++
	}
}

// BenchmarkMiddlewareStandard is the standard request through
// Middleware.Wrap into an httptest.ResponseRecorder: no network. bare is
// the handler alone, with the same request and recorder; cached repeats
// one token; fresh alternates two tokens through a cache of one.
func BenchmarkMiddlewareStandard(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		r := standardHTTPRequest("")
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			benchHandler.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code, w.Body)
			}
		}
	})
	for _, tc := range []struct {
		name               string
		audit              func() sdk.AuditSink
		cacheSize, ntokens int
	}{
		{"cached/audit=discard", func() sdk.AuditSink { return sdk.DiscardAudit }, 1024, 1},
		{"cached/audit=writer", writerAudit, 1024, 1},
		{"cached/audit=file", fileAudit, 1024, 1},
		{"fresh/audit=discard", func() sdk.AuditSink { return sdk.DiscardAudit }, 1, 2},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newBenchService(b, tc.audit(), tc.cacheSize, tc.ntokens)
			h := s.mw.Wrap(benchHandler)
			var reqs []*http.Request
			for _, text := range s.tokens {
				reqs = append(reqs, standardHTTPRequest(text))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, reqs[i%len(reqs)])
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body)
				}
				i++
			}
		})
	}
}

// loadServer is a service on loopback: a bare handler, one behind the
// engine alone, or one behind the middleware with an audit log in JSON
// written nowhere. Every client sends the same standard token. The
// server times each call too, from the handler chain's start to its
// end: the decision and the handler, without the network and the HTTP
// server's own parsing.
type loadServer struct {
	srv    *httptest.Server
	url    string
	auth   string
	served latencies
	// refused is the reason of the last refusal the audit recorded.
	refused atomic.Pointer[string]
}

// The handlers of a load server.
const (
	handlerBare       = "bare"       // benchHandler alone
	handlerEngine     = "engine"     // the engine's own verify and authorize, then benchHandler
	handlerMiddleware = "middleware" // benchHandler behind the middleware
	// handlerSpin computes as long as the middleware's hot path takes
	// (about 12µs here), touching no memory, then runs benchHandler: the
	// latency any handler of that length gets from the machine.
	handlerSpin = "spin"
)

var loadHandlers = []string{handlerBare, handlerSpin, handlerEngine, handlerMiddleware}

// spinSteps multiply-adds take about as long as the middleware's hot path.
const spinSteps = 7000

var spinSink atomic.Uint64

func spin() {
	x := uint64(1)
	for range spinSteps {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink.Store(x)
}

func newLoadServer(tb testing.TB, handler string) *loadServer {
	tb.Helper()
	ls := &loadServer{}
	audit := fileAudit()
	s := newBenchService(tb, sdk.AuditFunc(func(ctx context.Context, rec *sdk.AuditRecord) error {
		if rec.Outcome != sdk.OutcomeAllow {
			reason := rec.Reason
			ls.refused.Store(&reason)
		}
		return audit.Audit(ctx, rec)
	}), 1024, 1)
	var h http.Handler
	switch handler {
	case handlerBare:
		h = benchHandler
	case handlerSpin:
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			spin()
			benchHandler.ServeHTTP(w, r)
		})
	case handlerEngine:
		h = engineHandler(s)
	case handlerMiddleware:
		h = s.mw.Wrap(benchHandler)
	default:
		panic("no handler " + handler)
	}
	ls.auth = "Bearer " + s.tokens[0]
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, r)
		ls.served.add(time.Since(t0))
	}))
	ls.url = ls.srv.URL + standardPath
	tb.Cleanup(ls.srv.Close)
	return ls
}

// engineHandler authorizes with the engine alone, as a service without
// the middleware would: the token from the header, token.Cache.ParseText,
// Authorize with the facts the middleware would give, then benchHandler.
func engineHandler(s *benchService) http.Handler {
	cache := token.NewCache(sdk.DefaultCacheBytes)
	pub := s.root.Public()
	facts := standardFacts()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		text, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, err := cache.ParseText(text, pub, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		d, err := s.policy.Authorize(r.Context(), tok, &token.Request{Time: standardTime, Facts: facts})
		if err != nil || !d.Allowed {
			http.Error(w, "denied", http.StatusForbidden)
			return
		}
		benchHandler.ServeHTTP(w, r)
	})
}

// loadClient is one agent: its own keep-alive connection.
type loadClient struct {
	ls *loadServer
	c  *http.Client
}

func (ls *loadServer) client() *loadClient {
	return &loadClient{ls: ls, c: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}}
}

// get sends the standard request, with the token unless anonymous, and
// returns the status, and the body unless it is 200.
func (lc *loadClient) get(anonymous bool) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, lc.ls.url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = "files.local"
	if !anonymous {
		req.Header.Set("Authorization", lc.ls.auth)
	}
	resp, err := lc.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return resp.StatusCode, string(body), err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, "", err
}

func (lc *loadClient) close() { lc.c.CloseIdleConnections() }

func TestLoadServerAuthorizes(t *testing.T) {
	for _, tc := range []struct {
		handler   string
		anonymous bool
		want      int
	}{
		{handlerMiddleware, false, http.StatusOK},
		{handlerMiddleware, true, http.StatusUnauthorized},
		{handlerEngine, false, http.StatusOK},
		{handlerEngine, true, http.StatusUnauthorized},
		{handlerBare, true, http.StatusOK},
	} {
		t.Run(fmt.Sprintf("handler=%s/anonymous=%v", tc.handler, tc.anonymous), func(t *testing.T) {
			lc := newLoadServer(t, tc.handler).client()
			defer lc.close()
			for range 3 { // the first call fills the cache, the next hit it
				status, body, err := lc.get(tc.anonymous)
				if err != nil {
					t.Fatal(err)
				}
				if status != tc.want {
					t.Fatalf("status %d, want %d: %s", status, tc.want, body)
				}
			}
		})
	}
}

// loadClients is the number of concurrent clients of BenchmarkLoad.
const loadClients = 8

// latencies collects the latency of each call of a load benchmark.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d ...time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) reset() {
	l.mu.Lock()
	l.all = l.all[:0]
	l.mu.Unlock()
}

// report reports the median and 99th percentile latency in µs, the units
// prefixed.
func (l *latencies) report(b *testing.B, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	q := func(p float64) float64 {
		return float64(l.all[int(p*float64(len(l.all)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(0.50), prefix+"p50-µs")
	b.ReportMetric(q(0.99), prefix+"p99-µs")
}

// failures counts the calls of a load benchmark that were not answered
// 200, and keeps the first one's error.
type failures struct {
	mu    sync.Mutex
	n     int
	first error
}

func (f *failures) check(status int, body string, err error) {
	if err == nil && status == http.StatusOK {
		return
	}
	if err == nil {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	f.mu.Lock()
	if f.n == 0 {
		f.first = err
	}
	f.n++
	f.mu.Unlock()
}

// fatal fails the benchmark if a call of n failed.
func (f *failures) fatal(b *testing.B, ls *loadServer, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n > 0 {
		reason := ""
		if r := ls.refused.Load(); r != nil {
			reason = *r
		}
		b.Fatalf("%d of %d calls failed, the first: %v; the audit's last reason: %q", f.n, n, f.first, reason)
	}
}

// reportLoad reports n calls in elapsed: calls per second, the latency
// of whole calls as clients saw them (p50-µs, p99-µs) and as the server
// timed its handler chain (srv-p50-µs, srv-p99-µs).
func reportLoad(b *testing.B, ls *loadServer, calls *latencies, n int, elapsed time.Duration) {
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	calls.report(b, "")
	ls.served.report(b, "srv-")
}

// BenchmarkLoad is a closed loop: loadClients clients on loopback, each
// sending its next request as soon as the last is answered, to each of
// the load server's handlers. Client and server share the machine's
// cores.
func BenchmarkLoad(b *testing.B) {
	for _, handler := range loadHandlers {
		b.Run("handler="+handler, func(b *testing.B) {
			ls := newLoadServer(b, handler)
			var (
				next   atomic.Int64
				failed failures
				lat    latencies
				wg     sync.WaitGroup
			)
			clients := make([]*loadClient, loadClients)
			for i := range clients {
				clients[i] = ls.client()
				defer clients[i].close()
				failed.check(clients[i].get(false))
			}
			ls.served.reset()
			b.ResetTimer()
			start := time.Now()
			for _, lc := range clients {
				wg.Go(func() {
					var mine []time.Duration
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						status, body, err := lc.get(false)
						mine = append(mine, time.Since(t0))
						failed.check(status, body, err)
					}
					lat.add(mine...)
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			failed.fatal(b, ls, b.N)
			reportLoad(b, ls, &lat, b.N, elapsed)
		})
	}
}

// pacedCalls is the least number of calls of BenchmarkLoadPaced: three
// seconds at pacedRate.
const (
	pacedRate  = 1000 // calls a second
	pacedCalls = 3 * pacedRate
)

// BenchmarkLoadPaced is an open loop at 1,000 calls a second: call i is
// sent at start + i ms whatever happened to the calls before it, to the
// first of loadClients clients that is free, and its latency counts from
// then, so that a stall counts against the calls queued behind it too.
// (Not from when it was due: the timer's own lateness under load is the
// benchmark's, not the service's.) It makes max(b.N, pacedCalls) calls, and reports
// ns/op, B/op and allocs/op per call (client's and server's together).
func BenchmarkLoadPaced(b *testing.B) {
	for _, handler := range loadHandlers {
		b.Run("handler="+handler, func(b *testing.B) {
			ls := newLoadServer(b, handler)
			n := max(b.N, pacedCalls)
			due := make(chan time.Time, n)
			var (
				failed failures
				lat    latencies
				wg     sync.WaitGroup
			)
			for range loadClients {
				lc := ls.client()
				defer lc.close()
				failed.check(lc.get(false))
				wg.Go(func() {
					var mine []time.Duration
					for t := range due {
						status, body, err := lc.get(false)
						mine = append(mine, time.Since(t))
						failed.check(status, body, err)
					}
					lat.add(mine...)
				})
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ls.served.reset()
			b.ResetTimer()
			start := time.Now()
			for i := range n {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / pacedRate)))
				due <- time.Now()
			}
			close(due)
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			failed.fatal(b, ls, n)
			reportLoad(b, ls, &lat, n, elapsed)
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B/op")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/op")
		})
	}
}
