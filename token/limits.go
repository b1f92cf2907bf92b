package token

import "github.com/codios/codios/datalog"

// Limits bounds what a token from the network may cost. The zero value of
// a field means its default (see [DefaultLimits]).
type Limits struct {
	// MaxTokenBytes bounds a serialized token (base64 text: its decoding).
	MaxTokenBytes int
	// Datalog bounds the blocks of a token (MaxBlocks, the authority block
	// included, checked before any block is decoded and when one is
	// appended) and the nesting of decoded terms and expressions
	// (MaxDepth). Evaluation takes the Authorizer's limits.
	Datalog datalog.Limits
}

// DefaultLimits returns the limits used where a field of [Limits] is
// zero: 256 KiB of token and datalog's defaults, among them 64 blocks.
func DefaultLimits() Limits {
	return Limits{MaxTokenBytes: 256 << 10, Datalog: datalog.DefaultLimits()}
}

func (l Limits) withDefaults() Limits {
	if l.MaxTokenBytes <= 0 {
		l.MaxTokenBytes = DefaultLimits().MaxTokenBytes
	}
	l.Datalog = l.Datalog.WithDefaults()
	return l
}

func limitErr(kind datalog.LimitKind, max int) error {
	return &datalog.LimitError{Kind: kind, Max: int64(max)}
}
