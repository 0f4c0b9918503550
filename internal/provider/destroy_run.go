package provider

import (
	"os"
	"strconv"
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
// argument after the program that is not a global option such as -chdir=DIR, and -destroy must
// be one of its flags, not the value of one (-var destroy=true, -out destroy).
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
	default:
		return false
	}
	// As Go's flag package reads them: the flags end at the first other argument (a plan file),
	// and the last -destroy wins.
	destroy := false
	rest := args[sub+1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == "destroy":
			on, err := strconv.ParseBool(value)
			destroy = !hasValue || (err == nil && on)
		case valueFlags[name] && !hasValue:
			i++ // -var x=1: the next argument is the value
		}
	}
	return destroy
}

// valueFlags are the flags of plan and apply that take a value, which may be written as the
// next argument.
var valueFlags = map[string]bool{
	"var": true, "var-file": true, "out": true, "target": true, "replace": true, "exclude": true,
	"state": true, "state-out": true, "backup": true, "lock-timeout": true, "parallelism": true,
	"generate-config-out": true, "invoke": true,
	"target-file": true, "exclude-file": true, // OpenTofu's
}
