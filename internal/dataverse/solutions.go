package dataverse

import (
	"context"
	"fmt"
	"strconv"
)

const setSolutions = "solutions"

// Solution is a solution of the environment, as a component's MSCRM.SolutionUniqueName names it.
type Solution struct {
	ID, UniqueName string
	// IsManaged is true for a solution imported as managed: no component can be added to it.
	IsManaged bool
}

type solutionRow struct {
	SolutionID string `json:"solutionid"`
	UniqueName string `json:"uniquename"`
	IsManaged  bool   `json:"ismanaged"`
}

// SolutionNamed reads the solution with the unique name once per client; unique names compare
// without case, as Dataverse compares them. None gives an error matching ErrNotFound, which is
// kept like an answer; a failed read is made again by the next call.
func (c *Client) SolutionNamed(ctx context.Context, uniqueName string) (*Solution, error) {
	s, err := c.solutions.read(ctx, uniqueName, "looking up solution "+strconv.Quote(uniqueName), func(ctx context.Context) (Solution, error) {
		rows, err := getCollection[solutionRow](ctx, c, &request{
			path: setSolutions,
			query: query{}.with("$filter", "uniquename eq "+QuoteString(uniqueName)).
				with("$select", "solutionid,uniquename,ismanaged"),
		}, 0)
		if err != nil {
			return Solution{}, err
		}
		if len(rows) == 0 {
			return Solution{}, fmt.Errorf("dataverse: no solution with unique name %q: %w", uniqueName, ErrNotFound)
		}
		return Solution{ID: rows[0].SolutionID, UniqueName: rows[0].UniqueName, IsManaged: rows[0].IsManaged}, nil
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// HasComponent reports whether the solution holds the row id (a webhook or a step) as one of its
// components.
func (c *Client) HasComponent(ctx context.Context, solutionID, id string) (bool, error) {
	if err := checkID("solution id", solutionID); err != nil {
		return false, err
	}
	if err := checkID("component id", id); err != nil {
		return false, err
	}
	rows, err := getCollection[struct {
		ID string `json:"solutioncomponentid"`
	}](ctx, c, &request{
		path: "solutioncomponents",
		query: query{}.with("$filter", "_solutionid_value eq "+solutionID+" and objectid eq "+id).
			with("$select", "solutioncomponentid").with("$top", "1"),
		prefer: []string{}, // $top asks for one row: no page-size preference
	}, 1)
	if err != nil {
		return false, err
	}
	return len(rows) > 0, nil
}
