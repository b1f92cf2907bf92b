package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/codios/codios/internal/decisionjson"
)

// Outcomes of a call, as an AuditRecord names them.
const (
	OutcomeAllow      = "allow"       // authorized; the handler ran
	OutcomeDeny       = "deny"        // the policy or a block's check denied it (403)
	OutcomeInvalid    = "invalid"     // no token, or one that does not verify (401)
	OutcomeRevoked    = "revoked"     // a block of the token is revoked (403)
	OutcomeOverBudget = "over_budget" // a budget of the chain is spent (429)
	OutcomeBadRequest = "bad_request" // a request the service cannot map (400)
	OutcomeError      = "error"       // evaluation failed or a limit was hit (403), or the revocation list is stale (503)
)

// AuditRecord is the record of one decision. Its JSON form is one line
// of the audit log.
type AuditRecord struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Service   string    `json:"service"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// Reason says why a call was not allowed, for people: the error, or
	// the revoked block.
	Reason string `json:"reason,omitempty"`
	// Policy is the matched policy, if one matched.
	Policy *AuditPolicy `json:"policy,omitempty"`
	// FailedChecks are the checks that failed, with their blocks and the
	// agents that wrote them.
	FailedChecks []AuditCheck `json:"failed_checks,omitempty"`
	// LatencyMicros is the time the middleware took to decide.
	LatencyMicros float64 `json:"latency_us"`
	// RootKeyID is the root key id the token names, if any.
	RootKeyID *uint32 `json:"root_key_id,omitempty"`
	// Chain is the token's delegation chain, authority block first: empty
	// when the token did not verify.
	Chain []Hop `json:"chain,omitempty"`

	chainJSON json.RawMessage // Chain encoded, when the middleware has it already
}

// AuditPolicy is the matched policy in an audit record: its index among
// the service's policies, its kind ("allow" or "deny") and its source.
// It is the policy of a decision's one JSON form, which
// "codios authorize --json" and the playground print too.
type AuditPolicy = decisionjson.Policy

// AuditCheck is a failed check in an audit record: its block (-1 for the
// service's own checks), its index among the block's checks, the agent
// that wrote the block (the one that delegated the token, for a
// delegation block) and its source. It is the failed check of a
// decision's one JSON form.
type AuditCheck = decisionjson.Check

// AuditSink receives every decision's record. An error fails the call
// closed (503): a decision that leaves no record is not made. The record
// shares its policy and chain with other records: read it, do not modify
// it.
type AuditSink interface {
	Audit(ctx context.Context, rec *AuditRecord) error
}

// AuditFunc is a function as an AuditSink.
type AuditFunc func(ctx context.Context, rec *AuditRecord) error

// Audit calls f.
func (f AuditFunc) Audit(ctx context.Context, rec *AuditRecord) error { return f(ctx, rec) }

var (
	_ AuditSink = AuditFunc(nil)
	_ AuditSink = (*AuditWriter)(nil)
	_ AuditSink = (*AuditFile)(nil)
)

// DiscardAudit drops every record: for tests and benchmarks only.
var DiscardAudit AuditSink = AuditFunc(func(context.Context, *AuditRecord) error { return nil })

// AuditWriter writes records to an io.Writer as JSON lines, one Write a
// record: a file (OpenAuditFile), standard output for a log collector. A
// line is what a slog.JSONHandler writes for the message "authorization"
// with the record's fields as attributes, so that an audit log may be
// shared with the service's slog output; ReadAudit reads it back. The
// lines are written by hand rather than through slog: that is a third of
// the middleware's own cost per call, and a record is always the same
// few fields. It is safe for concurrent use.
type AuditWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewAuditWriter returns a sink that writes records to w.
func NewAuditWriter(w io.Writer) *AuditWriter { return &AuditWriter{w: w} }

// Audit implements AuditSink: one write of one line.
func (a *AuditWriter) Audit(_ context.Context, rec *AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	line, err := appendAuditLine(a.buf[:0], rec)
	if err != nil {
		return err
	}
	a.buf = line
	if _, err := a.w.Write(line); err != nil {
		return fmt.Errorf("sdk: audit log: %w", err)
	}
	return nil
}

// AuditFile is an audit log in a file, appended to.
type AuditFile struct {
	AuditWriter
	file *os.File
}

// OpenAuditFile opens path for appending (creating it with mode 0600)
// and writes records to it as JSON lines.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sdk: audit log: %w", err)
	}
	return &AuditFile{AuditWriter: AuditWriter{w: f}, file: f}, nil
}

// Close closes the file.
func (a *AuditFile) Close() error { return a.file.Close() }

// appendAuditLine appends rec as a slog.JSONHandler writes it: time,
// level and msg, then the record's fields. It is the only encoder of an
// audit line.
func appendAuditLine(b []byte, rec *AuditRecord) ([]byte, error) {
	b = append(b, `{"time":"`...)
	b = rec.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"authorization"`...)
	for _, f := range []struct{ key, value string }{
		{"request_id", rec.RequestID}, {"service", rec.Service}, {"method", rec.Method},
		{"path", rec.Path}, {"outcome", rec.Outcome},
	} {
		b = appendJSONKey(b, f.key)
		b = decisionjson.AppendString(b, f.value)
	}
	b = appendJSONKey(b, "latency_us")
	b = strconv.AppendFloat(b, rec.LatencyMicros, 'f', -1, 64)
	if rec.Reason != "" {
		b = decisionjson.AppendString(appendJSONKey(b, "reason"), rec.Reason)
	}
	if rec.Policy != nil {
		b = rec.Policy.AppendJSON(appendJSONKey(b, "policy"))
	}
	if len(rec.FailedChecks) > 0 {
		b = decisionjson.AppendChecks(appendJSONKey(b, "failed_checks"), rec.FailedChecks)
	}
	if rec.RootKeyID != nil {
		b = strconv.AppendUint(appendJSONKey(b, "root_key_id"), uint64(*rec.RootKeyID), 10)
	}
	chain := rec.chainJSON
	if chain == nil && len(rec.Chain) > 0 {
		var err error
		if chain, err = json.Marshal(rec.Chain); err != nil {
			return nil, err
		}
	}
	if chain != nil {
		b = append(appendJSONKey(b, "chain"), chain...)
	}
	return append(b, "}\n"...), nil
}

func appendJSONKey(b []byte, key string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// MaxAuditLine bounds one line of an audit log when it is read back.
const MaxAuditLine = 1 << 20

// AuditLineError is a line of an audit log that ReadAudit cannot read:
// not JSON, or longer than MaxAuditLine (Err is bufio.ErrTooLong).
type AuditLineError struct {
	Line int // from 1
	Err  error
}

func (e *AuditLineError) Error() string {
	return fmt.Sprintf("sdk: audit log line %d: %v", e.Line, e.Err)
}

func (e *AuditLineError) Unwrap() error { return e.Err }

// ReadAudit reads an audit log of JSON lines, as an AuditWriter writes
// them, and calls fn with each record in order. Lines that are not
// authorization records (msg other than "authorization") are skipped, so
// the log may be shared with the service's slog output. A record of an
// older log, whose policy was its source alone, reads with the policy's
// Index -1. A malformed record is an *AuditLineError; an error of fn
// stops the reading and is returned as it is.
func ReadAudit(r io.Reader, fn func(*AuditRecord) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, MaxAuditLine)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec struct {
			Msg string `json:"msg"`
			AuditRecord
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return &AuditLineError{Line: line, Err: err}
		}
		if rec.Msg != "authorization" {
			continue
		}
		if err := fn(&rec.AuditRecord); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &AuditLineError{Line: line + 1, Err: err}
	}
	return nil
}
