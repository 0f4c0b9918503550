// Command provider-mirror lays out release archives, as `make release-snapshot` writes them to
// dist/, as a Terraform provider mirror. The one folder it writes serves both ways Terraform
// installs from a mirror:
//
//   - a filesystem mirror (packed layout): HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip,
//     named by provider_installation { filesystem_mirror { path = "…" } } or copied into one of
//     Terraform's implied local plugin folders;
//   - a network mirror: the same zips beside HOST/NAMESPACE/TYPE/index.json and VERSION.json,
//     served over HTTPS by any static web server and named by network_mirror { url = "…" }.
//
// Every archive is checked against the SHA256SUMS file before it is copied, and VERSION.json
// carries those sums as zh: hashes, which Terraform records in .terraform.lock.hcl.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/registry"
)

// Provider is a provider's source address.
type Provider struct{ Hostname, Namespace, Type string }

func (p Provider) String() string { return p.Hostname + "/" + p.Namespace + "/" + p.Type }

// Dir is the provider's folder inside a mirror.
func (p Provider) Dir(mirror string) string {
	return filepath.Join(mirror, p.Hostname, p.Namespace, p.Type)
}

func main() {
	dist := flag.String("dist", "dist", "folder holding the release archives and their SHA256SUMS file")
	out := flag.String("out", filepath.Join("dist", "mirror"), "folder to write the mirror to")
	p := Provider{}
	flag.StringVar(&p.Hostname, "hostname", registry.Host, "the provider source's hostname")
	flag.StringVar(&p.Namespace, "namespace", registry.Namespace, "the provider source's namespace")
	flag.StringVar(&p.Type, "type", registry.Type, "the provider's type")
	flag.Parse()
	m, err := Build(*dist, *out, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "provider-mirror:", err)
		os.Exit(1)
	}
	fmt.Printf("Wrote a mirror of %s %s for %s to %s\n", p, m.Version, strings.Join(m.Platforms(), ", "), *out)
	fmt.Printf("  filesystem mirror: provider_installation { filesystem_mirror { path = %q } }\n", mustAbs(*out))
	fmt.Printf("  network mirror:    serve %s over HTTPS; provider_installation { network_mirror { url = \"https://<host>/\" } }\n", *out)
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Archive is one platform's release zip.
type Archive struct {
	File, Platform, SHA256 string // Platform is os_arch
}

// Mirror is what Build wrote.
type Mirror struct {
	Version  string
	Archives []Archive
}

// Platforms lists the archives' os_arch names.
func (m Mirror) Platforms() []string {
	out := make([]string, 0, len(m.Archives))
	for _, a := range m.Archives {
		out = append(out, a.Platform)
	}
	return out
}

// Build reads the SHA256SUMS file in dist, checks and copies every archive it lists into the
// mirror at out, and writes the network mirror's index.json and VERSION.json.
func Build(dist, out string, p Provider) (Mirror, error) {
	sums, err := filepath.Glob(filepath.Join(dist, "terraform-provider-"+p.Type+"_*_SHA256SUMS"))
	if err != nil {
		return Mirror{}, err
	}
	if len(sums) != 1 {
		return Mirror{}, fmt.Errorf("want one terraform-provider-%s_<version>_SHA256SUMS file in %s, found %d: run make release-snapshot first", p.Type, dist, len(sums))
	}
	version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(sums[0]), "terraform-provider-"+p.Type+"_"), "_SHA256SUMS")
	archives, err := readSums(sums[0], p.Type, version)
	if err != nil {
		return Mirror{}, err
	}
	if len(archives) == 0 {
		return Mirror{}, fmt.Errorf("%s lists no archive", sums[0])
	}
	dir := p.Dir(out)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Mirror{}, err
	}
	entries := map[string]map[string]any{}
	for _, a := range archives {
		if err := copyChecked(filepath.Join(dist, a.File), filepath.Join(dir, a.File), a.SHA256); err != nil {
			return Mirror{}, err
		}
		// Relative to VERSION.json, so the mirror can be served from any URL.
		entries[a.Platform] = map[string]any{"url": a.File, "hashes": []string{"zh:" + a.SHA256}}
	}
	// index.json lists every version in the folder, including ones an earlier run wrote.
	versions := map[string]any{version: map[string]any{}}
	if old, err := os.ReadFile(filepath.Join(dir, "index.json")); err == nil { //nolint:gosec // the mirror being written
		var idx struct {
			Versions map[string]any `json:"versions"`
		}
		if json.Unmarshal(old, &idx) == nil {
			for v := range idx.Versions {
				versions[v] = map[string]any{}
			}
		}
	}
	if err := writeJSON(filepath.Join(dir, "index.json"), map[string]any{"versions": versions}); err != nil {
		return Mirror{}, err
	}
	if err := writeJSON(filepath.Join(dir, version+".json"), map[string]any{"archives": entries}); err != nil {
		return Mirror{}, err
	}
	return Mirror{Version: version, Archives: archives}, nil
}

// readSums parses "<sha256>  <file>" lines, keeping the provider's zip archives.
func readSums(path, typ, version string) ([]Archive, error) {
	f, err := os.Open(path) //nolint:gosec // the release's own sums file
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := regexp.MustCompile(`^terraform-provider-` + regexp.QuoteMeta(typ) + `_` + regexp.QuoteMeta(version) + `_([a-z0-9]+_[a-z0-9]+)\.zip$`)
	var out []Archive
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		sum, file := fields[0], strings.TrimPrefix(fields[1], "*")
		m := name.FindStringSubmatch(file)
		if m == nil {
			continue // the manifest, or another file
		}
		if len(sum) != 64 {
			return nil, fmt.Errorf("%s: %q is not a SHA-256 sum", path, sum)
		}
		out = append(out, Archive{File: file, Platform: m[1], SHA256: strings.ToLower(sum)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out, sc.Err()
}

// copyChecked copies from to to and fails when the content's SHA-256 is not want.
func copyChecked(from, to, want string) error {
	in, err := os.Open(from) //nolint:gosec // an archive the sums file names
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	w, err := os.Create(tmp) //nolint:gosec // inside the mirror being written
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(w, h), in)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && hex.EncodeToString(h.Sum(nil)) != want {
		err = fmt.Errorf("%s does not match its SHA256SUMS entry", from)
	}
	if err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return os.Rename(tmp, to)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644) //nolint:gosec // served to Terraform; nothing secret
}
