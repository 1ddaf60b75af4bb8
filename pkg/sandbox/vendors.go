package sandbox

import (
	"time"

	"github.com/infractl/infra/internal/sim/jotelulusim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
)

// Virtomize returns the Virtomize appliance simulator as a sandbox vendor named "virtomize". Its Env gives
// INFRA_VIRTOMIZE_HOST, INFRA_VIRTOMIZE_USERNAME and INFRA_VIRTOMIZE_PASSWORD (generated when o leaves it empty).
func Virtomize(o virtomizesim.Options) Vendor {
	sim := virtomizesim.New(o)
	user, pass := sim.Credentials()
	return Vendor{Name: "virtomize", Handler: sim, Env: func(baseURL string) map[string]string {
		return map[string]string{"INFRA_VIRTOMIZE_HOST": baseURL, "INFRA_VIRTOMIZE_USERNAME": user, "INFRA_VIRTOMIZE_PASSWORD": pass}
	}}
}

// Jotelulu returns the Jotelulu simulator as a sandbox vendor named "jotelulu". When o has no token, one valid for
// 30 days is made. Its Env gives INFRA_JOTELULU_HOST and INFRA_JOTELULU_TOKEN.
func Jotelulu(o jotelulusim.Options) Vendor {
	if o.Token == "" {
		o.Token = jotelulusim.MakeToken("sandbox", time.Now().Add(30*24*time.Hour))
	}
	sim := jotelulusim.New(o)
	return Vendor{Name: "jotelulu", Handler: sim, Env: func(baseURL string) map[string]string {
		return map[string]string{"INFRA_JOTELULU_HOST": baseURL, "INFRA_JOTELULU_TOKEN": o.Token}
	}}
}
