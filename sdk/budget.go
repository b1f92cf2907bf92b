package sdk

import (
	"sync"
	"time"
)

// BudgetStore counts the calls made under budgets. Take either admits a
// call under every budget given, counting it against each, or admits it
// under none and says how long until it would be admitted: a call counts
// against all of its chain's budgets or against none. budgets is shared
// by every call of a token: read it, do not modify or keep it.
//
// The in-memory store serves one process; a store shared by several
// instances of a service implements the same interface.
type BudgetStore interface {
	Take(now time.Time, budgets []BudgetKey) (ok bool, retryAfter time.Duration, err error)
}

var _ BudgetStore = (*MemoryBudgets)(nil)

// BudgetKey is one budget with the key its count is shared under: the
// revocation id of the block that declared it, in hex, and its place in
// the block ("<hex>/0"). Every token derived from that block shares the
// count.
type BudgetKey struct {
	Key string
	Budget
}

// DefaultMaxBudgetKeys bounds the budgets a MemoryBudgets tracks at once.
const DefaultMaxBudgetKeys = 100_000

// DefaultMaxBudgetBytes bounds the memory of a MemoryBudgets' counts.
const DefaultMaxBudgetBytes = 64 << 20

// budgetKeyBytes is what a tracked budget costs besides its key and its
// call times: its map entry, log and slice headers.
const budgetKeyBytes = 128

// MemoryBudgets is a BudgetStore in memory. Each budget keeps the times
// of the calls it admitted within its period (at most Calls of them), so
// that no more than Calls calls are admitted in any window of Period:
// a sliding window, exact, with no burst at a window's edge. A budget
// whose last call is older than its period is forgotten, as it would
// admit as a fresh one does. When MaxKeys budgets are in use, a call
// under a budget not yet tracked is refused: the store fails closed
// rather than forget a live count. Likewise when the counts would take
// more than MaxBytes: a budget keeps each admitted call's time (8 bytes)
// until it leaves the window, so a budget(100000, "24h") used to the full
// holds 800 KB for a day. It is safe for concurrent use.
type MemoryBudgets struct {
	// MaxKeys bounds the tracked budgets; zero means DefaultMaxBudgetKeys.
	MaxKeys int
	// MaxBytes bounds the memory of the counts; zero means
	// DefaultMaxBudgetBytes.
	MaxBytes int

	mu    sync.Mutex
	logs  map[string]*callLog
	bytes int // of every log, as logBytes counts it
	swept time.Time
}

// callLog is a ring of admission times in Unix nanoseconds, oldest first
// from start.
type callLog struct {
	times  []int64
	start  int
	n      int
	period time.Duration
}

// logBytes is the memory a budget's log takes: its key, its times and
// what holds them.
func logBytes(key string, l *callLog) int {
	return budgetKeyBytes + len(key) + 8*len(l.times)
}

// NewMemoryBudgets returns an empty in-memory budget store.
func NewMemoryBudgets() *MemoryBudgets { return &MemoryBudgets{} }

// Take implements BudgetStore.
func (m *MemoryBudgets) Take(now time.Time, budgets []BudgetKey) (bool, time.Duration, error) {
	if len(budgets) == 0 {
		return true, 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs == nil {
		m.logs = map[string]*callLog{}
	}
	m.sweep(now)
	maxKeys := m.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxBudgetKeys
	}
	maxBytes := m.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBudgetBytes
	}
	var wait time.Duration
	fresh, grow := 0, 0
	for _, b := range budgets {
		l := m.logs[b.Key]
		if l == nil {
			fresh++
			grow += budgetKeyBytes + len(b.Key) + 8*min(b.Calls, initialLogTimes)
			continue
		}
		l.expire(now)
		if l.n >= b.Calls {
			// The oldest call leaves the window at its time + period.
			wait = max(wait, time.Duration(l.times[l.start]+int64(b.Period)-now.UnixNano()))
		}
	}
	if wait > 0 {
		return false, wait, nil
	}
	for _, b := range budgets {
		if l := m.logs[b.Key]; l != nil && l.n == len(l.times) {
			grow += 8 * (l.grownLen(b.Calls) - len(l.times))
		}
	}
	if len(m.logs)+fresh > maxKeys || m.bytes+grow > maxBytes {
		return false, minPeriod(budgets), nil
	}
	for _, b := range budgets {
		l := m.logs[b.Key]
		if l == nil {
			l = &callLog{times: make([]int64, min(b.Calls, initialLogTimes)), period: b.Period}
			m.logs[b.Key] = l
			m.bytes += logBytes(b.Key, l)
		}
		before := len(l.times)
		l.add(now, b.Calls)
		m.bytes += 8 * (len(l.times) - before)
	}
	return true, 0, nil
}

// initialLogTimes is the room a new budget's log starts with.
const initialLogTimes = 16

// Bytes is the memory the counts take, as MaxBytes bounds it.
func (m *MemoryBudgets) Bytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Len is the number of budgets tracked.
func (m *MemoryBudgets) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.logs)
}

// sweep forgets the budgets with no call in their period, at most once a
// second, so that the map holds only live counts.
func (m *MemoryBudgets) sweep(now time.Time) {
	if now.Sub(m.swept) < time.Second {
		return
	}
	m.swept = now
	for k, l := range m.logs {
		if l.n == 0 || now.UnixNano()-l.last() >= int64(l.period) {
			m.bytes -= logBytes(k, l)
			delete(m.logs, k)
		}
	}
}

func minPeriod(budgets []BudgetKey) time.Duration {
	d := budgets[0].Period
	for _, b := range budgets[1:] {
		d = min(d, b.Period)
	}
	return d
}

// expire drops the calls that left the window.
func (l *callLog) expire(now time.Time) {
	for l.n > 0 && now.UnixNano()-l.times[l.start] >= int64(l.period) {
		l.start = (l.start + 1) % len(l.times)
		l.n--
	}
}

// grownLen is the room the ring takes once full, up to limit entries.
func (l *callLog) grownLen(limit int) int {
	return min(max(2*len(l.times), 1), limit)
}

// add records a call, growing the ring up to limit entries.
func (l *callLog) add(now time.Time, limit int) {
	if l.n == len(l.times) {
		grown := make([]int64, l.grownLen(limit))
		for i := range l.n {
			grown[i] = l.times[(l.start+i)%len(l.times)]
		}
		l.times, l.start = grown, 0
	}
	l.times[(l.start+l.n)%len(l.times)] = now.UnixNano()
	l.n++
}

func (l *callLog) last() int64 {
	return l.times[(l.start+l.n-1)%len(l.times)]
}
