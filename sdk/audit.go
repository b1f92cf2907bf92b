package sdk

import (
	"bufio"
	"bytes"
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
	// LatencyMicros is the time the guard took to decide.
	LatencyMicros float64 `json:"latency_us"`
	// RootKeyID is the root key id the token names, if any.
	RootKeyID *uint32 `json:"root_key_id,omitempty"`
	// Chain is the token's delegation chain, authority block first: empty
	// when the token did not verify.
	Chain []Hop `json:"chain,omitempty"`

	chainJSON json.RawMessage // Chain encoded, when the guard has it already
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
// the guard's own cost per call, and a record is always the same
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

// AuditFile is an audit log in a file, appended to. A write that fails
// (a full disk, say) is undone: the file is cut back to the end of the
// last whole record, so that the next record does not end up glued to
// half of one, and the call fails (the guard then answers 503).
// If even cutting it back fails, every record is refused until it
// succeeds. A file found ending in half a line, left by a crash, gets a
// newline before the first record, so that the damage stays on its own
// line; ReadAudit reports such lines and reads on.
type AuditFile struct {
	mu   sync.Mutex
	file *os.File
	buf  []byte
	// end is the size of the file up to its last whole record.
	end int64
	// cut is set when a failed write could not be undone yet.
	cut bool
	// newline is set when the file ended in half a line when opened.
	newline bool
}

var _ AuditSink = (*AuditFile)(nil)

// OpenAuditFile opens path for appending (creating it with mode 0600)
// and writes records to it as JSON lines.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sdk: audit log: %w", err)
	}
	a := &AuditFile{file: f}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sdk: audit log: %w", err)
	}
	a.end = st.Size()
	if a.end > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, a.end-1); err != nil {
			f.Close()
			return nil, fmt.Errorf("sdk: audit log: %w", err)
		}
		a.newline = last[0] != '\n'
	}
	return a, nil
}

// Audit implements AuditSink: one write of one line, undone if it fails.
func (a *AuditFile) Audit(_ context.Context, rec *AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cut {
		if err := a.file.Truncate(a.end); err != nil {
			return fmt.Errorf("sdk: audit log: still cutting back a failed write: %w", err)
		}
		a.cut = false
	}
	b := a.buf[:0]
	if a.newline {
		b = append(b, '\n')
	}
	line, err := appendAuditLine(b, rec)
	if err != nil {
		return err
	}
	a.buf = line
	n, err := a.file.Write(line)
	if err != nil {
		if n > 0 {
			if terr := a.file.Truncate(a.end); terr != nil {
				a.cut = true
			}
		}
		return fmt.Errorf("sdk: audit log: %w", err)
	}
	a.end += int64(n)
	a.newline = false
	return nil
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

// MarshalJSON encodes the record as its audit line's JSON object, the one
// form of a record in every language: the Python and TypeScript SDKs
// receive these bytes from the engine.
func (rec *AuditRecord) MarshalJSON() ([]byte, error) {
	line, err := appendAuditLine(nil, rec)
	if err != nil {
		return nil, err
	}
	return line[:len(line)-1], nil
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

// maxDamagedLines bounds the damaged lines an AuditDamageError lists.
const maxDamagedLines = 100

// AuditDamageError lists the lines of an audit log that ReadAudit skipped,
// the first maxDamagedLines of them, and counts them all.
type AuditDamageError struct {
	Lines []*AuditLineError
	Count int
}

func (e *AuditDamageError) Error() string {
	if e.Count == 1 {
		return e.Lines[0].Error()
	}
	return fmt.Sprintf("sdk: audit log: %d damaged lines, the first at line %d: %v", e.Count, e.Lines[0].Line, e.Lines[0].Err)
}

// Unwrap gives the damaged lines to errors.As and errors.Is.
func (e *AuditDamageError) Unwrap() []error {
	errs := make([]error, len(e.Lines))
	for i, l := range e.Lines {
		errs[i] = l
	}
	return errs
}

// ReadAudit reads an audit log of JSON lines, as an AuditWriter writes
// them, and calls fn with each record in order. Lines that are not
// authorization records (msg other than "authorization") are skipped, so
// the log may be shared with the service's slog output. A record of an
// older log, whose policy was its source alone, reads with the policy's
// Index -1. A damaged line (not a record, or longer than MaxAuditLine) is
// skipped and reading goes on: once every other record is read, the
// damaged lines are returned as an *AuditDamageError. An error of fn, or
// of r, stops the reading and is returned as it is.
func ReadAudit(r io.Reader, fn func(*AuditRecord) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var damage AuditDamageError
	damaged := func(line int, err error) {
		damage.Count++
		if len(damage.Lines) < maxDamagedLines {
			damage.Lines = append(damage.Lines, &AuditLineError{Line: line, Err: err})
		}
	}
	var buf []byte
	for line := 1; ; line++ {
		text, tooLong, err := readAuditLine(br, &buf)
		if err != nil && err != io.EOF {
			return err
		}
		switch {
		case tooLong:
			damaged(line, bufio.ErrTooLong)
		case len(bytes.TrimSpace(text)) > 0:
			var rec struct {
				Msg string `json:"msg"`
				AuditRecord
			}
			if jerr := json.Unmarshal(text, &rec); jerr != nil {
				damaged(line, jerr)
			} else if rec.Msg == "authorization" {
				if ferr := fn(&rec.AuditRecord); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if damage.Count > 0 {
		return &damage
	}
	return nil
}

// readAuditLine reads one line into buf, without its newline. A line
// longer than MaxAuditLine is read through and dropped: tooLong, and no
// text. At the end of the input it returns io.EOF with the last line.
func readAuditLine(br *bufio.Reader, buf *[]byte) (text []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > MaxAuditLine+1 {
				tooLong, *buf = true, (*buf)[:0]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			if tooLong {
				return nil, true, nil
			}
			return bytes.TrimSuffix(*buf, []byte("\n")), false, nil
		default:
			if tooLong {
				return nil, true, err
			}
			return *buf, false, err
		}
	}
}
