package jotelulu

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// TokenExpiry reads the exp claim of a JWT without verifying its signature (the API does that). Errors never quote
// the token.
func TokenExpiry(token string) (time.Time, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return time.Time{}, errors.New("the token is not a JWT (expected header.payload.signature)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, errors.New("the token's payload is not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return time.Time{}, errors.New("the token's payload is not a JSON object")
	}
	if claims.Exp == nil {
		return time.Time{}, errors.New("the token has no exp (expiry) claim")
	}
	f, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, errors.New("the token's exp claim is not a number")
	}
	return time.Unix(int64(f), 0).UTC(), nil
}
