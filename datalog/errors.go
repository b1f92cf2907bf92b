package datalog

import (
	"errors"
	"fmt"
	"strings"
)

// ParseError is one syntax or safety error in source text, at a line and a
// column (both from 1; the column counts characters, not bytes).
type ParseError struct {
	Filename string
	Line     int
	Col      int
	Msg      string
	// Excerpt is the source line the error is on, for the caret display.
	Excerpt string
}

// Error prints file:line:col: message, then the line and a caret under the
// column.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Filename != "" {
		b.WriteString(e.Filename)
		b.WriteByte(':')
	}
	fmt.Fprintf(&b, "%d:%d: %s", e.Line, e.Col, e.Msg)
	if e.Excerpt != "" {
		excerpt, col := excerptWindow(e.Excerpt, e.Col)
		b.WriteString("\n\t")
		b.WriteString(excerpt)
		b.WriteString("\n\t")
		// Keep tabs so that the caret lines up under the column.
		n := 0
		for _, r := range excerpt {
			if n >= col-1 {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
			n++
		}
		b.WriteByte('^')
	}
	return b.String()
}

// excerptHalfWidth is how many characters of a long source line an error
// shows on each side of its column.
const excerptHalfWidth = 60

// excerptWindow cuts a long line to the characters around col, marking the
// cuts with "...", and returns the column within the cut line.
func excerptWindow(line string, col int) (string, int) {
	runes := []rune(line)
	if len(runes) <= 2*excerptHalfWidth {
		return line, col
	}
	start := max(0, col-1-excerptHalfWidth)
	end := min(len(runes), col-1+excerptHalfWidth)
	out := string(runes[start:end])
	if start > 0 {
		out = "..." + out
		col = col - start + 3
	}
	if end < len(runes) {
		out += "..."
	}
	return out, col
}

// Is makes errors.Is(err, ErrSyntax) true for every parse error.
func (e *ParseError) Is(target error) bool { return target == ErrSyntax }

// ParseErrors is every error found in one source, in order, at most
// [Limits.MaxParseErrors] of them.
type ParseErrors []*ParseError

func (l ParseErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, so that errors.As finds the first *ParseError.
func (l ParseErrors) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// ErrSyntax is matched by every [ParseError].
var ErrSyntax = errors.New("datalog: syntax error")

// Errors of evaluation. Each aborts the evaluation it happens in: the
// specification makes an expression that fails an error, not a false.
var (
	ErrInvalidType      = errors.New("datalog: invalid type")
	ErrOverflow         = errors.New("datalog: integer overflow")
	ErrDivideByZero     = errors.New("datalog: division by zero")
	ErrInvalidStack     = errors.New("datalog: malformed expression")
	ErrShadowedVariable = errors.New("datalog: closure parameter shadows a variable")
	ErrUnknownVariable  = errors.New("datalog: unbound variable")
	ErrUndefinedExtern  = errors.New("datalog: undefined extern function")
	ErrExtern           = errors.New("datalog: extern function failed")
	// ErrInvalidBlockRule is a rule whose head has a variable that no body
	// predicate binds; a parser rejects it, a decoded token may carry it.
	ErrInvalidBlockRule = errors.New("datalog: rule head variable not bound by its body")
)

// ErrLimit is matched by every [LimitError].
var ErrLimit = errors.New("datalog: limit exceeded")

// Sentinels of the limits a caller may treat apart, each matched by the
// [LimitError] of its kind (and by ErrLimit). A step limit is the cost of
// the input, the same on every machine; a time limit is the machine's.
var (
	ErrStepLimit = errors.New("datalog: step limit exceeded")
	ErrTimeLimit = errors.New("datalog: time limit exceeded")
)

// LimitKind names the limit a [LimitError] is about.
type LimitKind uint8

const (
	LimitSourceBytes LimitKind = iota + 1 // Limits.MaxSourceBytes
	LimitDepth                            // Limits.MaxDepth
	LimitBlocks                           // Limits.MaxBlocks
	LimitFacts                            // Limits.MaxFacts
	LimitIterations                       // Limits.MaxIterations
	LimitSteps                            // Limits.MaxSteps
	LimitTime                             // Limits.MaxTime
	LimitRegexpBytes                      // Limits.MaxRegexpBytes
	LimitValueBytes                       // Limits.MaxValueBytes
	// LimitTokenBytes is the size of a serialized token, which package
	// token bounds and reports with a LimitError too.
	LimitTokenBytes
)

var limitNames = [...]string{
	LimitSourceBytes: "MaxSourceBytes",
	LimitDepth:       "MaxDepth",
	LimitBlocks:      "MaxBlocks",
	LimitFacts:       "MaxFacts",
	LimitIterations:  "MaxIterations",
	LimitSteps:       "MaxSteps",
	LimitTime:        "MaxTime",
	LimitRegexpBytes: "MaxRegexpBytes",
	LimitValueBytes:  "MaxValueBytes",
	LimitTokenBytes:  "MaxTokenBytes",
}

// String returns the name of the limit's field, such as "MaxSteps".
func (k LimitKind) String() string {
	if int(k) < len(limitNames) && limitNames[k] != "" {
		return limitNames[k]
	}
	return fmt.Sprintf("LimitKind(%d)", k)
}

// LimitError says which limit was exceeded.
type LimitError struct {
	Kind LimitKind
	Max  int64 // the limit's value (nanoseconds for MaxTime)
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("datalog: limit exceeded: %s (%d)", e.Kind, e.Max)
}

// Is matches ErrLimit, and ErrStepLimit or ErrTimeLimit by kind.
func (e *LimitError) Is(target error) bool {
	switch target {
	case ErrLimit:
		return true
	case ErrStepLimit:
		return e.Kind == LimitSteps
	case ErrTimeLimit:
		return e.Kind == LimitTime
	}
	return false
}

// RuleError places an evaluation error: which block (or the authorizer)
// and which rule, check or policy, with its source text.
type RuleError struct {
	Block  BlockID
	What   string // "rule", "check", "policy" or "query"
	Index  int
	Source string
	Err    error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("%s %d of %s: %s: %v", e.What, e.Index, e.Block, e.Source, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }
