package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
	"github.com/spf13/pflag"
)

// paramsDoc explains --param, for the commands that take it.
const paramsDoc = "A --param name=value binds the {name} parameter of the Datalog. The value is\n" +
	"typed by its syntax: a key text (ed25519/<hex>) is a public key for a trusting\n" +
	"clause, a Datalog term (42, true, 2026-01-01T00:00:00Z, hex:0a1b, \"quoted\",\n" +
	"[1, 2]) is that term, and anything else is a string. name:type=value forces\n" +
	"the type: string, integer, date (RFC 3339), bytes (hex), bool or pubkey (a key\n" +
	"text or a file holding one)."

// paramFlag adds the --param flag to fs.
func paramFlag(fs *pflag.FlagSet) *[]string {
	return fs.StringArray("param", nil, "bind a Datalog `name=value` parameter (repeatable)")
}

// parseParams parses --param values into Datalog parameters.
func parseParams(list []string) (datalog.Params, error) {
	if len(list) == 0 {
		return nil, nil
	}
	params := datalog.Params{}
	for _, p := range list {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--param %q: want name=value or name:type=value", p)
		}
		name, typ, typed := strings.Cut(name, ":")
		if name == "" {
			return nil, fmt.Errorf("--param %q: empty name", p)
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("--param %q: %s is bound twice", p, name)
		}
		var v datalog.Param
		var err error
		if typed {
			v, err = typedParam(typ, value)
		} else {
			v = untypedParam(value)
		}
		if err != nil {
			return nil, fmt.Errorf("--param %q: %w", p, err)
		}
		params[name] = v
	}
	return params, nil
}

func untypedParam(value string) datalog.Param {
	if k, err := token.ParsePublicKey(value); err == nil {
		return k.Datalog()
	}
	if t, err := datalog.ParseTerm(value, nil); err == nil {
		return t
	}
	return datalog.String(value)
}

func typedParam(typ, value string) (datalog.Param, error) {
	switch typ {
	case "string":
		return datalog.String(value), nil
	case "integer", "int":
		i, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("not an integer: %w", err)
		}
		return datalog.Integer(i), nil
	case "date":
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return nil, fmt.Errorf("not an RFC 3339 date: %w", err)
		}
		if t.Unix() < 0 {
			return nil, fmt.Errorf("dates before 1970-01-01T00:00:00Z cannot be represented")
		}
		return datalog.DateOf(t), nil
	case "bytes":
		b, err := hex.DecodeString(strings.TrimPrefix(value, "hex:"))
		if err != nil {
			return nil, fmt.Errorf("not hex bytes: %w", err)
		}
		return datalog.Bytes(b), nil
	case "bool", "boolean":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return nil, fmt.Errorf("not a boolean: %w", err)
		}
		return datalog.Bool(b), nil
	case "pubkey":
		k, err := loadPublicKey(value)
		if err != nil {
			return nil, err
		}
		return k.Datalog(), nil
	}
	return nil, fmt.Errorf("unknown type %q: want string, integer, date, bytes, bool or pubkey", typ)
}
