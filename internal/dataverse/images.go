package dataverse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

const setStepImages = "sdkmessageprocessingstepimages"

// StepImage is an sdkmessageprocessingstepimage row: a snapshot of the row passed to the step.
type StepImage struct {
	ID, StepID, Name, EntityAlias string
	ImageType                     ImageType
	Attributes                    []string // nil means all columns
	MessagePropertyName           string   // see ImageMessageProperty: Id for Create, Target for Update and Delete
}

// StepImageCreate describes a new step image.
type StepImageCreate struct {
	ID, StepID, Name, EntityAlias string // ID optional; a random v4 GUID is generated when empty
	ImageType                     ImageType
	Attributes                    []string
	MessagePropertyName           string
}

// StepImageUpdate lists the columns to change; nil leaves a column unchanged. Attributes pointing
// to an empty or nil slice clears the column (all columns).
type StepImageUpdate struct {
	Name, EntityAlias   *string
	ImageType           *ImageType
	Attributes          *[]string
	MessagePropertyName *string
}

// CreateStepImage registers an image on a step and returns it as stored.
func (c *Client) CreateStepImage(ctx context.Context, in StepImageCreate) (*StepImage, error) {
	id, err := idOrNew("step image id", in.ID)
	if err != nil {
		return nil, err
	}
	if err := checkID("step id", in.StepID); err != nil {
		return nil, err
	}
	if !in.ImageType.valid() {
		return nil, fmt.Errorf("dataverse: %s is not an image type", in.ImageType)
	}
	if in.EntityAlias == "" {
		return nil, errors.New("dataverse: a step image needs an entity alias")
	}
	if in.MessagePropertyName == "" {
		return nil, errors.New("dataverse: a step image needs a message property name")
	}
	row := map[string]any{
		"sdkmessageprocessingstepimageid":       id,
		"sdkmessageprocessingstepid@odata.bind": bindPath(setSteps, in.StepID),
		"name":                                  cmp.Or(in.Name, in.EntityAlias),
		"entityalias":                           in.EntityAlias,
		"imagetype":                             int(in.ImageType),
		"messagepropertyname":                   in.MessagePropertyName,
	}
	if attrs := columnListValue(in.Attributes); attrs != nil {
		row["attributes"] = attrs
	}
	r, err := rowRequest(http.MethodPost, setStepImages, row, stepImageColumns)
	if err != nil {
		return nil, err
	}
	created, err := createRow(ctx, c, r, id, c.GetStepImage, func(out stepImageRow) (*StepImage, error) {
		return stepImageFromRow(out), nil
	})
	c.recordImage(created, err, id)
	c.imageSnapState.uncover(in.StepID) // its images are no longer the ones listed
	return created, err
}

// ListImagesOfSteps returns the images of several steps, keyed by lower-case step id, in one
// paged query per 40 steps rather than one per step.
func (c *Client) ListImagesOfSteps(ctx context.Context, stepIDs []string) (map[string][]StepImage, error) {
	for _, id := range stepIDs {
		if err := checkID("step id", id); err != nil {
			return nil, err
		}
	}
	rows, err := getRowsByIDs[stepImageRow](ctx, c, stepIDs, 0, func(chunk []string) *request {
		filter, aliases := anyOfIDs("_sdkmessageprocessingstepid_value", "s", chunk)
		return &request{path: setStepImages, query: append(query{}.with("$select", joinColumns(stepImageColumns)).with("$filter", filter), aliases...)}
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]StepImage{}
	for _, row := range rows {
		img := stepImageFromRow(row)
		key := strings.ToLower(img.StepID)
		out[key] = append(out[key], *img)
	}
	for _, images := range out {
		slices.SortFunc(images, imagesByNameThenID)
	}
	return out, nil
}

// GetStepImage reads one step image. A missing row gives an error matching ErrNotFound.
func (c *Client) GetStepImage(ctx context.Context, id string) (*StepImage, error) {
	if err := checkID("step image id", id); err != nil {
		return nil, err
	}
	var row stepImageRow
	if err := c.getEntity(ctx, entityPath(setStepImages, id), query{}.with("$select", joinColumns(stepImageColumns)), &row); err != nil {
		c.recordImage(nil, err, id)
		return nil, err
	}
	img := stepImageFromRow(row)
	c.recordImage(img, nil, id)
	return img, nil
}

// UpdateStepImage changes the given columns of an existing step image and returns it as stored.
func (c *Client) UpdateStepImage(ctx context.Context, id string, in StepImageUpdate) (*StepImage, error) {
	if err := checkID("step image id", id); err != nil {
		return nil, err
	}
	p := newRowChanges()
	p.required("name", in.Name, "a step image needs a name")
	p.required("entityalias", in.EntityAlias, "a step image needs an entity alias")
	setChoice(p, "imagetype", in.ImageType, "an image type")
	p.columns("attributes", in.Attributes)
	p.required("messagepropertyname", in.MessagePropertyName, "a step image needs a message property name")
	if p.err != nil {
		return nil, p.err
	}
	updated, err := updateRow(ctx, c, entityPath(setStepImages, id), p.row, stepImageColumns, nil,
		func(ctx context.Context) (*StepImage, error) { return c.GetStepImage(ctx, id) },
		func(out stepImageRow) (*StepImage, error) { return stepImageFromRow(out), nil })
	c.recordImage(updated, err, id)
	return updated, err
}

// DeleteStepImage deletes a step image. A missing row gives an error matching ErrNotFound.
func (c *Client) DeleteStepImage(ctx context.Context, id string) error {
	if err := checkID("step image id", id); err != nil {
		return err
	}
	defer c.imageSnap.forget(id)
	return c.delete(ctx, entityPath(setStepImages, id))
}

// ListStepImages returns the images of a step, sorted by name then id.
func (c *Client) ListStepImages(ctx context.Context, stepID string) ([]StepImage, error) {
	if err := checkID("step id", stepID); err != nil {
		return nil, err
	}
	rows, err := getCollection[stepImageRow](ctx, c, &request{
		path: setStepImages,
		query: query{}.
			with("$select", joinColumns(stepImageColumns)).
			with("$filter", "_sdkmessageprocessingstepid_value eq "+stepID),
	}, 0)
	if err != nil {
		return nil, err
	}
	out := make([]StepImage, 0, len(rows))
	for _, row := range rows {
		out = append(out, *stepImageFromRow(row))
	}
	slices.SortFunc(out, imagesByNameThenID)
	return out, nil
}

// imagesByNameThenID orders images as every listing returns them.
func imagesByNameThenID(a, b StepImage) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
}

func stepImageFromRow(row stepImageRow) *StepImage {
	return &StepImage{
		ID:                  row.ID,
		StepID:              row.StepID,
		Name:                row.Name,
		EntityAlias:         row.EntityAlias,
		ImageType:           ImageType(row.ImageType),
		Attributes:          splitColumns(row.Attributes),
		MessagePropertyName: row.MessagePropertyName,
	}
}
