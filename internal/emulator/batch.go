package emulator

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/emulator/odata"
)

// The Web API's $batch (Microsoft's "Execute batch operations using the Web API"): a
// multipart/mixed body of operations, each an application/http part, and of changesets, nested
// multipart/mixed parts whose operations run in one transaction. The answer is multipart/mixed
// too, one part per operation; a changeset that fails answers with the failing operation only,
// and none of its operations stays applied. Without Prefer: odata.continue-on-error the first
// failure, of an operation or a changeset, ends the batch, which answers with its status (the
// article's "Handling errors"); with it the batch goes on and answers 200. A $batch counts as one
// request toward service protection.

// maxBatchBody bounds what one $batch may hold.
const maxBatchBody = 16 << 20

// maxBatchOperations is Dataverse's documented limit of operations in one $batch.
const maxBatchOperations = 1000

// batchAnswer is the recorded answer of one operation.
type batchAnswer struct {
	contentID string
	rec       *httptest.ResponseRecorder
}

func (e *Emulator) serveBatch(c *call) {
	if c.r.Method != http.MethodPost {
		writeAPIError(c.w, methodNotAllowed(c.r.Method))
		return
	}
	boundary, apiErr := multipartBoundary(c.r.Header.Get("Content-Type"))
	if apiErr != nil {
		writeAPIError(c.w, apiErr)
		return
	}
	parts := multipart.NewReader(io.LimitReader(c.r.Body, maxBatchBody), boundary)
	var out bytes.Buffer
	answerBoundary := "batchresponse_" + newGUID()
	dropped, operations := false, 0
	continueOnError := continuesOnError(c.r.Header)
	status := http.StatusOK
	for status == http.StatusOK {
		part, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeAPIError(c.w, badBatch("the batch body is not valid multipart/mixed: %v", err))
			return
		}
		partType := part.Header.Get("Content-Type")
		var answers []batchAnswer
		var changesetBoundary string
		switch {
		case strings.HasPrefix(strings.ToLower(partType), "multipart/mixed"):
			inner, apiErr := multipartBoundary(partType)
			if apiErr != nil {
				writeAPIError(c.w, apiErr)
				return
			}
			ops, apiErr := readBatchOperations(multipart.NewReader(part, inner))
			if apiErr != nil {
				writeAPIError(c.w, apiErr)
				return
			}
			if operations += len(ops); operations > maxBatchOperations {
				writeAPIError(c.w, badBatch("a batch holds at most %d operations", maxBatchOperations))
				return
			}
			answers = e.runChangeset(c, ops, &dropped)
			if len(answers) > 1 || (len(answers) == 1 && answers[0].rec.Code < 400) {
				changesetBoundary = "changesetresponse_" + newGUID()
			}
		case strings.HasPrefix(strings.ToLower(partType), "application/http"):
			op, apiErr := readBatchOperation(part)
			if apiErr != nil {
				writeAPIError(c.w, apiErr)
				return
			}
			if operations++; operations > maxBatchOperations {
				writeAPIError(c.w, badBatch("a batch holds at most %d operations", maxBatchOperations))
				return
			}
			e.tx.RLock()
			answers = []batchAnswer{e.runBatchOperation(c, op, &dropped)}
			e.tx.RUnlock()
		default:
			writeAPIError(c.w, badBatch("a batch part has content type '%s'", partType))
			return
		}
		writeBatchAnswers(&out, answerBoundary, changesetBoundary, answers)
		if len(answers) > 0 && answers[len(answers)-1].rec.Code >= 400 && !continueOnError {
			status = answers[len(answers)-1].rec.Code
		}
	}
	fmt.Fprintf(&out, "--%s--\r\n", answerBoundary)
	if dropped {
		e.stats.add(&e.stats.dropped)
		e.log.Debug("dropping the response of a committed batch")
		panic(http.ErrAbortHandler)
	}
	c.w.Header().Set("Content-Type", "multipart/mixed; boundary="+answerBoundary)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(out.Bytes())
}

// continuesOnError reports Prefer: odata.continue-on-error on a $batch.
func continuesOnError(h http.Header) bool {
	for _, line := range h.Values("Prefer") {
		for _, part := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.EqualFold(strings.TrimSpace(name), "odata.continue-on-error") && !strings.EqualFold(strings.TrimSpace(value), "false") {
				return true
			}
		}
	}
	return false
}

// runChangeset runs ops as one transaction: no other request runs meanwhile, and the first
// failure undoes what the ones before it wrote and is the changeset's only answer.
func (e *Emulator) runChangeset(c *call, ops []*http.Request, dropped *bool) []batchAnswer {
	e.tx.Lock()
	defer e.tx.Unlock()
	e.store.mu.Lock()
	e.store.journal = &[]journalEntry{}
	e.store.mu.Unlock()
	defer func() {
		e.store.mu.Lock()
		e.store.journal = nil
		started := e.store.onCommit
		e.store.onCommit = nil
		for _, start := range started { // empty after a rollback
			start()
		}
		e.store.mu.Unlock()
	}()
	var answers []batchAnswer
	for _, op := range ops {
		var opDropped bool
		a := e.runBatchOperation(c, op, &opDropped)
		if a.rec.Code >= 400 {
			e.store.mu.Lock()
			e.store.rollBack()
			e.store.mu.Unlock()
			return []batchAnswer{a}
		}
		*dropped = *dropped || opDropped
		answers = append(answers, a)
	}
	return answers
}

// runBatchOperation routes one operation of a batch as the batch's caller.
func (e *Emulator) runBatchOperation(c *call, op *http.Request, dropped *bool) batchAnswer {
	rec := httptest.NewRecorder()
	rec.Header().Set("OData-Version", "4.0")
	a := batchAnswer{contentID: op.Header.Get("Content-ID"), rec: rec}
	rest, ok := strings.CutPrefix(op.URL.Path, "/api/data/")
	version, resource, _ := strings.Cut(rest, "/")
	if !ok || !webAPIVersions[version] {
		writeAPIError(rec, newError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", op.URL.Path))
		return a
	}
	if strings.HasPrefix(resource, "$batch") {
		writeAPIError(rec, badBatch("a batch cannot hold another batch"))
		return a
	}
	q, err := odata.ParseRawQuery(op.URL.RawQuery)
	if err != nil {
		writeAPIError(rec, fromOData(err))
		return a
	}
	inner := &call{
		w:              rec,
		r:              op.WithContext(c.r.Context()),
		base:           c.base,
		path:           resource,
		query:          q,
		user:           c.user,
		initiatingUser: c.initiatingUser,
		prefer:         parsePrefer(op.Header),
		correlationID:  newGUID(),
		requestID:      newGUID(),
		dropped:        dropped,
	}
	e.route(inner)
	return a
}

func writeBatchAnswers(out *bytes.Buffer, boundary, changesetBoundary string, answers []batchAnswer) {
	if changesetBoundary == "" {
		for _, a := range answers {
			fmt.Fprintf(out, "--%s\r\n", boundary)
			writeBatchAnswer(out, a)
		}
		return
	}
	fmt.Fprintf(out, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", boundary, changesetBoundary)
	for _, a := range answers {
		fmt.Fprintf(out, "--%s\r\n", changesetBoundary)
		writeBatchAnswer(out, a)
	}
	fmt.Fprintf(out, "--%s--\r\n", changesetBoundary)
}

func writeBatchAnswer(out *bytes.Buffer, a batchAnswer) {
	out.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	if a.contentID != "" {
		fmt.Fprintf(out, "Content-ID: %s\r\n", a.contentID)
	}
	fmt.Fprintf(out, "\r\nHTTP/1.1 %d %s\r\n", a.rec.Code, http.StatusText(a.rec.Code))
	_ = a.rec.Header().Write(out)
	out.WriteString("\r\n")
	out.Write(a.rec.Body.Bytes())
	out.WriteString("\r\n")
}

func multipartBoundary(contentType string) (string, *apiError) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(media, "multipart/mixed") || params["boundary"] == "" {
		return "", badBatch("a batch body must be multipart/mixed with a boundary, not '%s'", contentType)
	}
	return params["boundary"], nil
}

func readBatchOperations(r *multipart.Reader) ([]*http.Request, *apiError) {
	var ops []*http.Request
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return ops, nil
		}
		if err != nil {
			return nil, badBatch("a changeset is not valid multipart/mixed: %v", err)
		}
		if !strings.HasPrefix(strings.ToLower(part.Header.Get("Content-Type")), "application/http") {
			return nil, badBatch("a changeset part has content type '%s'", part.Header.Get("Content-Type"))
		}
		op, apiErr := readBatchOperation(part)
		if apiErr != nil {
			return nil, apiErr
		}
		if op.Method == http.MethodGet {
			return nil, badBatch("a changeset holds writes only, not GET")
		}
		ops = append(ops, op)
	}
}

// readBatchOperation parses one application/http part. An operation's body runs to the end of
// its part; Content-Length is optional.
func readBatchOperation(part *multipart.Part) (*http.Request, *apiError) {
	br := bufio.NewReader(part)
	op, err := http.ReadRequest(br)
	if err != nil {
		return nil, badBatch("a batch operation is not an HTTP request: %v", err)
	}
	var body []byte
	if op.ContentLength > 0 {
		body, err = io.ReadAll(op.Body)
	} else {
		body, err = io.ReadAll(br)
	}
	if err != nil {
		return nil, badBatch("a batch operation's body could not be read: %v", err)
	}
	body = bytes.TrimRight(body, "\r\n")
	op.Body, op.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	op.Header.Set("Content-ID", part.Header.Get("Content-ID"))
	return op, nil
}

func badBatch(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidArgument, format, args...)
}
