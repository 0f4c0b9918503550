package dataverse

import (
	"errors"
	"fmt"
)

// rowChanges is the body of an update, built from the fields a caller set (a nil field is left
// as it is). It keeps the first value it refuses, and then the update is not sent.
type rowChanges struct {
	row map[string]any
	err error
}

func newRowChanges() *rowChanges { return &rowChanges{row: map[string]any{}} }

// required sets a text column that cannot be empty; need says what an empty value lacks, as in
// "a step needs a name".
func (p *rowChanges) required(column string, v *string, need string) {
	if v == nil || p.err != nil {
		return
	}
	if *v == "" {
		p.err = errors.New("dataverse: " + need)
		return
	}
	p.row[column] = *v
}

// clearable sets a text column that an empty value clears.
func (p *rowChanges) clearable(column string, v *string) {
	if v != nil {
		p.row[column] = nullIfEmpty(*v)
	}
}

// columns sets a column that holds a list of column names, cleaned; an empty list clears it.
func (p *rowChanges) columns(column string, v *[]string) {
	if v != nil {
		p.row[column] = columnListValue(*v)
	}
}

// setChoice sets a choice column to a known value of its type; what names the type, as in
// "a step mode".
func setChoice[T interface {
	~int
	valid() bool
	String() string
}](p *rowChanges, column string, v *T, what string) {
	if v == nil || p.err != nil {
		return
	}
	if !(*v).valid() {
		p.err = fmt.Errorf("dataverse: %s is not %s", (*v).String(), what)
		return
	}
	p.row[column] = int(*v)
}
