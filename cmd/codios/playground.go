package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/codios/codios/playground"
)

// defaultPolicies is the policy folder the playground offers when
// --policies is not given and it exists.
const defaultPolicies = "policies"

// runPlayground serves the playground until SIGINT or SIGTERM, then stops
// it cleanly: requests under way finish, for up to five seconds.
func runPlayground(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("playground")
	addr := fs.String("addr", "127.0.0.1:7007", "listen on `HOST:PORT`; port 0 picks a free one")
	policies := fs.String("policies", "", "offer the policy files and test cases under `DIR` (default: ./policies when it exists)")
	if _, code, done := parseFlags(fs, args, 0, stdout, stderr); done {
		return code
	}
	dir := *policies
	if !fs.Changed("policies") {
		if info, err := os.Stat(defaultPolicies); err == nil && info.IsDir() {
			dir = defaultPolicies
		}
	}
	h, err := playground.New(&playground.Options{PoliciesDir: dir})
	if err != nil {
		return fail(stderr, "playground", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "playground", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintf(stderr, "codios playground: warning: %s is not a loopback address: other machines can reach the playground\n", ip)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "Codios playground: http://%s/\n", ln.Addr())
	if dir != "" {
		fmt.Fprintf(stdout, "policy library: %s\n", dir)
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
	select {
	case err := <-served:
		return fail(stderr, "playground", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fail(stderr, "playground", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}
