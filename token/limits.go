package token

import "github.com/codios/codios/datalog"

// Limits bounds what a token from the network may cost. The zero value of
// a field means its default.
type Limits struct {
	// MaxTokenBytes bounds a serialized token (base64 text: its decoding).
	MaxTokenBytes int
	// MaxBlocks bounds the blocks of a token, the authority block included.
	MaxBlocks int
	// Datalog bounds decoding (nesting) and evaluation.
	Datalog datalog.Limits
}

// DefaultLimits are the limits used where a field is zero.
var DefaultLimits = Limits{
	MaxTokenBytes: 256 << 10,
	MaxBlocks:     64,
}

func (l Limits) withDefaults() Limits {
	if l.MaxTokenBytes <= 0 {
		l.MaxTokenBytes = DefaultLimits.MaxTokenBytes
	}
	if l.MaxBlocks <= 0 {
		l.MaxBlocks = DefaultLimits.MaxBlocks
	}
	if l.MaxBlocks > datalog.MaxBlocks {
		l.MaxBlocks = datalog.MaxBlocks
	}
	if l.Datalog.MaxDepth <= 0 {
		l.Datalog.MaxDepth = datalog.DefaultLimits.MaxDepth
	}
	return l
}

func limitErr(name string, max int) error {
	return &datalog.LimitError{Limit: name, Max: int64(max)}
}
