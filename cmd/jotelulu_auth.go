package cmd

import (
	"context"
	"fmt"
	"time"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
)

// joteluluExpiryWarning is how long before expiry auth status starts warning.
const joteluluExpiryWarning = 7 * 24 * time.Hour

// verifyJotelulu refuses a token that is not a JWT or has expired already; the signature is for the API to check.
func verifyJotelulu(_ context.Context, _ *cmdutil.Factory, _ *config.Config, secret string) error {
	exp, err := jot.TokenExpiry(secret)
	if err != nil {
		return usageErrorf("%v (nothing stored; use --no-verify to store it anyway)", err)
	}
	if !exp.After(time.Now()) {
		return usageErrorf("the token expired at %s (nothing stored): get a new one from the Jotelulu portal", exp.Format(time.RFC3339))
	}
	return nil
}

// statusJotelulu shows the token's expiry, decoded from the JWT without verifying it, and warns when it is near.
func statusJotelulu(f *cmdutil.Factory, _ *config.Config, secret string, row map[string]any) {
	exp, err := jot.TokenExpiry(secret)
	if err != nil {
		row["detail"] = err.Error()
		f.Warnf("jotelulu: %v", err)
		return
	}
	left := time.Until(exp)
	if left <= 0 {
		row["detail"] = fmt.Sprintf("expired %s (%s ago)", exp.Format(time.RFC3339), roughDuration(-left))
		f.Warnf("the jotelulu API token expired at %s: get a new one from the Jotelulu portal and run `infra auth login jotelulu`", exp.Format(time.RFC3339))
		return
	}
	row["detail"] = fmt.Sprintf("expires %s (in %s)", exp.Format(time.RFC3339), roughDuration(left))
	if left < joteluluExpiryWarning {
		f.Warnf("the jotelulu API token expires in %s (%s): get a new one from the Jotelulu portal soon", roughDuration(left), exp.Format(time.RFC3339))
	}
}

// roughDuration renders a duration as days, hours or minutes.
func roughDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}
