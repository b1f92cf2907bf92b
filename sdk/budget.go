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

// MemoryBudgets is a BudgetStore in memory. Each budget keeps the times
// of the calls it admitted within its period (at most Calls of them), so
// that no more than Calls calls are admitted in any window of Period:
// a sliding window, exact, with no burst at a window's edge. A budget
// whose last call is older than its period is forgotten, as it would
// admit as a fresh one does. When MaxKeys budgets are in use, a call
// under a budget not yet tracked is refused: the store fails closed
// rather than forget a live count. It is safe for concurrent use.
type MemoryBudgets struct {
	// MaxKeys bounds the tracked budgets; zero means DefaultMaxBudgetKeys.
	MaxKeys int

	mu    sync.Mutex
	logs  map[string]*callLog
	swept time.Time
}

// callLog is a ring of admission times, oldest first from start.
type callLog struct {
	times  []time.Time
	start  int
	n      int
	period time.Duration
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
	var wait time.Duration
	fresh := 0
	for _, b := range budgets {
		l := m.logs[b.Key]
		if l == nil {
			fresh++
			continue
		}
		l.expire(now)
		if l.n >= b.Calls {
			// The oldest call leaves the window at its time + period.
			wait = max(wait, l.times[l.start].Add(b.Period).Sub(now))
		}
	}
	if wait > 0 {
		return false, wait, nil
	}
	if len(m.logs)+fresh > maxKeys {
		return false, minPeriod(budgets), nil
	}
	for _, b := range budgets {
		l := m.logs[b.Key]
		if l == nil {
			l = &callLog{times: make([]time.Time, min(b.Calls, 16)), period: b.Period}
			m.logs[b.Key] = l
		}
		l.add(now, b.Calls)
	}
	return true, 0, nil
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
		if l.n == 0 || now.Sub(l.last()) >= l.period {
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
	for l.n > 0 && now.Sub(l.times[l.start]) >= l.period {
		l.start = (l.start + 1) % len(l.times)
		l.n--
	}
}

// add records a call, growing the ring up to limit entries.
func (l *callLog) add(now time.Time, limit int) {
	if l.n == len(l.times) {
		grown := make([]time.Time, min(max(2*len(l.times), 1), limit))
		for i := range l.n {
			grown[i] = l.times[(l.start+i)%len(l.times)]
		}
		l.times, l.start = grown, 0
	}
	l.times[(l.start+l.n)%len(l.times)] = now
	l.n++
}

func (l *callLog) last() time.Time {
	return l.times[(l.start+l.n-1)%len(l.times)]
}
