package playground

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/codios/codios/policies/policytest"
)

// maxPolicyFiles bounds the list of policy files.
const maxPolicyFiles = 1000

type policyList struct {
	// Enabled is false when the playground has no policies folder.
	Enabled bool     `json:"enabled"`
	Files   []string `json:"files"`
}

// listPolicies lists the Datalog and test files under the policies
// folder, as slash-separated paths relative to it, skipping the folders
// policytest skips.
func (s *server) listPolicies(*http.Request, *struct{}) (*policyList, error) {
	out := &policyList{Enabled: s.policies != "", Files: []string{}}
	if !out.Enabled {
		return out, nil
	}
	root, err := os.OpenRoot(s.policies)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if policyName(name) {
			if len(out.Files) == maxPolicyFiles {
				return fs.SkipAll
			}
			out.Files = append(out.Files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// policyName reports whether a file name is one the page may open.
func policyName(name string) bool {
	return strings.HasSuffix(name, ".datalog") || strings.HasSuffix(name, policytest.Suffix)
}

type policyFile struct {
	Path   string `json:"path"`
	Source string `json:"source"`
}

// policyFile returns one Datalog or test file of the policies folder: the
// files listPolicies lists, not whatever else the folder holds.
func (s *server) policyFile(r *http.Request, _ *struct{}) (*policyFile, error) {
	p := r.URL.Query().Get("path")
	if !policyName(p) {
		return nil, &apiError{Status: http.StatusForbidden, Code: "not_a_policy", Message: fmt.Sprintf("%q is neither a .datalog file nor a test file (*%s)", p, policytest.Suffix)}
	}
	root, err := s.openPolicies(p)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		return nil, notFound(p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(s.limits.MaxSourceBytes)+1))
	if err != nil {
		return nil, notFound(p, err)
	}
	if len(data) > s.limits.MaxSourceBytes {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Code: "limit", Message: fmt.Sprintf("%s is over %d bytes", p, s.limits.MaxSourceBytes)}
	}
	return &policyFile{Path: p, Source: string(data)}, nil
}

type testRequest struct {
	Path string `json:"path"`
}

type testResult struct {
	Path   string       `json:"path"`
	Cases  []caseResult `json:"cases"`
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
}

type caseResult struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Detail is a failure's location and diff, as codios test prints it.
	Detail string `json:"detail,omitempty"`
}

// testPolicy runs the cases of one test file of the policies folder, as
// codios test does, and returns the outcome of each.
func (s *server) testPolicy(_ *http.Request, in *testRequest) (*testResult, error) {
	if !strings.HasSuffix(in.Path, policytest.Suffix) {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Code: "not_a_test", Message: fmt.Sprintf("%q is not a test file (*%s)", in.Path, policytest.Suffix)}
	}
	root, err := s.openPolicies(in.Path)
	if err != nil {
		return nil, err
	}
	_, err = root.Stat(filepath.FromSlash(in.Path))
	root.Close()
	if err != nil {
		return nil, notFound(in.Path, err)
	}
	var out bytes.Buffer
	_, _, err = policytest.Run([]string{filepath.Join(s.policies, filepath.FromSlash(in.Path))}, &out)
	if err != nil {
		return nil, invalid("test_file", err)
	}
	res := parseRun(&out)
	res.Path = in.Path
	return res, nil
}

// parseRun reads policytest.Run's report: PASS NAME or FAIL NAME a case,
// the indented lines under a failure, and the final count.
func parseRun(r io.Reader) *testResult {
	res := &testResult{Cases: []caseResult{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "PASS "):
			res.Cases = append(res.Cases, caseResult{Name: l[len("PASS "):], Passed: true})
			res.Passed++
		case strings.HasPrefix(l, "FAIL "):
			res.Cases = append(res.Cases, caseResult{Name: l[len("FAIL "):]})
			res.Failed++
		case strings.HasPrefix(l, "    ") && len(res.Cases) > 0:
			c := &res.Cases[len(res.Cases)-1]
			c.Detail += strings.TrimPrefix(l, "    ") + "\n"
		}
	}
	return res
}

// openPolicies checks that p is a relative path inside the policies
// folder and opens the folder as an os.Root, which refuses any path, by
// .. or a symbolic link, that leaves it.
func (s *server) openPolicies(p string) (*os.Root, error) {
	if s.policies == "" {
		return nil, &apiError{Status: http.StatusNotFound, Code: "no_policies", Message: "the playground has no policies folder"}
	}
	if p == "" || !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p {
		return nil, &apiError{Status: http.StatusForbidden, Code: "outside", Message: fmt.Sprintf("%q is not a path inside the policies folder", p)}
	}
	root, err := os.OpenRoot(s.policies)
	if err != nil {
		return nil, err
	}
	return root, nil
}

func notFound(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no file %q in the policies folder", p)}
	}
	// An escape through a symbolic link, a folder, a read error.
	return &apiError{Status: http.StatusForbidden, Code: "outside", Message: fmt.Sprintf("%q cannot be read from the policies folder", p)}
}
