package cmdutil

import (
	"os"
	"os/exec"

	"github.com/infractl/infra/pkg/config"
)

// Command prepares a child process. Every program infra starts goes through it: the child gets infra's environment
// without the secret variables (config.ChildEnv), so an opener, browser or editor never inherits a client secret,
// password or token.
func Command(path string, args ...string) *exec.Cmd {
	c := exec.Command(path, args...)
	c.Env = config.ChildEnv(os.Environ())
	return c
}
