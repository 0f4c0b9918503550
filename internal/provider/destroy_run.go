package provider

import (
	"os"
	"strings"
	"sync"
)

// Terraform's destroy first plans the configuration, to refresh the state, and stops when that
// plan has an error; it then discards what the plan would create or change. The provider is
// told nothing of this, so a check refusing a resource Terraform would create (a step an
// earlier apply refused, a webhook deleted elsewhere whose secret the configuration leaves out)
// would stop the destroy of everything else. The provider therefore reads the command line of
// the Terraform process that started it, and skips the checks of its plans in a destroy run.

// destroyRun reports whether the Terraform command that started this provider process destroys
// (terraform destroy, or plan or apply with -destroy). It is false where the command line
// cannot be read (parentArgs), or when the provider was not started by Terraform.
var destroyRun = sync.OnceValue(func() bool {
	return isDestroyCommand(parentArgs(os.Getppid()))
})

// isDestroyCommand reads a Terraform (or OpenTofu) command line: its subcommand is the first
// argument after the program that is not a global option such as -chdir=DIR.
func isDestroyCommand(args []string) bool {
	if len(args) < 2 {
		return false
	}
	sub := -1
	for i, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			sub = i + 1
			break
		}
	}
	if sub < 0 {
		return false
	}
	switch args[sub] {
	case "destroy":
		return true
	case "plan", "apply":
		for _, a := range args[sub+1:] {
			switch strings.TrimPrefix(a, "-") {
			case "-destroy", "destroy", "-destroy=true", "destroy=true":
				return true
			}
		}
	}
	return false
}
