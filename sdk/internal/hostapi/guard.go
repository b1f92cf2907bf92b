package hostapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/sdk"
	"github.com/codios/codios/token"
)

// GuardConfig is guard_new's input (CONTRACT.md).
type GuardConfig struct {
	Service            string           `json:"service"`
	RootKeys           []RootKey        `json:"root_keys"`
	Policy             string           `json:"policy"`
	PolicyFile         string           `json:"policy_file,omitempty"`
	Params             map[string]Param `json:"params,omitempty"`
	Audit              AuditConfig      `json:"audit"`
	Revocations        *RevocationsConf `json:"revocations,omitempty"`
	Leeway             string           `json:"leeway,omitempty"`
	ExposeFailedChecks bool             `json:"expose_failed_checks,omitempty"`
	CacheBytes         int              `json:"cache_bytes,omitempty"`
	Limits             *LimitsConf      `json:"limits,omitempty"`
}

// LimitsConf bounds the tokens a guard accepts; a zero or missing field
// keeps token.DefaultLimits' value.
type LimitsConf struct {
	MaxTokenBytes int `json:"max_token_bytes,omitempty"`
	MaxBlocks     int `json:"max_blocks,omitempty"`
}

// RootKey is a root key and its optional id.
type RootKey struct {
	Key string  `json:"key"`
	ID  *uint32 `json:"id,omitempty"`
}

// AuditConfig chooses the audit sink: a file, or the host (which writes
// the verdict's audit record itself).
type AuditConfig struct {
	File string `json:"file,omitempty"`
	Host bool   `json:"host,omitempty"`
}

// RevocationsConf lists revoked ids, or names a revocation file.
type RevocationsConf struct {
	IDs    []string `json:"ids,omitempty"`
	File   string   `json:"file,omitempty"`
	MaxAge string   `json:"max_age,omitempty"`
}

// HandleOut is a new object's handle.
type HandleOut struct {
	Handle uint64 `json:"handle"`
}

type guard struct {
	g         *sdk.Guard
	audit     *sdk.AuditFile
	lastChain atomic.Pointer[chainMemo]
}

func (g *guard) Close() error {
	if g.audit != nil {
		return g.audit.Close()
	}
	return nil
}

// GuardNew makes a guard and returns its handle.
func GuardNew(in *GuardConfig) (HandleOut, *Error) {
	cfg, audit, e := Config(in)
	if e != nil {
		return HandleOut{}, e
	}
	g := &guard{audit: audit}
	var err error
	if g.g, err = sdk.NewGuard(cfg); err != nil {
		g.Close()
		return HandleOut{}, classify(err, BadArgument)
	}
	return HandleOut{put(g)}, nil
}

// Config is the guard configuration in, as sdk.Config: what guard_new
// makes its guard of, and what the corpus gives the net/http middleware
// so that both hosts decide from one configuration. The audit file, if
// one is named, is opened, and the caller closes it.
func Config(in *GuardConfig) (cfg sdk.Config, audit *sdk.AuditFile, e *Error) {
	cfg.Service = in.Service
	switch {
	case len(in.RootKeys) == 0:
		return cfg, nil, errorf(BadArgument, "hostapi: root_keys is required")
	case len(in.RootKeys) == 1 && in.RootKeys[0].ID == nil:
		k, e := publicKey(in.RootKeys[0].Key)
		if e != nil {
			return cfg, nil, e
		}
		cfg.RootKeys = k
	default:
		set := token.KeySet{Keys: map[uint32]token.PublicKey{}}
		for _, rk := range in.RootKeys {
			k, e := publicKey(rk.Key)
			if e != nil {
				return cfg, nil, e
			}
			if rk.ID == nil {
				if set.Default != nil {
					return cfg, nil, errorf(BadArgument, "hostapi: two root keys without id")
				}
				set.Default = &k
				continue
			}
			set.Keys[*rk.ID] = k
		}
		cfg.RootKeys = set
	}
	pol, err := token.ParseAuthorizer(in.Policy, params(in.Params), &token.AuthorizerOptions{Filename: in.PolicyFile})
	if err != nil {
		return cfg, nil, classify(err, Parse)
	}
	cfg.Policy = pol
	if in.Leeway != "" {
		if cfg.Leeway, err = time.ParseDuration(in.Leeway); err != nil {
			return cfg, nil, errorf(BadArgument, "hostapi: leeway: %v", err)
		}
	}
	cfg.ExposeFailedChecks = in.ExposeFailedChecks
	if in.CacheBytes > 0 {
		cfg.Cache = token.NewCache(in.CacheBytes)
	}
	if r := in.Revocations; r != nil {
		switch {
		case r.File != "" && len(r.IDs) > 0:
			return cfg, nil, errorf(BadArgument, "hostapi: revocations: ids or file, not both")
		case r.File != "":
			var age time.Duration
			if r.MaxAge != "" {
				if age, err = time.ParseDuration(r.MaxAge); err != nil {
					return cfg, nil, errorf(BadArgument, "hostapi: revocations.max_age: %v", err)
				}
			}
			f, err := sdk.OpenRevocationFile(r.File, age)
			if err != nil {
				return cfg, nil, classify(err, IO)
			}
			cfg.Revocations = f
		default:
			set := sdk.RevocationSet{}
			for _, id := range r.IDs {
				b, err := hexBytes(id)
				if err != nil {
					return cfg, nil, errorf(BadArgument, "hostapi: revocations.ids: %v", err)
				}
				set[string(b)] = struct{}{}
			}
			cfg.Revocations = set
		}
	}
	if l := in.Limits; l != nil {
		lim := token.DefaultLimits()
		if l.MaxTokenBytes < 0 || l.MaxBlocks < 0 {
			return cfg, nil, errorf(BadArgument, "hostapi: limits: limits must not be negative")
		}
		if l.MaxTokenBytes > 0 {
			lim.MaxTokenBytes = l.MaxTokenBytes
		}
		if l.MaxBlocks > 0 {
			lim.Datalog.MaxBlocks = l.MaxBlocks
		}
		cfg.Limits = &lim
	}
	switch a := in.Audit; {
	case a.File != "" && a.Host:
		return cfg, nil, errorf(BadArgument, "hostapi: audit: file or host, not both")
	case a.File != "":
		f, err := sdk.OpenAuditFile(a.File)
		if err != nil {
			return cfg, nil, classify(err, IO)
		}
		audit, cfg.Audit = f, f
	case a.Host:
		// The verdict carries the record; the host writes it.
		cfg.Audit = sdk.AuditFunc(func(context.Context, *sdk.AuditRecord) error { return nil })
	default:
		return cfg, nil, errorf(BadArgument, `hostapi: audit is required: {"file": path} or {"host": true}`)
	}
	return cfg, audit, nil
}

// GuardRequest is guard_check's request (CONTRACT.md).
type GuardRequest struct {
	Authorization []string `json:"authorization,omitempty"`
	RequestID     string   `json:"request_id,omitempty"`
	Method        string   `json:"method"`
	Path          string   `json:"path"`
	Host          string   `json:"host,omitempty"`
	Time          string   `json:"time,omitempty"`
	Operation     *string  `json:"operation,omitempty"`
	Resource      *string  `json:"resource,omitempty"`
	Facts         []string `json:"facts,omitempty"`
	MapError      string   `json:"map_error,omitempty"`
}

// VerdictOut is guard_check's result; its field order is the contract's.
type VerdictOut struct {
	Outcome string          `json:"outcome"`
	Status  int             `json:"status"`
	Headers [][2]string     `json:"headers"`
	Body    json.RawMessage `json:"body"`
	Audit   json.RawMessage `json:"audit"`
	Chain   []sdk.Hop       `json:"chain"`
}

type guardCheckIn struct {
	Guard   uint64          `json:"guard"`
	Request json.RawMessage `json:"request"`
}

// Request is a guard_check request as the guard's: the one reading of
// its time, its host-mapped action and facts, and its map error, which the
// corpus also gives the net/http middleware.
func Request(in *GuardRequest) (*sdk.GuardRequest, *Error) {
	gr := &sdk.GuardRequest{Authorization: in.Authorization, RequestID: in.RequestID,
		Method: in.Method, Path: in.Path, Host: in.Host}
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Time)
		if err != nil {
			return nil, errorf(BadArgument, "hostapi: time: %v", err)
		}
		gr.Time = t
	}
	if in.MapError != "" {
		gr.MapError = errors.New(in.MapError)
	}
	if in.Operation != nil || in.Resource != nil || len(in.Facts) > 0 {
		act, err := sdk.MapOperation(in.Method, in.Path)
		if err != nil && (in.Operation == nil || in.Resource == nil) {
			if gr.MapError == nil {
				gr.MapError = err
			}
		}
		if in.Operation != nil {
			act.Operation = *in.Operation
		}
		if in.Resource != nil {
			act.Resource = *in.Resource
		}
		for _, src := range in.Facts {
			f, err := datalog.ParseFact(src, &datalog.ParseOptions{Filename: "facts"})
			if err != nil {
				return nil, classify(err, Parse)
			}
			act.Facts = append(act.Facts, f)
		}
		gr.Action = &act
	}
	return gr, nil
}

func guardCheckOp(in []byte) ([]byte, *Error) {
	var x guardCheckIn
	if e := decode(in, &x); e != nil {
		return nil, e
	}
	return guardCheck(x.Guard, x.Request)
}

// GuardCheck decides one request with the guard of handle h: the hot
// path, with the handle apart from the request's JSON. It never panics.
func GuardCheck(h uint64, req []byte) (out []byte, e *Error) {
	defer recoverInto(&out, &e)
	return guardCheck(h, req)
}

func guardCheck(h uint64, req []byte) ([]byte, *Error) {
	v, e := get(h)
	if e != nil {
		return nil, e
	}
	g, ok := v.(*guard)
	if !ok {
		return nil, errorf(NotFound, "hostapi: handle %d is not a guard", h)
	}
	var in GuardRequest
	if e := decodeRequest(req, &in); e != nil {
		return nil, e
	}
	gr, e := Request(&in)
	if e != nil {
		return nil, e
	}
	vd := g.g.Check(context.Background(), gr)
	rec, err := vd.Record.MarshalJSON()
	if err != nil {
		return nil, classify(err, Internal)
	}
	chain := []byte("[]")
	switch {
	case vd.Auth != nil && vd.Auth.Chain != nil:
		if chain, err = g.chainJSON(vd.Auth); err != nil {
			return nil, classify(err, Internal)
		}
	case len(vd.Record.Chain) > 0:
		// A refused token that verified: its chain says whose block it was.
		if chain, err = json.Marshal(vd.Record.Chain); err != nil {
			return nil, classify(err, Internal)
		}
	}
	return appendVerdict(make([]byte, 0, 64+len(rec)+len(vd.Body)+len(chain)), &vd, rec, chain), nil
}

// chainJSON is the chain's JSON, remembered for the last token: the
// chain is the token's, and a repeated token is the common case.
func (g *guard) chainJSON(a *sdk.Authorization) ([]byte, error) {
	if m := g.lastChain.Load(); m != nil && m.tok == a.Token {
		return m.json, nil
	}
	b, err := json.Marshal(a.Chain)
	if err != nil {
		return nil, err
	}
	g.lastChain.Store(&chainMemo{a.Token, b})
	return b, nil
}

type chainMemo struct {
	tok  *token.Token
	json []byte
}

// appendVerdict encodes the verdict as VerdictOut, by hand: reflection
// and the compaction of the audit record cost more than the guard's
// decision. TestVerdictEncoding holds it equal to json.Marshal.
func appendVerdict(b []byte, vd *sdk.Verdict, rec, chain []byte) []byte {
	b = append(b, `{"outcome":`...)
	b = appendString(b, vd.Outcome)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(vd.Status), 10)
	b = append(b, `,"headers":[`...)
	for i, h := range vd.Headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, h.Name)
		b = append(b, ',')
		b = appendString(b, h.Value)
		b = append(b, ']')
	}
	b = append(b, `],"body":`...)
	if body := bytes.TrimRight(vd.Body, "\n"); len(body) > 0 {
		b = append(b, body...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"audit":`...)
	b = append(b, rec...)
	b = append(b, `,"chain":`...)
	b = append(b, chain...)
	return append(b, '}')
}

// appendString appends s as json.Marshal encodes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }
