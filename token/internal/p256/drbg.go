package p256

import (
	"bytes"
	"crypto/hmac"
	"hash"
)

// drbg is HMAC_DRBG (NIST SP 800-90A Rev. 1, section 10.1.2) over
// SHA-512, as crypto/internal/fips140/ecdsa instantiates it for hedged
// signing: entropy, no nonce, and the key and the digest as a
// personalization string whose parts are each aligned to a hash block.
type drbg struct {
	hK hash.Hash
	v  []byte
}

func newDRBG(entropy, key, digest []byte) *drbg {
	size := newHash().Size()
	d := &drbg{v: bytes.Repeat([]byte{0x01}, size)}
	k := make([]byte, size)
	for _, sep := range []byte{0x00, 0x01} {
		// K = HMAC(K, V || sep || provided data); V = HMAC(K, V)
		h := hmac.New(newHash, k)
		h.Write(d.v)
		h.Write([]byte{sep})
		h.Write(entropy)
		written := len(d.v) + 1 + len(entropy)
		for _, part := range [][]byte{key, digest} {
			if rem := written % h.BlockSize(); rem != 0 {
				h.Write(make([]byte, h.BlockSize()-rem))
			}
			h.Write(part)
			written = len(part)
		}
		k = h.Sum(k[:0])
		h = hmac.New(newHash, k)
		h.Write(d.v)
		d.v = h.Sum(d.v[:0])
		d.hK = h
	}
	return d
}

// generate fills out (at most a few hash outputs: a nonce's bytes).
func (d *drbg) generate(out []byte) {
	for n := 0; n < len(out); {
		// V = HMAC_K(V); T = T || V
		d.hK.Reset()
		d.hK.Write(d.v)
		d.v = d.hK.Sum(d.v[:0])
		n += copy(out[n:], d.v)
	}
	// Update without provided data: K = HMAC(K, V || 0x00); V = HMAC(K, V)
	d.hK.Reset()
	d.hK.Write(d.v)
	d.hK.Write([]byte{0x00})
	k := d.hK.Sum(nil)
	d.hK = hmac.New(newHash, k)
	d.hK.Write(d.v)
	d.v = d.hK.Sum(d.v[:0])
}
