// Command infra drives the BeyondTrust PRA, Virtomize and Jotelulu APIs from a shell, a script or a CI pipeline.
package main

import (
	"os"

	"github.com/infractl/infra/cmd"
)

func main() { os.Exit(cmd.Main()) }
