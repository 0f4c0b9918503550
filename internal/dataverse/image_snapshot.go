package dataverse

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The images of webhook steps are read from a snapshot too (ImageFromSnapshot,
// ImagesOfStepFromSnapshot), but only once it pays: it costs one query per 40 steps of the step
// snapshot, however few images the caller reads, so the first reads go to the server one by
// one, and the snapshot is loaded when those reads reach its cost. A refresh then costs at most
// twice the cheaper of the two ways, whatever the share of the environment it manages.

// imageSnapshotState is what the client knows of the image snapshot besides its rows.
type imageSnapshotState struct {
	reads atomic.Int64 // image reads before the snapshot was loaded
	// imagesOfStep lists, by lower-case step id, the ids of each step's images when the
	// snapshot was loaded. A step's images are answered from the snapshot only while every one
	// of them is still in it: a row dropped for doubt (a failed write, a change during the
	// load) sends the step's listing to the server. A step that gains an image through the
	// client leaves the list.
	mu           sync.Mutex
	imagesOfStep map[string][]string
	// loading and changedInLoad keep out of a load's lists the steps uncovered while it ran.
	loading       bool
	changedInLoad map[string]bool
}

func (s *imageSnapshotState) imagesOf(stepID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, ok := s.imagesOfStep[strings.ToLower(stepID)]
	return ids, ok
}

func (s *imageSnapshotState) uncover(stepID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(stepID)
	delete(s.imagesOfStep, key)
	if s.loading {
		s.changedInLoad[key] = true
	}
}

func (s *imageSnapshotState) startLoad() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loading, s.changedInLoad = true, map[string]bool{}
}

// finishLoad keeps the lists of a load, without the steps uncovered while it ran; nil when the
// load failed.
func (s *imageSnapshotState) finishLoad(imagesOfStep map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for step := range s.changedInLoad {
		delete(imagesOfStep, step)
	}
	s.imagesOfStep, s.loading, s.changedInLoad = imagesOfStep, false, nil
}

// imageSnapshotPays counts one image read and reports whether the image snapshot is, or is now
// worth being, the answer: the step snapshot is loaded (its size is the image snapshot's cost),
// and the reads so far have cost as much as loading it would.
func (c *Client) imageSnapshotPays() bool {
	if c.imageSnap.isReady() {
		return true
	}
	if !c.stepSnap.isReady() {
		return false
	}
	cost := (len(c.stepSnap.ids()) + stepHandlerChunk - 1) / stepHandlerChunk
	return c.imageSnapState.reads.Add(1) > int64(cost)
}

// ImageFromSnapshot returns one step image, from the snapshot of the images of every step of the
// step snapshot (see StepFromSnapshot) once that pays, else with GetStepImage; an image the
// snapshot lacks is read with GetStepImage, so a missing row gives ErrNotFound only when the
// server confirms it. Writes through this client keep the snapshot current; GetStepImage always
// asks the server.
func (c *Client) ImageFromSnapshot(ctx context.Context, id string) (*StepImage, error) {
	if !c.imageSnapshotPays() {
		return c.GetStepImage(ctx, id)
	}
	return fromSnapshot(ctx, &c.imageSnap, c.loadImageSnapshot, "step image", id, c.GetStepImage, StepImage.clone)
}

// ImagesOfStepFromSnapshot returns the images of a step, sorted by name then id, from the image
// snapshot once that pays and holds the step, else with ListStepImages.
func (c *Client) ImagesOfStepFromSnapshot(ctx context.Context, stepID string) ([]StepImage, error) {
	if err := checkID("step id", stepID); err != nil {
		return nil, err
	}
	if c.imageSnapshotPays() {
		ready, err := c.imageSnap.ensure(ctx, c.loadImageSnapshot)
		if err != nil {
			return nil, err
		}
		if ids, covered := c.imageSnapState.imagesOf(stepID); ready && covered {
			out, complete := make([]StepImage, 0, len(ids)), true
			for _, id := range ids {
				img, ok := c.imageSnap.lookup(id)
				if !ok {
					complete = false
					break
				}
				out = append(out, *img.clone())
			}
			if complete {
				slices.SortFunc(out, imagesByNameThenID)
				return out, nil
			}
		}
	}
	return c.ListStepImages(ctx, stepID)
}

func (c *Client) loadImageSnapshot(ctx context.Context) (map[string]StepImage, error) {
	c.imageSnapState.startLoad()
	steps := c.stepSnap.ids()
	byStep, err := c.ListImagesOfSteps(ctx, steps)
	if err != nil {
		c.imageSnapState.finishLoad(nil)
		return nil, err
	}
	imagesOfStep := make(map[string][]string, len(steps))
	for _, id := range steps {
		imagesOfStep[strings.ToLower(id)] = []string{}
	}
	var all []StepImage
	for step, images := range byStep {
		for _, img := range images {
			imagesOfStep[step] = append(imagesOfStep[step], img.ID)
		}
		all = append(all, images...)
	}
	c.imageSnapState.finishLoad(imagesOfStep)
	return byLowerID(all, func(img StepImage) string { return img.ID }), nil
}

// clone copies an image so that callers never share its slice with the snapshot.
func (img StepImage) clone() *StepImage {
	img.Attributes = slices.Clone(img.Attributes)
	return &img
}

// recordImage keeps the image snapshot current after a write or fresh read of image id.
func (c *Client) recordImage(img *StepImage, err error, id string) {
	if err != nil || img == nil {
		c.imageSnap.forget(id)
		return
	}
	c.imageSnap.put(img.ID, *img.clone())
}

// forgetImagesOfSteps drops the images of deleted steps, which Dataverse deletes with them.
func (c *Client) forgetImagesOfSteps(stepIDs map[string]bool) {
	c.imageSnap.forgetWhere(func(_ string, img StepImage) bool { return stepIDs[strings.ToLower(img.StepID)] })
}
