package datalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/codios/codios/internal/samples"
)

func loadSamplesFile() (*samples.File, string, error) { return samples.Load() }

func loadSamples(t testing.TB) *samples.File {
	t.Helper()
	f, _, err := samples.Load()
	if errors.Is(err, samples.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPrintSamples parses every block of every sample and prints it back:
// the text must be the reference's, character for character.
func TestPrintSamples(t *testing.T) {
	f := loadSamples(t)
	for _, tc := range f.TestCases {
		t.Run(tc.Filename, func(t *testing.T) {
			for i, b := range tc.Token {
				prog, err := ParseBlock(b.Code, nil)
				if tc.Filename == "test018_unbound_variables_in_rule.bc" && i == 1 {
					// The sample carries an unsafe rule on purpose: the parser
					// must refuse it, and print it when told to read it.
					var pe *ParseError
					if !errors.As(err, &pe) || pe.Line != 1 || pe.Col != 11 {
						t.Fatalf("block %d: want an unsafe-rule error at 1:11, got %v", i, err)
					}
					prog, err = parseUnsafe(b.Code)
				}
				if err != nil {
					t.Fatalf("block %d: %v", i, err)
				}
				if got := prog.String(); got != b.Code {
					t.Errorf("block %d printed\n%s\nwant\n%s", i, got, b.Code)
				}
			}
			for name, v := range tc.Validations {
				prog, err := ParseAuthorizer(v.AuthorizerCode, nil)
				if err != nil {
					t.Fatalf("validation %q: %v", name, err)
				}
				if got := prog.authorizerString(); got != v.AuthorizerCode {
					t.Errorf("validation %q authorizer printed\n%s\nwant\n%s", name, got, v.AuthorizerCode)
				}
				if v.World == nil {
					continue
				}
				for _, group := range v.World.Facts {
					for _, src := range group.Facts {
						roundTrip(t, src, func(s string) (string, error) {
							f, err := ParseFact(s, nil)
							return f.String(), err
						})
					}
				}
				for _, group := range v.World.Rules {
					for _, src := range group.Rules {
						roundTrip(t, src, func(s string) (string, error) {
							r, err := ParseRule(s, nil)
							return r.String(), err
						})
					}
				}
				for _, group := range v.World.Checks {
					for _, src := range group.Checks {
						roundTrip(t, src, func(s string) (string, error) {
							c, err := ParseCheck(s, nil)
							return c.String(), err
						})
					}
				}
				for _, src := range v.World.Policies {
					roundTrip(t, src, func(s string) (string, error) {
						p, err := ParsePolicy(s, nil)
						return p.String(), err
					})
				}
			}
		})
	}
}

func roundTrip(t *testing.T, src string, parsePrint func(string) (string, error)) {
	t.Helper()
	got, err := parsePrint(src)
	if err != nil {
		t.Errorf("parsing %q: %v", src, err)
		return
	}
	if got != src {
		t.Errorf("printed %q, want %q", got, src)
	}
}

// parseUnsafe parses a block without the rule safety check.
func parseUnsafe(src string) (*Program, error) {
	p, err := newParser(src, nil)
	if err != nil {
		return nil, err
	}
	p.unsafeRules = true
	return p.program(false)
}

// authorizerString prints an authorizer as the samples of the
// specification do: facts, rules, checks and policies in groups separated
// by an empty line.
func (p *Program) authorizerString() string {
	var groups []string
	for _, group := range p.groups() {
		if len(group) > 0 {
			groups = append(groups, strings.Join(group, ";\n")+";\n")
		}
	}
	return strings.Join(groups, "\n")
}
