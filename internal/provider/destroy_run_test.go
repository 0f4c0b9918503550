package provider

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"
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

// parentArgs reads another process's command line as that process got it, spaces, quotes and
// backslashes included, on each system that has a way (Linux, macOS, Windows).
func TestParentArgsReadsACommandLine(t *testing.T) {
	t.Parallel()
	switch runtime.GOOS {
	case "linux", "darwin", "windows":
	default:
		t.Skipf("destroy runs are not recognized on %s", runtime.GOOS)
	}
	if args := parentArgs(os.Getpid()); !slices.Equal(args, os.Args) {
		t.Errorf("parentArgs(own pid) = %q, want %q", args, os.Args)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{exe, "plan", "-destroy",
		`-var=note=a b "c"`, `C:\dir with space\`, "", "é"}
	cmd := exec.Command(exe, want[1:]...)
	cmd.Env = append(os.Environ(), childWaitsVariable+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	var got []string
	for range 100 { // the child's command line is readable once it runs
		if got = parentArgs(cmd.Process.Pid); slices.Equal(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("parentArgs(child) = %q, want %q", got, want)
}
