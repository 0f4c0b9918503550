package dataverse_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/dataverse"
)

func TestTableColumns_oneRequestPerTable(t *testing.T) {
	t.Parallel()
	e, c := emulatorClient(t)
	ctx := context.Background()
	e.ResetStats()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cols, err := c.TableColumns(ctx, "Account")
			if err != nil {
				t.Error(err)
				return
			}
			if !slices.Contains(cols, "name") || !slices.Contains(cols, "telephone1") || slices.Contains(cols, "fullname") {
				t.Errorf("columns of account: %v", cols)
			}
		}()
	}
	wg.Wait()
	if _, err := c.TableColumns(ctx, "account"); err != nil {
		t.Fatal(err)
	}
	if n := e.Stats().Requests.ByEntitySet["EntityDefinitions"]; n != 1 {
		t.Errorf("%d metadata requests for one table, want 1", n)
	}
	if _, err := c.TableColumns(ctx, "nosuchtable"); !errors.Is(err, dataverse.ErrNotFound) {
		t.Errorf("unknown table: %v, want ErrNotFound", err)
	}
	if _, err := c.TableColumns(ctx, "acc')/x"); err == nil {
		t.Error("a table name that is not a logical name was sent")
	}
}

// Two column lists are the same when Dataverse reads them as the same columns.
func TestSameColumns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a, b []string
		want bool
	}{
		{"both nil", nil, nil, true},
		{"nil and empty", nil, []string{}, true},
		{"nil and blanks", nil, []string{" ", ""}, true},
		{"empty and one", nil, []string{"name"}, false},
		{"equal", []string{"name"}, []string{"name"}, true},
		{"case", []string{"Name"}, []string{"name"}, true},
		{"order", []string{"name", "telephone1"}, []string{"telephone1", "name"}, true},
		{"spaces", []string{" name", "telephone1 "}, []string{"name", "telephone1"}, true},
		{"repeats differing in case", []string{"Name", "name"}, []string{"name"}, true},
		{"one more", []string{"name"}, []string{"name", "telephone1"}, false},
		{"other column", []string{"name"}, []string{"fullname"}, false},
		{"repeat is not another column", []string{"name", "name"}, []string{"name", "telephone1"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := dataverse.SameColumns(c.a, c.b); got != c.want {
				t.Errorf("SameColumns(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
			}
			if got := dataverse.SameColumns(c.b, c.a); got != c.want {
				t.Errorf("SameColumns(%q, %q) = %v, want %v", c.b, c.a, got, c.want)
			}
		})
	}
}
