package emulator

import (
	"go/build"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const (
	modulePath = "github.com/dataverse-terraform/terraform-provider-dataverse"
	clientPath = modulePath + "/internal/dataverse"
)

// The emulator is an independent model of Dataverse built from captures of the real service.
// Were it to share the client's rule tables, a wrong rule would be mirrored on both sides and
// every test would pass. No emulator package may depend on the client, directly or through
// another package of the module; nor may the emulator's own tests, which hold it to the
// captures. The only exception is a fuzz test of the odata parser, which checks that the
// client's string quoting reads back unchanged: it uses the client's encoder, not its rules.
func TestEmulatorDoesNotImportTheClient(t *testing.T) {
	t.Parallel()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the emulator's sources")
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(here))) // the module root
	allowedTestImport := filepath.Join(root, "internal", "emulator", "odata", "agree_test.go")

	seen := map[string]bool{}
	var visit func(importPath string, chain []string)
	visit = func(importPath string, chain []string) {
		if seen[importPath] {
			return
		}
		seen[importPath] = true
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(importPath, modulePath+"/")))
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("reading %s: %v", importPath, err)
		}
		chain = append(chain, importPath)
		imports := pkg.Imports
		if strings.HasPrefix(importPath, modulePath+"/internal/emulator") {
			// The emulator's own tests count too.
			for _, list := range []map[string][]string{positions(pkg.TestImportPos), positions(pkg.XTestImportPos)} {
				for imp, files := range list {
					for _, f := range files {
						if imp == clientPath && f != allowedTestImport {
							t.Errorf("%s imports the client (%s)", f, clientPath)
						}
					}
					if imp != clientPath {
						imports = append(imports, imp)
					}
				}
			}
		}
		for _, imp := range imports {
			switch {
			case imp == clientPath || strings.HasPrefix(imp, clientPath+"/"):
				t.Errorf("%s depends on the client: %s → %s", chain[0], strings.Join(chain, " → "), imp)
			case strings.HasPrefix(imp, modulePath+"/"):
				visit(imp, chain)
			}
		}
	}
	for _, sub := range []string{"", "/odata", "/entra", "/dvuser"} {
		visit(modulePath+"/internal/emulator"+sub, nil)
	}
	if !seen[modulePath+"/internal/emulator/odata"] {
		t.Fatal("the walk did not reach the emulator's sub-packages; the check would pass vacuously")
	}
}

// positions flattens an ImportPos map to the files that import each path.
func positions[P interface{ String() string }](m map[string][]P) map[string][]string {
	out := map[string][]string{}
	for imp, ps := range m {
		for _, p := range ps {
			name := p.String()
			if i := strings.Index(name, ":"); i >= 0 {
				name = name[:i]
			}
			out[imp] = append(out[imp], name)
		}
	}
	return out
}
