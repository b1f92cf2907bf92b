package playground

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/internal/decisionjson"
	"github.com/codios/codios/internal/explain"
	"github.com/codios/codios/token"
)

// The kinds of source the editors hold.
const (
	kindBlock      = "block"
	kindAuthorizer = "authorizer"
	kindRequest    = "request" // facts only
)

type parseRequest struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`
}

type parseResponse struct {
	Diagnostics []diagnostic `json:"diagnostics"`
}

// parse answers with the syntax errors of one editor's source, none when
// it parses.
func (s *server) parse(_ *http.Request, in *parseRequest) (*parseResponse, error) {
	_, err := s.program(in.Kind, "", in.Source)
	var e *apiError
	if errors.As(err, &e) && e.Code == "syntax" {
		return &parseResponse{Diagnostics: e.Diagnostics}, nil
	}
	if err != nil {
		return nil, err
	}
	return &parseResponse{Diagnostics: []diagnostic{}}, nil
}

// agentName is a name the page may give an agent: a Datalog parameter
// name that is not a value (true, false, null).
var agentName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// paramRef finds the {name} parameters of a source that can be agents.
var paramRef = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9_]{0,31})\}`)

// agentParams binds each {name} parameter that the source spells to the
// public key of the agent called name. A {name} inside a string or a
// comment is bound too, and the parser then says it is unused.
func (s *server) agentParams(src string) datalog.Params {
	var params datalog.Params
	for _, m := range paramRef.FindAllStringSubmatch(src, -1) {
		name := m[1]
		if name == "true" || name == "false" || name == "null" {
			continue
		}
		if params == nil {
			params = datalog.Params{}
		}
		params[name] = s.agentKey(name).Public().Datalog()
	}
	return params
}

// program parses the source of one editor, of a kind, named editor in
// diagnostics. A syntax error is an apiError with code "syntax".
func (s *server) program(kind, editor, src string) (*datalog.Program, error) {
	if len(src) > s.limits.MaxSourceBytes {
		return nil, syntaxErrors([]diagnostic{{Editor: editor, Line: 1, Col: 1, Message: fmt.Sprintf("the source is over %d bytes", s.limits.MaxSourceBytes)}})
	}
	opts := &datalog.ParseOptions{Params: s.agentParams(src)}
	var p *datalog.Program
	var err error
	switch kind {
	case kindBlock, kindRequest:
		p, err = datalog.ParseBlock(src, opts)
	case kindAuthorizer:
		p, err = datalog.ParseAuthorizer(src, opts)
	default:
		return nil, &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf("unknown kind %q: want block, authorizer or request", kind)}
	}
	if err == nil && kind == kindRequest && len(p.Rules)+len(p.Checks)+len(p.Scopes) > 0 {
		err = &datalog.ParseError{Line: 1, Col: 1, Msg: "the request holds facts only"}
	}
	if err != nil {
		return nil, syntaxError(editor, err)
	}
	return p, nil
}

// syntaxError turns a parse error of one editor into diagnostics. An
// error without a position (a limit) is put at 1:1.
func syntaxError(editor string, err error) *apiError {
	var list datalog.ParseErrors
	var one *datalog.ParseError
	var diags []diagnostic
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			diags = append(diags, diagnostic{Editor: editor, Line: e.Line, Col: e.Col, Message: e.Msg})
		}
	case errors.As(err, &one):
		diags = []diagnostic{{Editor: editor, Line: one.Line, Col: one.Col, Message: one.Msg}}
	default:
		diags = []diagnostic{{Editor: editor, Line: 1, Col: 1, Message: err.Error()}}
	}
	return syntaxErrors(diags)
}

// syntaxErrors is the error of one or more editors' diagnostics; its
// message is the first.
func syntaxErrors(diags []diagnostic) *apiError {
	d := diags[0]
	msg := d.Message
	if d.Editor != "" {
		msg = fmt.Sprintf("%s:%d:%d: %s", d.Editor, d.Line, d.Col, msg)
	}
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "syntax", Message: msg, Diagnostics: diags}
}

// authorizeRequest is the page's state: either blocks to mint a token
// from, or a pasted token and its root key; and the service's side.
type authorizeRequest struct {
	Authority string       `json:"authority"`
	Blocks    []blockInput `json:"blocks"`
	// Token and RootKey, when Token is set, replace the blocks.
	Token   string `json:"token"`
	RootKey string `json:"root_key"`

	Authorizer string `json:"authorizer"`
	Request    string `json:"request"` // facts
	Time       string `json:"time"`    // RFC 3339; empty for no time fact
}

type blockInput struct {
	Source string `json:"source"`
	// Holder names the agent that appends the block, for the path.
	Holder string `json:"holder"`
	// ThirdParty names the agent that signs it, for a third-party block.
	ThirdParty string `json:"third_party"`
}

type authorizeResponse struct {
	Token      *tokenView             `json:"token"`
	Authorizer []line                 `json:"authorizer"`
	Decision   *decisionjson.Decision `json:"decision"`
	World      []factGroup            `json:"world"`
	Agents     []agent                `json:"agents"`
}

type tokenView struct {
	Text    string      `json:"text"`
	Bytes   int         `json:"bytes"`
	RootKey string      `json:"root_key"`
	Sealed  bool        `json:"sealed"`
	Blocks  []blockView `json:"blocks"`
}

type blockView struct {
	Index        int    `json:"index"`
	Label        string `json:"label"` // who the path shows: issuer, an agent
	Signer       string `json:"signer"`
	ExternalKey  string `json:"external_key,omitempty"`
	Version      string `json:"version"`
	RevocationID string `json:"revocation_id"`
	Lines        []line `json:"lines"`
}

// line is one statement of a canonical program. Check and Policy give the
// statement's index among its program's checks or policies, so that the
// page can mark a failed check or the matched policy.
type line struct {
	Text   string `json:"text"`
	Check  *int   `json:"check,omitempty"`
	Policy *int   `json:"policy,omitempty"`
}

type factGroup struct {
	Origin []string `json:"origin"`
	Facts  []string `json:"facts"`
}

type agent struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// authorize mints or verifies the token, then authorizes the request.
func (s *server) authorize(r *http.Request, in *authorizeRequest) (*authorizeResponse, error) {
	var diags []diagnostic
	// collect parses one editor, keeping its syntax errors so that every
	// editor's are reported at once.
	collect := func(kind, editor, src string) *datalog.Program {
		p, err := s.program(kind, editor, src)
		var e *apiError
		if errors.As(err, &e) && e.Code == "syntax" {
			diags = append(diags, e.Diagnostics...)
			return nil
		}
		return p
	}
	authorizer := collect(kindAuthorizer, "authorizer", in.Authorizer)
	reqFacts := collect(kindRequest, "request", in.Request)
	var blocks []*datalog.Program
	if in.Token == "" {
		if len(in.Blocks) > s.limits.MaxBlocks {
			return nil, &apiError{Status: http.StatusUnprocessableEntity, Code: "limit", Message: fmt.Sprintf("%d blocks after the authority: at most %d", len(in.Blocks), s.limits.MaxBlocks)}
		}
		blocks = append(blocks, collect(kindBlock, "authority", in.Authority))
		for i, b := range in.Blocks {
			blocks = append(blocks, collect(kindBlock, fmt.Sprintf("block %d", i+1), b.Source))
			if b.ThirdParty != "" && !agentName.MatchString(b.ThirdParty) {
				return nil, invalid("agent", fmt.Errorf("block %d: agent name %q: want a letter then letters, digits or _ (at most 32)", i+1, b.ThirdParty))
			}
		}
	}
	if len(diags) > 0 {
		return nil, syntaxErrors(diags)
	}
	req := &token.Request{Facts: reqFacts.Facts}
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339, in.Time)
		if err != nil {
			return nil, invalid("time", fmt.Errorf("time: want RFC 3339, such as 2026-01-02T15:04:05Z: %w", err))
		}
		if t.Unix() < 0 {
			// Datalog dates count seconds from 1970 as an unsigned number.
			return nil, invalid("time", fmt.Errorf("time: %s is before 1970-01-01T00:00:00Z, which Datalog dates cannot hold", in.Time))
		}
		req.Time = t
	}

	var tok *token.Token
	var labels []string
	var root token.PublicKey
	var err error
	if in.Token != "" {
		tok, root, err = s.pasted(in.Token, in.RootKey)
	} else {
		root = s.rootKey().Public()
		tok, labels, err = s.mint(blocks, in.Blocks)
	}
	if err != nil {
		return nil, err
	}
	a, err := token.NewAuthorizer(authorizer, nil)
	if err != nil {
		return nil, invalid("evaluation", err)
	}
	req.Explain = true
	d, err := a.Authorize(r.Context(), tok, req)
	if err != nil {
		return nil, invalid("evaluation", err)
	}
	view, err := viewToken(tok, labels)
	if err != nil {
		return nil, err
	}
	view.RootKey = root.String()
	out := &authorizeResponse{
		Token:      view,
		Authorizer: lines(authorizer),
		Decision:   viewDecision(d, tok, labels, blocks),
		World:      []factGroup{},
		Agents:     s.agents(in),
	}
	for _, g := range d.Facts {
		fg := factGroup{Origin: []string{}, Facts: []string{}}
		for _, o := range g.Origin {
			fg.Origin = append(fg.Origin, o.String())
		}
		for _, f := range g.Facts {
			fg.Facts = append(fg.Facts, f.String())
		}
		out.World = append(out.World, fg)
	}
	return out, nil
}

// mint signs the authority block with the root key and appends the
// others, a third-party block through the request its agent signs. It
// returns the label of each block in the delegation path.
func (s *server) mint(blocks []*datalog.Program, inputs []blockInput) (*token.Token, []string, error) {
	tok, err := token.New(s.rootKey(), blocks[0], nil)
	if err != nil {
		return nil, nil, invalid("token", fmt.Errorf("authority: %w", err))
	}
	labels := []string{"issuer"}
	for i, b := range inputs {
		p := blocks[i+1]
		label := b.Holder
		if label == "" {
			label = fmt.Sprintf("agent %d", i+1)
		}
		if b.ThirdParty == "" {
			tok, err = tok.Append(p, nil)
		} else {
			label = b.ThirdParty
			tok, err = s.appendThirdParty(tok, b.ThirdParty, p)
		}
		if err != nil {
			return nil, nil, invalid("token", fmt.Errorf("block %d: %w", i+1, err))
		}
		labels = append(labels, label)
	}
	return tok, labels, nil
}

// appendThirdParty has the agent called name sign p for tok, as a third
// party does: from the token's request, without seeing the token.
func (s *server) appendThirdParty(tok *token.Token, name string, p *datalog.Program) (*token.Token, error) {
	req, err := tok.ThirdPartyRequest()
	if err != nil {
		return nil, err
	}
	signed, err := req.Sign(s.agentKey(name), p)
	if err != nil {
		return nil, err
	}
	return tok.AppendThirdParty(signed, nil)
}

// pasted verifies a pasted token with its root key.
func (s *server) pasted(text, rootKey string) (*token.Token, token.PublicKey, error) {
	root, err := token.ParsePublicKey(strings.TrimSpace(rootKey))
	if err != nil {
		return nil, root, invalid("root_key", fmt.Errorf("root key: %w", err))
	}
	tok, err := token.ParseText(strings.TrimSpace(text), root, &token.Limits{MaxTokenBytes: s.limits.MaxTokenBytes})
	switch {
	case errors.Is(err, token.ErrInvalidSignature):
		return nil, root, invalid("invalid_signature", fmt.Errorf("the token does not verify with this root key: %w", err))
	case err != nil:
		return nil, root, invalid("token", err)
	}
	return tok, root, nil
}

// agents lists the agents the state names, with their public keys: the
// signers of third-party blocks and the {name} parameters of every editor.
func (s *server) agents(in *authorizeRequest) []agent {
	var names []string
	sources := []string{in.Authorizer, in.Request}
	if in.Token == "" {
		sources = append(sources, in.Authority)
		for _, b := range in.Blocks {
			sources = append(sources, b.Source)
			if b.ThirdParty != "" {
				names = append(names, b.ThirdParty)
			}
		}
	}
	for _, src := range sources {
		for name := range s.agentParams(src) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := []agent{}
	for _, n := range slices.Compact(names) {
		out = append(out, agent{Name: n, PublicKey: s.agentKey(n).Public().String()})
	}
	return out
}

func viewToken(tok *token.Token, labels []string) (*tokenView, error) {
	data := tok.Serialize()
	v := &tokenView{Text: tok.String(), Bytes: len(data), Sealed: tok.Sealed()}
	for i, b := range tok.Blocks() {
		label := fmt.Sprintf("block %d", i)
		if i < len(labels) {
			label = labels[i]
		}
		signer := b.Signer.String()
		if b.Signer.Kind == token.SignedByPrevious {
			signer = fmt.Sprint("holder of block ", i-1)
		}
		bv := blockView{
			Index:        i,
			Label:        label,
			Signer:       signer,
			Version:      version(b.Version),
			RevocationID: hex.EncodeToString(b.RevocationID),
			Lines:        lines(b.Program),
		}
		if b.ExternalKey != nil {
			bv.ExternalKey = b.ExternalKey.String()
		}
		v.Blocks = append(v.Blocks, bv)
	}
	return v, nil
}

// version names a block's Datalog version as the specification does:
// 3 is v3.0, 6 is v3.3.
func version(v uint32) string {
	if v < 3 {
		return fmt.Sprintf("v%d", v)
	}
	return fmt.Sprintf("v3.%d", v-3)
}

// lines prints a program one canonical statement a line, as
// datalog.Program.String orders them.
func lines(p *datalog.Program) []line {
	out := []line{}
	if len(p.Scopes) > 0 {
		scopes := make([]string, len(p.Scopes))
		for i, sc := range p.Scopes {
			scopes[i] = sc.String()
		}
		out = append(out, line{Text: "trusting " + strings.Join(scopes, ", ") + ";"})
	}
	for _, f := range p.Facts {
		out = append(out, line{Text: f.String() + ";"})
	}
	for _, r := range p.Rules {
		out = append(out, line{Text: r.String() + ";"})
	}
	for i, c := range p.Checks {
		out = append(out, line{Text: c.String() + ";", Check: &i})
	}
	for i, pol := range p.Policies {
		out = append(out, line{Text: pol.String() + ";", Policy: &i})
	}
	return out
}

// viewDecision is the decision in its JSON form, each failed check with
// the facts it misses, the label of its block and its place in its
// editor. A token keeps no source, so the place of a block's check is
// found in the program parsed from the block's editor, when the page
// built the token from its editors (blocks is nil for a pasted token).
func viewDecision(d *token.Decision, tok *token.Token, labels []string, blocks []*datalog.Program) *decisionjson.Decision {
	v := decisionjson.New(d, tok)
	world := d.Facts
	for i, fc := range d.FailedChecks {
		c := &v.FailedChecks[i]
		c.Missing = explain.Missing(fc.Check, world)
		b := int(fc.Block)
		if b >= 0 && b < len(labels) {
			c.Agent = labels[b]
		}
		if b >= 0 && b < len(blocks) && fc.Index < len(blocks[b].Checks) {
			pos := blocks[b].Checks[fc.Index].Pos
			c.Line, c.Col = pos.Line, pos.Column
		}
	}
	return v
}
