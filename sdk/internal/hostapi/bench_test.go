package hostapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/codios/codios/sdk"
)

// BenchmarkGuardCheck is the C ABI's hot path without the boundary: the
// standard request's token, repeated. Guard is sdk.Guard.Check alone, for
// the cost of the JSON around it.
func BenchmarkGuardCheck(b *testing.B) {
	t := &testing.T{}
	tok, root := standard(t)
	h := call(t, "guard_new", map[string]any{"service": "files", "root_keys": []any{map[string]any{"key": root}},
		"policy": std(t, "authorizer.datalog"), "audit": map[string]any{"host": true}})["handle"].(float64)
	defer Release(uint64(h))
	req, _ := json.Marshal(map[string]any{"authorization": []string{"Bearer " + tok}, "request_id": "r1",
		"method": "GET", "path": "/tmp/file1", "time": "2026-12-04T10:00:00Z"})
	b.Run("JSON", func(b *testing.B) {
		for b.Loop() {
			if _, e := GuardCheck(uint64(h), req); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("Guard", func(b *testing.B) {
		v, _ := get(uint64(h))
		g := v.(*guard).g
		gr := &sdk.GuardRequest{Authorization: []string{"Bearer " + tok}, RequestID: "r1", Method: "GET",
			Path: "/tmp/file1", Time: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
		for b.Loop() {
			if v := g.Check(context.Background(), gr); v.Outcome != sdk.OutcomeAllow {
				b.Fatal(v.Outcome)
			}
		}
	})
}
