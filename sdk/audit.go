package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
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
	// Policy is the matched policy's source, if one matched.
	Policy string `json:"policy,omitempty"`
	// FailedChecks are the checks that failed, with their blocks.
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

// AuditCheck is a failed check in an audit record.
type AuditCheck struct {
	// Block is the block the check belongs to; -1 for the service's
	// own checks.
	Block int `json:"block"`
	// Index is the check's place among its block's checks.
	Index int `json:"index"`
	// Agent is the agent that wrote the block: the one that delegated
	// the token, for a delegation block.
	Agent string `json:"agent,omitempty"`
	// Source is the check's Datalog.
	Source string `json:"source"`
}

// AuditSink receives every decision's record. An error fails the call
// closed (503): a decision that leaves no record is not made.
type AuditSink interface {
	Audit(ctx context.Context, rec *AuditRecord) error
}

// AuditFunc is a function as an AuditSink.
type AuditFunc func(ctx context.Context, rec *AuditRecord) error

// Audit calls f.
func (f AuditFunc) Audit(ctx context.Context, rec *AuditRecord) error { return f(ctx, rec) }

// DiscardAudit drops every record: for tests and benchmarks only.
var DiscardAudit AuditSink = AuditFunc(func(context.Context, *AuditRecord) error { return nil })

// SlogAudit writes records through a slog.Handler, as the message
// "authorization" with the record's fields as attributes. With a
// slog.JSONHandler each record is a line that ReadAudit reads back.
type SlogAudit struct {
	Handler slog.Handler
}

// Audit implements AuditSink.
func (s SlogAudit) Audit(ctx context.Context, rec *AuditRecord) error {
	r := slog.NewRecord(rec.Time, slog.LevelInfo, "authorization", 0)
	r.AddAttrs(
		slog.String("request_id", rec.RequestID),
		slog.String("service", rec.Service),
		slog.String("method", rec.Method),
		slog.String("path", rec.Path),
		slog.String("outcome", rec.Outcome),
		slog.Float64("latency_us", rec.LatencyMicros),
	)
	if rec.Reason != "" {
		r.AddAttrs(slog.String("reason", rec.Reason))
	}
	if rec.Policy != "" {
		r.AddAttrs(slog.String("policy", rec.Policy))
	}
	if len(rec.FailedChecks) > 0 {
		r.AddAttrs(slog.Any("failed_checks", rec.FailedChecks))
	}
	if rec.RootKeyID != nil {
		r.AddAttrs(slog.Uint64("root_key_id", uint64(*rec.RootKeyID)))
	}
	if rec.chainJSON != nil {
		r.AddAttrs(slog.Any("chain", rec.chainJSON))
	} else if len(rec.Chain) > 0 {
		r.AddAttrs(slog.Any("chain", rec.Chain))
	}
	return s.Handler.Handle(ctx, r)
}

// AuditFile is an audit log in a file: one JSON line a record, appended,
// in the form SlogAudit with a slog.JSONHandler writes (which ReadAudit
// reads). It writes the lines itself rather than through slog: that is a
// third of the middleware's own cost per call, and a record is always
// the same few fields. It is safe for concurrent use.
type AuditFile struct {
	mu   sync.Mutex
	file *os.File
	buf  []byte
}

// OpenAuditFile opens path for appending (creating it with mode 0600)
// and writes records to it as JSON lines.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sdk: audit log: %w", err)
	}
	return &AuditFile{file: f}, nil
}

// Audit implements AuditSink: one write of one line.
func (a *AuditFile) Audit(_ context.Context, rec *AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	line, err := appendAuditLine(a.buf[:0], rec)
	if err != nil {
		return err
	}
	a.buf = line
	if _, err := a.file.Write(line); err != nil {
		return fmt.Errorf("sdk: audit log: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditFile) Close() error { return a.file.Close() }

// appendAuditLine appends rec as SlogAudit writes it through a
// slog.JSONHandler: time, level and msg, then the record's fields.
func appendAuditLine(b []byte, rec *AuditRecord) ([]byte, error) {
	b = append(b, `{"time":"`...)
	b = rec.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"authorization"`...)
	for _, f := range []struct{ key, value string }{
		{"request_id", rec.RequestID}, {"service", rec.Service}, {"method", rec.Method},
		{"path", rec.Path}, {"outcome", rec.Outcome},
	} {
		b = appendJSONKey(b, f.key)
		b = appendJSONString(b, f.value)
	}
	b = appendJSONKey(b, "latency_us")
	b = strconv.AppendFloat(b, rec.LatencyMicros, 'f', -1, 64)
	if rec.Reason != "" {
		b = appendJSONString(appendJSONKey(b, "reason"), rec.Reason)
	}
	if rec.Policy != "" {
		b = appendJSONString(appendJSONKey(b, "policy"), rec.Policy)
	}
	if len(rec.FailedChecks) > 0 {
		checks, err := json.Marshal(rec.FailedChecks)
		if err != nil {
			return nil, err
		}
		b = append(appendJSONKey(b, "failed_checks"), checks...)
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

// appendJSONString appends s as a JSON string: printable ASCII directly,
// anything else (quotes, control characters, other UTF-8, invalid bytes)
// through encoding/json, which escapes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
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

// ReadAudit reads an audit log of JSON lines, as SlogAudit with a
// slog.JSONHandler writes it, and calls fn with each record in order.
// Lines that are not authorization records (msg other than
// "authorization") are skipped, so the log may be shared; a handler that
// renames slog's keys (ReplaceAttr, WithGroup) writes lines it does not
// recognize. A malformed record is an *AuditLineError; an error of fn
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
