package token

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/codios/codios/datalog"
)

// TestSaturatedDecisions runs the standard request from 8 goroutines at
// once, with the default limits, as a busy server would on two cores: the
// decisions must not depend on the load. Evaluation is bounded by counted
// steps first, so no decision is a limit error; the wall-clock backstop is
// far enough not to fire (scripts/test runs this under -race).
func TestSaturatedDecisions(t *testing.T) {
	const clients, decisions = 8, 200
	root := mustKey(t, Ed25519)
	data := standardToken(t, root).Serialize()
	// Distinct tokens too, each authorized from scratch: a repeated token
	// is decided from its kept world, with little evaluation left to time.
	fleet := standardFleet(t, root, 64)
	a, err := ParseAuthorizer(standardPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewCache(DefaultCacheBytes)
	var limited, denied, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range decisions {
				var d *Decision
				var err error
				if i%2 == 0 {
					d, err = decideStandard(cache, a, data, root.Public())
				} else {
					d, err = decideStandard(nil, a, fleet[i/2%len(fleet)], root.Public())
				}
				switch {
				case errors.Is(err, datalog.ErrLimit):
					limited.Add(1)
				case err != nil:
					failed.Add(1)
					once.Do(func() { firstErr = err })
				case !d.Allowed:
					denied.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if limited.Load() != 0 || denied.Load() != 0 || failed.Load() != 0 {
		t.Errorf("of %d decisions: %d limit errors, %d denials, %d other errors (first: %v)",
			clients*decisions, limited.Load(), denied.Load(), failed.Load(), firstErr)
	}
}

// decideStandard is the standard request as a server makes it: the
// token's bytes (through cache, if not nil), then a decision.
func decideStandard(cache *Cache, a *Authorizer, data []byte, root PublicKey) (*Decision, error) {
	parse := Parse
	if cache != nil {
		parse = cache.Parse
	}
	tok, err := parse(data, root, nil)
	if err != nil {
		return nil, err
	}
	return a.Authorize(context.Background(), tok, &Request{Time: requestTime})
}
