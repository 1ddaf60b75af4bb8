package cmd

import (
	"context"
	"fmt"
	"time"

	jotelulucmd "github.com/infractl/infra/cmd/jotelulu"
	"github.com/infractl/infra/pkg/api"
	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
)

// joteluluExpiryWarning is how long before expiry auth status starts warning.
const joteluluExpiryWarning = 7 * 24 * time.Hour

// verifyJotelulu refuses a token that is not a JWT or has expired already; the signature is for the API to check.
func verifyJotelulu(_ context.Context, _ *cmdutil.Factory, _ *config.Unit, secret string) error {
	exp, err := jot.TokenExpiry(secret)
	if err != nil {
		return usageErrorf("%v (nothing stored; use --no-verify to store it anyway)", err)
	}
	if !exp.After(time.Now()) {
		return usageErrorf("the token expired at %s (nothing stored): get a new one from the Jotelulu portal", exp.Format(time.RFC3339))
	}
	return nil
}

// checkJotelulu refuses an expired token locally, then asks the API for the organizations the token sees (a cheap
// authenticated call).
func checkJotelulu(ctx context.Context, f *cmdutil.Factory, _ *cmdutil.Conn, secret string) error {
	if exp, err := jot.TokenExpiry(secret); err == nil && !exp.After(time.Now()) {
		return &api.AuthError{Err: fmt.Errorf("the token expired at %s", exp.Format(time.RFC3339))}
	}
	cl, err := jotelulucmd.Client(ctx, f, "")
	if err != nil {
		return err
	}
	_, err = cl.Call(ctx, "listcoreuserorganizations", nil, nil, nil)
	return err
}

// statusJotelulu shows the token's expiry, decoded from the JWT without verifying it, and warns when it is near.
func statusJotelulu(f *cmdutil.Factory, _ *cmdutil.Conn, secret string) []statusRow {
	row := statusRow{Part: "token expiry", Source: "the token"}
	exp, err := jot.TokenExpiry(secret)
	if err != nil {
		row.Value = err.Error()
		f.Warnf("jotelulu: %v", err)
		return []statusRow{row}
	}
	left := time.Until(exp)
	if left <= 0 {
		row.Value = fmt.Sprintf("expired %s (%s ago)", exp.Format(time.RFC3339), roughDuration(-left))
		f.Warnf("the jotelulu API token expired at %s: get a new one from the Jotelulu portal and run `infra auth login jotelulu`", exp.Format(time.RFC3339))
		return []statusRow{row}
	}
	row.Value = fmt.Sprintf("expires %s (in %s)", exp.Format(time.RFC3339), roughDuration(left))
	if left < joteluluExpiryWarning {
		f.Warnf("the jotelulu API token expires in %s (%s): get a new one from the Jotelulu portal soon", roughDuration(left), exp.Format(time.RFC3339))
	}
	return []statusRow{row}
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
