package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
)

// apiError is an error the API answers with, as
// {"error": {"code": ..., "message": ..., "diagnostics": [...]}}.
type apiError struct {
	Status      int          `json:"-"`
	Code        string       `json:"code"`
	Message     string       `json:"message"`
	Diagnostics []diagnostic `json:"diagnostics,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// diagnostic is one syntax error of one editor.
type diagnostic struct {
	// Editor names the editor: authority, block N, authorizer, request.
	Editor  string `json:"editor,omitempty"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// invalid is a 422 error: input that is well-formed JSON but not valid
// Datalog, token or key.
func invalid(code string, err error) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: code, Message: err.Error()}
}

// handle adapts a handler of the API: it decodes the JSON request body, if
// the handler takes one, into In, and encodes its answer or error.
func handle[In, Out any](s *server, h func(r *http.Request, in *In) (*Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in := new(In)
		if r.Method == http.MethodPost {
			if err := s.decode(w, r, in); err != nil {
				writeError(w, err)
				return
			}
		}
		out, err := h(r, in)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// decode reads a JSON request body into v, within the body limit.
func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "content_type", Message: "the body must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.limits.MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("the body is over %d bytes", tooLarge.Limit)}
	case err != nil:
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: "the body is not the API's JSON: " + err.Error()}
	}
	return nil
}

func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"the answer does not encode as JSON"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}
