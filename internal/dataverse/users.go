package dataverse

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"
)

// User is a systemuser: a person, or the application user of an app registration. A step runs
// as one when it has an impersonating user. Its tags are the row's columns.
type User struct {
	ID       string `json:"systemuserid"`
	FullName string `json:"fullname"`
}

var systemUserColumns = selectedColumns[User]()

// userCache holds the users the client found: many steps of a configuration run as one
// application user, whom a plan then asks about once.
type userCache struct {
	group singleflight.Group
	mu    sync.Mutex
	users map[string]User // by lower-case id
}

// ResolveUser reads the systemuser id once per client: later calls for a user it found are
// answered from memory, and concurrent calls for one id share a request. A missing row gives an
// error matching ErrNotFound, and is asked about again next time.
func (c *Client) ResolveUser(ctx context.Context, id string) (*User, error) {
	if err := checkID("user id", id); err != nil {
		return nil, err
	}
	key := strings.ToLower(id)
	c.users.mu.Lock()
	u, ok := c.users.users[key]
	c.users.mu.Unlock()
	if ok {
		return &u, nil
	}
	u, err := sharedRead(ctx, &c.users.group, key, "reading user "+id, func(ctx context.Context) (User, error) {
		var u User
		if err := c.getEntity(ctx, entityPath(setUsers, id), query{}.with("$select", joinColumns(systemUserColumns)), &u); err != nil {
			return User{}, err
		}
		c.users.mu.Lock()
		if c.users.users == nil {
			c.users.users = map[string]User{}
		}
		c.users.users[key] = u
		c.users.mu.Unlock()
		return u, nil
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
