package dataverse

import "context"

// User is a systemuser: a person, or the application user of an app registration. A step runs
// as one when it has an impersonating user. Its tags are the row's columns.
type User struct {
	ID       string `json:"systemuserid"`
	FullName string `json:"fullname"`
}

var systemUserColumns = selectedColumns[User]()

// ResolveUser reads the systemuser id once per client: later calls for a user it found are
// answered from memory, and concurrent calls for one id share a request. A missing row gives an
// error matching ErrNotFound, and is asked about again next time.
func (c *Client) ResolveUser(ctx context.Context, id string) (*User, error) {
	if err := checkID("user id", id); err != nil {
		return nil, err
	}
	u, err := c.users.read(ctx, id, "reading user "+id, func(ctx context.Context) (User, error) {
		var u User
		err := c.getEntity(ctx, entityPath(setUsers, id), query{}.with("$select", joinColumns(systemUserColumns)), &u)
		return u, err
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
