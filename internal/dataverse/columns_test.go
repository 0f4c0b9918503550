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
