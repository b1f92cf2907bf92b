package hostapi

// decodeRequest decodes guard_check's request: the hot path. Decoding a
// kilobyte token with encoding/json costs three times the guard's
// decision, so a plain request (fields named exactly, each once; strings
// of printable ASCII without escapes) is read here in one pass, and
// anything else, valid or not, goes to the strict decoder, which gives
// the same result or its error. FuzzDecodeRequest holds the two equal.
func decodeRequest(in []byte, r *GuardRequest) *Error {
	if len(in) <= MaxInput && fastRequest(in, r) {
		return nil
	}
	*r = GuardRequest{}
	return decode(in, r)
}

func fastRequest(b []byte, r *GuardRequest) bool {
	p := &scan{b: b}
	if !p.byte('{') {
		return false
	}
	var seen uint16
	if p.peek() == '}' {
		p.i++
		return p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		bit, ok := fieldBit[key]
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch key {
		case "authorization":
			r.Authorization, ok = p.strs()
		case "facts":
			r.Facts, ok = p.strs()
		case "operation", "resource":
			var s string
			if s, ok = p.str(); key == "operation" {
				r.Operation = &s
			} else {
				r.Resource = &s
			}
		default:
			var s string
			s, ok = p.str()
			switch key {
			case "request_id":
				r.RequestID = s
			case "method":
				r.Method = s
			case "path":
				r.Path = s
			case "host":
				r.Host = s
			case "time":
				r.Time = s
			case "map_error":
				r.MapError = s
			}
		}
		if !ok {
			return false
		}
		switch p.next() {
		case ',':
		case '}':
			return p.end()
		default:
			return false
		}
	}
}

var fieldBit = map[string]uint16{"authorization": 1, "request_id": 2, "method": 4, "path": 8, "host": 16,
	"time": 32, "operation": 64, "resource": 128, "facts": 256, "map_error": 512}

type scan struct {
	b []byte
	i int
}

func (p *scan) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scan) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *scan) next() byte {
	c := p.peek()
	if c != 0 {
		p.i++
	}
	return c
}

func (p *scan) byte(c byte) bool { return p.next() == c }

func (p *scan) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// str reads a string of printable ASCII without escapes.
func (p *scan) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	for j := p.i; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := string(p.b[p.i:j])
			p.i = j + 1
			return s, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", false
		}
	}
	return "", false
}

// strs reads an array of strings.
func (p *scan) strs() ([]string, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []string{}
	if p.peek() == ']' {
		p.i++
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		switch p.next() {
		case ',':
		case ']':
			return out, true
		default:
			return nil, false
		}
	}
}
