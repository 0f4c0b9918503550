package dataverse

import "context"

// User is a systemuser: a person, or the application user of an app registration. A step runs
// as one when it has an impersonating user.
type User struct {
	ID       string
	FullName string
}

type systemUserRow struct {
	ID       string `json:"systemuserid"`
	FullName string `json:"fullname"`
}

var systemUserColumns = selectedColumns[systemUserRow]()

// GetUser reads the systemuser id. A missing row gives an error matching ErrNotFound.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	if err := checkID("user id", id); err != nil {
		return nil, err
	}
	var row systemUserRow
	if err := c.getEntity(ctx, entityPath(setUsers, id), query{}.with("$select", joinColumns(systemUserColumns)), &row); err != nil {
		return nil, err
	}
	return &User{ID: row.ID, FullName: row.FullName}, nil
}
