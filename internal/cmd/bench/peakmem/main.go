// Command peakmem stands in for a provider binary so that the benchmark can see the provider
// process's peak memory, which Terraform, starting the plugin itself, does not report. It runs
// the program named by its own path plus ".wrapped" with the same arguments, environment and
// standard streams (the plugin handshake passes through untouched), waits for it, and writes
// the child's peak resident set size (kilobytes) and CPU time (user and system, milliseconds)
// to a file in $PEAKMEM_DIR, one file per run: "<peak kB> <CPU ms>".
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
)

func main() {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	cmd := exec.CommandContext(context.Background(), self+".wrapped", os.Args[1:]...) //nolint:gosec // the binary beside this one, by design
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Terraform's Ctrl-C reaches the whole process group; the provider decides what it means,
	// and this process must outlive it to read its usage.
	signal.Ignore(os.Interrupt)
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fail(err)
	}
	if dir := os.Getenv("PEAKMEM_DIR"); dir != "" {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			name := filepath.Join(dir, strconv.Itoa(cmd.ProcessState.Pid())+".kb")
			cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			line := fmt.Sprintf("%d %d", ru.Maxrss, cpu.Milliseconds())
			if err := os.WriteFile(name, []byte(line), 0o600); err != nil { //nolint:gosec // the folder the benchmark chose
				fmt.Fprintln(os.Stderr, "peakmem:", err)
			}
		}
	}
	os.Exit(cmd.ProcessState.ExitCode())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peakmem:", err)
	os.Exit(1)
}
