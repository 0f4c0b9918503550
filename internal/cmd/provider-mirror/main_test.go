package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/tfcli"
)

var testProvider = Provider{Hostname: "registry.terraform.io", Namespace: "dataverse-terraform", Type: "dataverse"}

// writeZip writes a zip holding one file and returns its SHA-256.
func writeZip(t *testing.T, path, name, content string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestBuildLayout(t *testing.T) {
	t.Parallel()
	dist, out := t.TempDir(), t.TempDir()
	sums := map[string]string{}
	for _, p := range []string{"linux_amd64", "windows_arm64"} {
		file := "terraform-provider-dataverse_0.1.0_" + p + ".zip"
		sums[file] = writeZip(t, filepath.Join(dist, file), "terraform-provider-dataverse_v0.1.0", p)
	}
	list := fmt.Sprintf("%s  terraform-provider-dataverse_0.1.0_linux_amd64.zip\n%s  terraform-provider-dataverse_0.1.0_manifest.json\n%s  terraform-provider-dataverse_0.1.0_windows_arm64.zip\n",
		sums["terraform-provider-dataverse_0.1.0_linux_amd64.zip"], strings.Repeat("a", 64), sums["terraform-provider-dataverse_0.1.0_windows_arm64.zip"])
	if err := os.WriteFile(filepath.Join(dist, "terraform-provider-dataverse_0.1.0_SHA256SUMS"), []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	// An index.json from an earlier version is kept.
	dir := testProvider.Dir(out)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"versions":{"0.0.9":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	m, err := Build(dist, out, testProvider)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "0.1.0" || !slices.Equal(m.Platforms(), []string{"linux_amd64", "windows_arm64"}) {
		t.Fatalf("mirror = %+v", m)
	}
	var index struct {
		Versions map[string]map[string]any `json:"versions"`
	}
	readJSON(t, filepath.Join(dir, "index.json"), &index)
	if len(index.Versions) != 2 || index.Versions["0.1.0"] == nil || index.Versions["0.0.9"] == nil {
		t.Errorf("index.json = %+v", index)
	}
	var version struct {
		Archives map[string]struct {
			URL    string   `json:"url"`
			Hashes []string `json:"hashes"`
		} `json:"archives"`
	}
	readJSON(t, filepath.Join(dir, "0.1.0.json"), &version)
	if len(version.Archives) != 2 {
		t.Fatalf("0.1.0.json = %+v", version)
	}
	for platform, a := range version.Archives {
		file := "terraform-provider-dataverse_0.1.0_" + platform + ".zip"
		if a.URL != file || !slices.Equal(a.Hashes, []string{"zh:" + sums[file]}) {
			t.Errorf("%s: %+v", platform, a)
		}
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Errorf("the zip is not in the packed layout: %v", err)
		}
	}
}

func TestBuildRefusesAnArchiveThatDoesNotMatchItsSum(t *testing.T) {
	t.Parallel()
	dist := t.TempDir()
	writeZip(t, filepath.Join(dist, "terraform-provider-dataverse_0.1.0_linux_amd64.zip"), "terraform-provider-dataverse_v0.1.0", "x")
	if err := os.WriteFile(filepath.Join(dist, "terraform-provider-dataverse_0.1.0_SHA256SUMS"),
		[]byte(strings.Repeat("0", 64)+"  terraform-provider-dataverse_0.1.0_linux_amd64.zip\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(dist, t.TempDir(), testProvider); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Build(t.TempDir(), t.TempDir(), testProvider); err == nil || !strings.Contains(err.Error(), "make release-snapshot") {
		t.Fatalf("an empty dist: err = %v", err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// hostSnapshot builds the release archive of this machine's platform with goreleaser, from the
// project's own .goreleaser.yml narrowed to that one platform (all of them take minutes), and
// returns the dist folder.
func hostSnapshot(t *testing.T, moduleDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleDir, ".goreleaser.yml"))
	if err != nil {
		t.Fatal(err)
	}
	targets := regexp.MustCompile(`(?s)\n    goos:\n.*?\n    # Terraform finds the plugin`)
	if !targets.Match(b) {
		t.Fatal(".goreleaser.yml no longer lists goos, goarch and ignore before the binary name: update this test")
	}
	host := fmt.Sprintf("\n    goos: [%s]\n    goarch: [%q]\n    # Terraform finds the plugin", runtime.GOOS, runtime.GOARCH)
	dist := filepath.Join(t.TempDir(), "dist")
	cfg := targets.ReplaceAll(b, []byte(host))
	cfg = append(cfg, []byte("\ndist: "+dist+"\n")...)
	cfgFile := filepath.Join(t.TempDir(), "goreleaser.yml")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "-modfile=tools/release/go.mod", "goreleaser",
		"release", "--snapshot", "--clean", "--skip=sign,publish", "--config", cfgFile)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "SNAPSHOT_VERSION=0.1.0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser: %v\n%s", err, out)
	}
	return dist
}

// TestTerraformInitFromMirror installs the provider as a pipeline does, from the mirror that
// make mirror writes: terraform init in an empty folder, a version constraint, no dev_overrides,
// no registry, and a lock file whose h1: hash is that of the built archive (Terraform 1.11 records
// only the h1: hash of what it installed from a mirror; the mirror's zh: hashes are checked, as
// the wrong-hash case shows). The filesystem
// mirror is read from disk; the network mirror is served over HTTPS on loopback by a test server
// that Terraform trusts through SSL_CERT_FILE.
func TestTerraformInitFromMirror(t *testing.T) {
	if _, err := exec.LookPath(tfcli.TerraformPath()); err != nil {
		t.Skipf("runs goreleaser and the Terraform CLI, and %q is not found: run make terraform-check, or set TF_ACC_TERRAFORM_PATH", tfcli.TerraformPath())
	}
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	moduleDir, err := tfcli.ModuleDir(wd)
	if err != nil {
		t.Fatal(err)
	}
	dist := hostSnapshot(t, moduleDir)
	mirror := filepath.Join(t.TempDir(), "mirror")
	m, err := Build(dist, mirror, testProvider)
	if err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	if m.Version != "0.1.0" || !slices.Equal(m.Platforms(), []string{platform}) {
		t.Fatalf("mirror = %+v, want 0.1.0 for %s", m, platform)
	}
	archive := filepath.Join(dist, m.Archives[0].File)
	h1, err := dirhash.HashZip(archive, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	zh := "zh:" + m.Archives[0].SHA256

	// The filesystem and network mirrors are configured as the installing guide shows, with
	// this test's folder and URL.
	t.Run("filesystem mirror", func(t *testing.T) {
		t.Parallel()
		cfg := strings.Replace(guideConfig(t, moduleDir, "filesystem_mirror"), `"/opt/terraform/mirror"`, strconv.Quote(mirror), 1)
		lock, err := initFrom(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkLock(t, lock, m.Version, []string{h1})
	})

	t.Run("network mirror", func(t *testing.T) {
		t.Parallel()
		srv, served := serveMirror(t, mirror)
		_, env := networkMirrorConfig(t, srv)
		cfg := strings.Replace(guideConfig(t, moduleDir, "network_mirror"), `"https://terraform-mirror.contoso.net/"`, strconv.Quote(srv.URL+"/"), 1)
		lock, err := initFrom(t, cfg, env)
		if err != nil {
			t.Fatal(err)
		}
		checkLock(t, lock, m.Version, []string{h1})
		mu := &served.mu
		mu.Lock()
		defer mu.Unlock()
		base := "/" + testProvider.String() + "/"
		for _, want := range []string{base + "index.json", base + m.Version + ".json", base + m.Archives[0].File} {
			if !slices.Contains(served.paths, want) {
				t.Errorf("the mirror did not serve %s; it served %v", want, served.paths)
			}
		}
	})

	// The installing guide's command for locking more platforms than the one that ran init.
	t.Run("providers lock from the filesystem mirror", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeRootModule(t, dir)
		out, err := terraform(dir, nil, "providers", "lock", "-fs-mirror="+mirror, "-platform="+platform)
		if err != nil {
			t.Fatalf("terraform providers lock: %v\n%s", err, out)
		}
		lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl")) //nolint:gosec // test output
		if err != nil {
			t.Fatal(err)
		}
		checkLock(t, string(lock), m.Version, []string{h1})
	})

	// The guide: with no provider_installation block, a copy of the mirror in the working
	// folder's terraform.d/plugins is found before the registry.
	t.Run("implied plugins folder", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeRootModule(t, dir)
		if err := os.CopyFS(filepath.Join(dir, "terraform.d", "plugins"), os.DirFS(mirror)); err != nil {
			t.Fatal(err)
		}
		lock, err := initIn(t, dir, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		checkLock(t, lock, m.Version, []string{h1})
	})

	// The guide: a committed lock file pins the archive. init -lockfile=readonly on a fresh
	// agent installs the archive it records, leaving the file as it was, and refuses one whose
	// hash it does not record.
	t.Run("read-only lock file", func(t *testing.T) {
		t.Parallel()
		cfg := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n}\n", mirror, testProvider.String())
		dir := t.TempDir()
		writeRootModule(t, dir)
		lock, err := initIn(t, dir, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		freshAgent := func(lock string) {
			t.Helper()
			if err := os.RemoveAll(filepath.Join(dir, ".terraform")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".terraform.lock.hcl"), []byte(lock), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		freshAgent(lock)
		again, err := initIn(t, dir, cfg, nil, "-lockfile=readonly")
		if err != nil {
			t.Fatal(err)
		}
		if again != lock {
			t.Errorf("init -lockfile=readonly changed the lock file:\n%s\nto\n%s", lock, again)
		}
		otherArchive := "h1:" + base64.StdEncoding.EncodeToString(make([]byte, sha256.Size))
		freshAgent(strings.Replace(lock, h1, otherArchive, 1))
		if _, err := initIn(t, dir, cfg, nil, "-lockfile=readonly"); err == nil || !strings.Contains(strings.Join(strings.Fields(err.Error()), " "), "checksums previously recorded") {
			t.Fatalf("init -lockfile=readonly installed an archive whose hash the lock file does not record: %v", err)
		}
	})

	// Terraform checks the archive against the zh: hash the network mirror lists: a mirror
	// whose hash is wrong is refused, so the hashes Build writes are the ones that protect.
	t.Run("network mirror with a wrong hash", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(t.TempDir(), "mirror")
		if err := os.CopyFS(bad, os.DirFS(mirror)); err != nil {
			t.Fatal(err)
		}
		versionFile := filepath.Join(testProvider.Dir(bad), m.Version+".json")
		b, err := os.ReadFile(versionFile) //nolint:gosec // test output
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(versionFile, []byte(strings.Replace(string(b), zh, "zh:"+strings.Repeat("0", 64), 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		srv, _ := serveMirror(t, bad)
		cfg, env := networkMirrorConfig(t, srv)
		if _, err := initFrom(t, cfg, env); err == nil || !strings.Contains(err.Error(), "doesn't match the expected checksum") {
			t.Fatalf("terraform init accepted an archive whose hash the mirror does not list: %v", err)
		}
	})
}

type servedPaths struct {
	mu    sync.Mutex
	paths []string
}

// serveMirror serves a mirror folder over HTTPS on loopback and records the paths requested.
func serveMirror(t *testing.T, dir string) (*httptest.Server, *servedPaths) {
	t.Helper()
	served := &servedPaths{}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.mu.Lock()
		served.paths = append(served.paths, r.URL.Path)
		served.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, served
}

// networkMirrorConfig is a CLI configuration that installs from srv only, and the environment
// that makes Terraform trust its certificate.
func networkMirrorConfig(t *testing.T, srv *httptest.Server) (string, []string) {
	t.Helper()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("provider_installation {\n  network_mirror {\n    url     = %q\n    include = [%q]\n  }\n}\n", srv.URL+"/", testProvider.String())
	return cfg, []string{"SSL_CERT_FILE=" + caFile}
}

// guideConfig is the CLI configuration of the installing guide that holds block.
func guideConfig(t *testing.T, moduleDir, block string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleDir, "docs", "guides", "installing-in-a-pipeline.md")) //nolint:gosec // the project's own docs
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```hcl\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], block+" {") {
			return m[1]
		}
	}
	t.Fatalf("the installing guide has no CLI configuration with a %s block", block)
	return ""
}

// initFrom runs terraform init in an empty folder with the CLI configuration cfg and nothing
// else to install from, then terraform validate, which starts the installed provider; it
// returns the lock file, or the error of the first command that failed.
func initFrom(t *testing.T, cfg string, env []string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	writeRootModule(t, dir)
	return initIn(t, dir, cfg, env)
}

// initIn is initFrom in a folder the caller has laid out, with initArgs added to terraform init.
func initIn(t *testing.T, dir, cfg string, env []string, initArgs ...string) (string, error) {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "terraform.rc")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append([]string{"TF_CLI_CONFIG_FILE=" + cfgFile}, env...)
	for _, args := range [][]string{append([]string{"init", "-input=false", "-no-color"}, initArgs...), {"validate", "-no-color"}} {
		if out, err := terraform(dir, env, args...); err != nil {
			return "", fmt.Errorf("terraform %s: %w\n%s", args[0], err, out)
		}
	}
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl")) //nolint:gosec // test output
	if err != nil {
		t.Fatal(err)
	}
	return string(lock), nil
}

// writeRootModule writes a configuration that requires the provider with a version constraint.
func writeRootModule(t *testing.T, dir string) {
	t.Helper()
	main := `terraform {
  required_providers {
    dataverse = {
      source  = "dataverse-terraform/dataverse"
      version = "~> 0.1"
    }
  }
}

provider "dataverse" {}

data "dataverse_webhooks" "all" {}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
}

// terraform runs the CLI in dir, where any request other than to a loopback mirror fails.
func terraform(dir string, env []string, args ...string) ([]byte, error) {
	const nowhere = "http://127.0.0.1:1"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tfcli.TerraformPath(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=", "TF_PLUGIN_CACHE_DIR=", "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY="+nowhere, "HTTP_PROXY="+nowhere, "NO_PROXY=127.0.0.1")
	cmd.Env = append(cmd.Env, env...)
	return cmd.CombinedOutput()
}

var lockHash = regexp.MustCompile(`"((?:h1|zh):[^"]+)"`)

// checkLock checks the lock file's entry for the provider: its version, constraint and hashes.
func checkLock(t *testing.T, lock, version string, hashes []string) {
	t.Helper()
	entry := regexp.MustCompile(`(?s)provider "` + regexp.QuoteMeta(testProvider.String()) + `" \{(.*?)\n\}`).FindStringSubmatch(lock)
	if entry == nil {
		t.Fatalf("the lock file has no entry for %s:\n%s", testProvider, lock)
	}
	if !strings.Contains(entry[1], `version     = "`+version+`"`) || !strings.Contains(entry[1], `constraints = "~> 0.1"`) {
		t.Errorf("lock entry without version %s and constraint ~> 0.1:\n%s", version, entry[1])
	}
	var got []string
	for _, m := range lockHash.FindAllStringSubmatch(entry[1], -1) {
		got = append(got, m[1])
	}
	slices.Sort(got)
	slices.Sort(hashes)
	if !slices.Equal(got, hashes) {
		t.Errorf("lock hashes = %v, want those of the built archive %v", got, hashes)
	}
}
