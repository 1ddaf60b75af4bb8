package cmd_test

import (
	"net/http/httptest"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/internal/sim/faults"
	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
)

// Site file scripts copy a seeded site to an empty one: EMPTY_PRA_URL and EMPTY_VIRTOMIZE_URL are simulators without
// sample data (the same credentials), whose faults are injected with `faults pra-empty SPEC` and
// `faults virtomize-empty SPEC`.
func init() {
	extraSetup = append(extraSetup, func(env *testscript.Env) error {
		sim := prasim.New(prasim.Options{ClientID: "sandbox-client", ClientSecret: praSecret})
		inj := faults.Wrap(sim, faults.Config{RevokeTokens: sim.RevokeAllTokens, SlowDelay: 600 * time.Millisecond, Seed: 17})
		srv := httptest.NewServer(inj)
		env.Defer(srv.Close)
		env.Values["faults:pra-empty"] = inj
		env.Setenv("EMPTY_PRA_URL", srv.URL)

		vsim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "v1rt-sandbox-pass"})
		vinj := faults.Wrap(vsim, faults.Config{SlowDelay: 600 * time.Millisecond, Seed: 19})
		vsrv := httptest.NewServer(vinj)
		env.Defer(vsrv.Close)
		env.Values["faults:virtomize-empty"] = vinj
		env.Setenv("EMPTY_VIRTOMIZE_URL", vsrv.URL)
		return nil
	})
}
