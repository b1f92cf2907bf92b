package sdk

import (
	"encoding/base64"

	"github.com/codios/codios/token"
)

// encodeText is a token's text form, as an Authorization header carries
// it: base64 URL-safe with padding, as other Biscuit implementations
// print it.
func encodeText(data []byte) string { return base64.URLEncoding.EncodeToString(data) }

// tokenBytes accepts a token in wire bytes or in base64 text: text has
// only the characters of the URL-safe alphabet (and white space), which
// a serialized token never starts with.
func tokenBytes(data []byte, limits *token.Limits) ([]byte, error) {
	for _, c := range data {
		if !isTextByte(c) {
			return data, nil
		}
	}
	return token.DecodeText(string(data), limits)
}

func isTextByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
}
