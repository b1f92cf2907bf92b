//go:build !unix

package token

import "testing"

// cpuMetric reports nothing where the process's CPU time is not at hand.
func cpuMetric(*testing.B) func() { return func() {} }
