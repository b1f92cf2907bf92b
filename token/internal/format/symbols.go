// Package format converts between Datalog programs and the Block messages
// of the wire: symbol tables, public key tables, terms, expressions and
// the block versions that Datalog features require.
package format

import (
	"errors"
	"fmt"

	"github.com/codios/codios/datalog"
)

// ErrFormat is matched by every decoding error of this package.
var ErrFormat = errors.New("token format")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// defaultSymbols are the strings every symbol table starts with, at
// indexes 0 to 27.
var defaultSymbols = [...]string{
	"read", "write", "resource", "operation", "right", "time", "role", "owner",
	"tenant", "namespace", "user", "team", "service", "admin", "email", "group",
	"member", "ip_address", "client", "client_ip", "domain", "path", "version",
	"cluster", "node", "hostname", "nonce", "query",
}

// symbolOffset is the index of the first symbol a token defines: 0 to 1023
// are reserved for the default symbols.
const symbolOffset = 1024

var defaultIDs = func() map[string]uint64 {
	m := make(map[string]uint64, len(defaultSymbols))
	for i, s := range defaultSymbols {
		m[s] = uint64(i)
	}
	return m
}()

// Symbols is a symbol table: the default symbols, then the symbols of a
// token's blocks in order.
type Symbols struct {
	strs []string // from symbolOffset
	ids  map[string]uint64
}

// NewSymbols returns a table holding only the default symbols.
func NewSymbols() *Symbols { return &Symbols{ids: map[string]uint64{}} }

// Len is the number of symbols beyond the defaults.
func (s *Symbols) Len() int { return len(s.strs) }

// Extend appends the symbols a block declares. A symbol the table already
// has is an error: each block declares only new ones.
func (s *Symbols) Extend(syms []string) error {
	for _, str := range syms {
		if _, ok := defaultIDs[str]; ok {
			return formatErr("block redeclares the default symbol %q", str)
		}
		if _, ok := s.ids[str]; ok {
			return formatErr("block redeclares the symbol %q", str)
		}
		s.ids[str] = uint64(symbolOffset + len(s.strs))
		s.strs = append(s.strs, str)
	}
	return nil
}

// Get returns symbol i.
func (s *Symbols) Get(i uint64) (string, error) {
	if i < uint64(len(defaultSymbols)) {
		return defaultSymbols[i], nil
	}
	if i >= symbolOffset && i-symbolOffset < uint64(len(s.strs)) {
		return s.strs[i-symbolOffset], nil
	}
	return "", formatErr("unknown symbol %d", i)
}

// Insert returns the index of str, appending it when it is new.
func (s *Symbols) Insert(str string) uint64 {
	if id, ok := defaultIDs[str]; ok {
		return id
	}
	if id, ok := s.ids[str]; ok {
		return id
	}
	id := uint64(symbolOffset + len(s.strs))
	s.ids[str] = id
	s.strs = append(s.strs, str)
	return id
}

// Since returns the symbols appended after the first n.
func (s *Symbols) Since(n int) []string { return append([]string(nil), s.strs[n:]...) }

// Clone returns an independent copy.
func (s *Symbols) Clone() *Symbols {
	c := &Symbols{strs: append([]string(nil), s.strs...), ids: make(map[string]uint64, len(s.ids))}
	for k, v := range s.ids {
		c.ids[k] = v
	}
	return c
}

// Keys is a table of the public keys named in trusting clauses.
type Keys struct {
	keys []datalog.PublicKey
}

// Len is the number of keys.
func (k *Keys) Len() int { return len(k.keys) }

// Extend appends the keys a block declares; a key the table has is an
// error.
func (k *Keys) Extend(keys []datalog.PublicKey) error {
	for _, key := range keys {
		if k.index(key) >= 0 {
			return formatErr("block redeclares the public key %s", key)
		}
		k.keys = append(k.keys, key)
	}
	return nil
}

func (k *Keys) index(key datalog.PublicKey) int {
	for i, x := range k.keys {
		if x.Equal(key) {
			return i
		}
	}
	return -1
}

// Get returns key i.
func (k *Keys) Get(i int64) (datalog.PublicKey, error) {
	if i < 0 || i >= int64(len(k.keys)) {
		return datalog.PublicKey{}, formatErr("unknown public key %d", i)
	}
	return k.keys[i], nil
}

// Insert returns the index of key, appending it when it is new.
func (k *Keys) Insert(key datalog.PublicKey) int64 {
	if i := k.index(key); i >= 0 {
		return int64(i)
	}
	k.keys = append(k.keys, key)
	return int64(len(k.keys) - 1)
}

// Since returns the keys appended after the first n.
func (k *Keys) Since(n int) []datalog.PublicKey {
	return append([]datalog.PublicKey(nil), k.keys[n:]...)
}

// Clone returns an independent copy.
func (k *Keys) Clone() *Keys { return &Keys{keys: append([]datalog.PublicKey(nil), k.keys...)} }
