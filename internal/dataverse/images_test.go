package dataverse

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

const imageSelect = "sdkmessageprocessingstepimageid,_sdkmessageprocessingstepid_value,name,entityalias,imagetype,attributes,messagepropertyname"

func imageRowJSON(name string) map[string]any {
	return map[string]any{
		"sdkmessageprocessingstepimageid":   imageID,
		"_sdkmessageprocessingstepid_value": stepID,
		"name":                              name,
		"entityalias":                       "pre",
		"imagetype":                         0,
		"attributes":                        "name,revenue",
		"messagepropertyname":               "Target",
	}
}

func TestStepImageRequests(t *testing.T) {
	t.Parallel()
	wantImage := StepImage{ID: imageID, StepID: stepID, Name: "pre", EntityAlias: "pre", ImageType: ImageTypePreImage,
		Attributes: []string{"name", "revenue"}, MessagePropertyName: "Target"}
	tests := []struct {
		name string
		call func(c *Client) (any, error)
		want want
		out  any
	}{
		{
			name: "create",
			call: func(c *Client) (any, error) {
				return c.CreateStepImage(context.Background(), StepImageCreate{ID: imageID, StepID: stepID, Name: "pre", EntityAlias: "pre",
					ImageType: ImageTypePreImage, Attributes: []string{"name", "revenue"}, MessagePropertyName: "Target"})
			},
			want: want{
				Method: http.MethodPost, Path: "sdkmessageprocessingstepimages",
				Query:  map[string]string{"$select": imageSelect},
				Header: map[string]string{"Prefer": "return=representation"},
				Body: `{"sdkmessageprocessingstepimageid":"` + imageID + `","sdkmessageprocessingstepid@odata.bind":"/sdkmessageprocessingsteps(` + stepID + `)",
					"name":"pre","entityalias":"pre","imagetype":0,"attributes":"name,revenue","messagepropertyname":"Target"}`,
			},
			out: &wantImage,
		},
		{
			name: "get",
			call: func(c *Client) (any, error) { return c.GetStepImage(context.Background(), imageID) },
			want: want{Method: http.MethodGet, Path: "sdkmessageprocessingstepimages(" + imageID + ")", Query: map[string]string{"$select": imageSelect}},
			out:  &wantImage,
		},
		{
			name: "update",
			call: func(c *Client) (any, error) {
				return c.UpdateStepImage(context.Background(), imageID, StepImageUpdate{ImageType: new(ImageTypeBoth), Attributes: new([]string{})})
			},
			want: want{
				Method: http.MethodPatch, Path: "sdkmessageprocessingstepimages(" + imageID + ")",
				Query:  map[string]string{"$select": imageSelect},
				Header: map[string]string{"Prefer": "return=representation", "If-Match": "*"},
				Body:   `{"imagetype":2,"attributes":null}`,
			},
			out: &wantImage,
		},
		{
			name: "list",
			call: func(c *Client) (any, error) { return c.ListStepImages(context.Background(), stepID) },
			want: want{
				Method: http.MethodGet, Path: "sdkmessageprocessingstepimages",
				Query:  map[string]string{"$select": imageSelect, "$filter": "_sdkmessageprocessingstepid_value eq " + stepID},
				Header: map[string]string{"Prefer": "odata.maxpagesize=5000"},
			},
			out: []StepImage{wantImage},
		},
		{
			name: "delete",
			call: func(c *Client) (any, error) { return nil, c.DeleteStepImage(context.Background(), imageID) },
			want: want{Method: http.MethodDelete, Path: "sdkmessageprocessingstepimages(" + imageID + ")"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
				switch r.Method {
				case http.MethodDelete:
					w.WriteHeader(http.StatusNoContent)
				case http.MethodPost:
					writeJSON(w, http.StatusCreated, imageRowJSON("pre"))
				default:
					if r.URL.Path == APIPath+"sdkmessageprocessingstepimages" {
						writeJSON(w, http.StatusOK, map[string]any{"value": []any{imageRowJSON("pre")}})
						return
					}
					writeJSON(w, http.StatusOK, imageRowJSON("pre"))
				}
			})
			got, err := tt.call(h.client)
			if err != nil {
				t.Fatal(err)
			}
			checkRequest(t, h.onlyRequest(), tt.want)
			if tt.out != nil && !reflect.DeepEqual(got, tt.out) {
				t.Errorf("got %+v, want %+v", got, tt.out)
			}
		})
	}
}

func TestStepImageMissing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int, body string) {
		writeError(w, http.StatusNotFound, "0x80040217", "Does Not Exist")
	})
	if _, err := h.client.GetStepImage(context.Background(), imageID); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}
