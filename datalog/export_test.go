package datalog

// Exports for the external tests (package datalog_test) only.

// Iterations is how many rounds the fixpoint took.
func (w *World) Iterations() int { return w.iterations }
