package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/codios/codios/datalog"

	"github.com/spf13/pflag"
)

// fail reports err, bad input, and returns exitUsage: on one line, or
// for Datalog with several errors one line each (a parse stops at
// datalog's MaxParseErrors).
func fail(stderr io.Writer, cmd string, err error) int {
	var list datalog.ParseErrors
	if errors.As(err, &list) && len(list) > 1 {
		for _, e := range list {
			fmt.Fprintf(stderr, "codios %s: %s\n", cmd, firstLine(e.Error()))
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "codios %s: %s\n", cmd, errorLine(err))
	return exitUsage
}

// usageError reports a wrong use of the command fs is for, then its usage.
func usageError(stderr io.Writer, fs *pflag.FlagSet, msg string) int {
	fmt.Fprintf(stderr, "codios %s: %s\n", fs.Name(), msg)
	printCommandUsage(stderr, lookup(fs.Name()), fs)
	return exitUsage
}

// printJSON prints v as one indented JSON document.
func printJSON(stdout, stderr io.Writer, cmd string, v any) int {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fail(stderr, cmd, err)
	}
	stdout.Write(append(data, '\n'))
	return exitOK
}
