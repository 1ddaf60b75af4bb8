// Command hello is the start-up floor for `make bench`: a bare cobra binary with one command and --version.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:     "hello",
		Version: "1.0.0",
		Run:     func(c *cobra.Command, _ []string) { fmt.Println("hello") },
	}
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
