package jotelulusim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

var b64 = base64.RawURLEncoding

// MakeToken returns a well-formed but unsigned JWT (header.payload.signature,
// each part base64url without padding) carrying the claims sub, iat and exp.
// The header says alg "none"; the third part is a SHA-256 digest of the first
// two, so the token has the usual three non-empty parts without pretending
// to be signed with a key.
func MakeToken(subject string, expires time.Time) string {
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	payload, _ := json.Marshal(struct {
		Sub string `json:"sub"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{subject, expires.Add(-time.Hour).Unix(), expires.Unix()})
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	return input + "." + b64.EncodeToString(sum[:])
}

// ParseToken reads the sub and exp claims of a JWT without verifying any
// signature. It fails when the token does not have three base64url parts or
// its payload has no numeric exp claim. Error messages never quote the token.
func ParseToken(token string) (subject string, expires time.Time, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", time.Time{}, errors.New("token is not a JWT (want header.payload.signature)")
	}
	raw, err := b64.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", time.Time{}, errors.New("token payload is not base64url")
	}
	var claims struct {
		Sub string   `json:"sub"`
		Exp *float64 `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return "", time.Time{}, errors.New("token payload is not a JSON object")
	}
	if claims.Exp == nil {
		return "", time.Time{}, errors.New("token has no exp claim")
	}
	return claims.Sub, time.Unix(int64(*claims.Exp), 0), nil
}
