package provider

import (
	"os"
	"testing"
)

func TestIsDestroyCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"terraform", "destroy", "-auto-approve"}, true},
		{[]string{"/usr/bin/terraform", "-chdir=infra", "destroy"}, true},
		{[]string{"tofu", "apply", "-destroy", "-auto-approve"}, true},
		{[]string{"terraform", "plan", "--destroy", "-out=tfplan"}, true},
		{[]string{"terraform", "plan", "-destroy=true"}, true},
		{[]string{"terraform", "plan", "-destroy=false"}, false},
		{[]string{"terraform", "plan", "-destroy=T"}, true},
		{[]string{"terraform", "plan", "-out=tfplan"}, false},
		{[]string{"terraform", "apply", "tfplan"}, false},
		{[]string{"terraform", "apply", "-var=name=destroy"}, false},
		{[]string{"terraform", "apply", "-var", "destroy=true"}, false},
		{[]string{"terraform", "plan", "-out", "destroy"}, false},
		{[]string{"terraform", "apply", "-var-file", "destroy", "-auto-approve"}, false},
		{[]string{"terraform", "plan", "-out", "-destroy"}, false},
		{[]string{"terraform", "apply", "tfplan", "-destroy"}, false},
		{[]string{"terraform", "plan", "-var", "a=1", "-destroy", "-out=p"}, true},
		{[]string{"terraform", "apply", "-auto-approve", "-destroy"}, true},
		{[]string{"terraform", "plan", "-destroy", "-destroy=false"}, false},
		{[]string{"terraform", "plan", "-destroy=false", "-destroy"}, true},
		{[]string{"tofu", "plan", "-target-file", "targets.txt", "-destroy"}, true},
		{[]string{"terraform", "import", "dataverse_webhook.a", "destroy"}, false},
		{[]string{"terraform", "test"}, false},
		{[]string{"terraform"}, false},
		{nil, false},
	} {
		if got := isDestroyCommand(tc.args); got != tc.want {
			t.Errorf("isDestroyCommand(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestParentArgsReadsACommandLine(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc on this system: destroy runs are not recognized here")
	}
	args := parentArgs(os.Getpid())
	if len(args) == 0 || args[0] != os.Args[0] {
		t.Errorf("parentArgs(own pid) = %q, want it to start with %q", args, os.Args[0])
	}
}
