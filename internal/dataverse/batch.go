package dataverse

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
)

// A changeset is a $batch part whose operations Dataverse runs in one transaction: all of them
// commit or none does, and no other request sees the rows between them. The provider uses one
// where two writes must land together, such as a step and the state that disables it.

// changesetOp is one operation of a changeset.
type changesetOp struct {
	method string
	path   string // relative to the API base, as in request.path
	query  query
	body   []byte
	prefer []string
	// ifMatchAny sends If-Match: * so a PATCH never creates a row.
	ifMatchAny bool
}

// setBatch is the Web API's $batch endpoint.
const setBatch = "$batch"

// changesetRequest builds the $batch request that runs ops as one changeset. The answer is read
// by attempt as the last operation's answer, or the failing operation's.
func (c *Client) changesetRequest(ops []changesetOp, solution string) *request {
	batchBoundary, changesetBoundary := "batch_"+randomBoundary(), "changeset_"+randomBoundary()
	var set bytes.Buffer
	for i, op := range ops {
		u := *c.base
		u.Path += op.path
		u.RawPath = c.base.EscapedPath() + op.path
		u.RawQuery = op.query.encode()
		fmt.Fprintf(&set, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: %d\r\n\r\n", changesetBoundary, i+1)
		fmt.Fprintf(&set, "%s %s HTTP/1.1\r\n", op.method, u.String())
		set.WriteString("Content-Type: application/json; type=entry\r\n")
		if len(op.prefer) > 0 {
			fmt.Fprintf(&set, "Prefer: %s\r\n", strings.Join(op.prefer, ","))
		}
		if op.ifMatchAny {
			set.WriteString("If-Match: *\r\n")
		}
		if solution != "" {
			fmt.Fprintf(&set, "MSCRM.SolutionUniqueName: %s\r\n", solution)
		}
		set.WriteString("\r\n")
		set.Write(op.body)
		set.WriteString("\r\n")
	}
	fmt.Fprintf(&set, "--%s--\r\n", changesetBoundary)

	var body bytes.Buffer
	fmt.Fprintf(&body, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", batchBoundary, changesetBoundary)
	body.Write(set.Bytes())
	fmt.Fprintf(&body, "\r\n--%s--\r\n", batchBoundary)
	return &request{
		method:      http.MethodPost,
		path:        setBatch,
		body:        body.Bytes(),
		contentType: "multipart/mixed; boundary=" + batchBoundary,
		changeset:   true,
		solution:    solution,
	}
}

func randomBoundary() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// changesetAnswer is the answer of one operation of a changeset.
type changesetAnswer struct {
	status int
	header http.Header
	body   []byte
}

// errUnreadableBatch is an answer to a $batch that is not the multipart answer Dataverse sends.
var errUnreadableBatch = errors.New("the answer to the $batch request is not a multipart batch answer")

// readChangesetAnswer finds, in the answer to a one-changeset $batch, the answer that decides
// the changeset: the first operation that failed (Dataverse then rolled all of them back), or
// else the last one.
func readChangesetAnswer(contentType string, body []byte) (changesetAnswer, error) {
	answers, err := readBatchParts(contentType, bytes.NewReader(body), 0)
	if err != nil {
		return changesetAnswer{}, err
	}
	if len(answers) == 0 {
		return changesetAnswer{}, fmt.Errorf("%w: it holds no operation", errUnreadableBatch)
	}
	for _, a := range answers {
		if a.status < 200 || a.status > 299 {
			return a, nil
		}
	}
	return answers[len(answers)-1], nil
}

// isMultipart reports a multipart/mixed content type, the form of every $batch answer.
func isMultipart(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(media, "multipart/mixed")
}

// maxBatchDepth bounds the nesting of multipart answers: a batch holds changesets, which hold
// operations.
const maxBatchDepth = 2

// maxBatchAnswers bounds the operation answers read from one $batch answer: the client sends
// changesets of a few operations, and a hostile body of many small parts must not cost memory.
const maxBatchAnswers = 16

func readBatchParts(contentType string, r io.Reader, depth int) ([]changesetAnswer, error) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(media, "multipart/mixed") || params["boundary"] == "" {
		return nil, fmt.Errorf("%w: its content type is %q", errUnreadableBatch, media)
	}
	parts := multipart.NewReader(r, params["boundary"])
	var answers []changesetAnswer
	for {
		part, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			return answers, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUnreadableBatch, err)
		}
		partType := part.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(strings.ToLower(partType), "multipart/mixed") && depth < maxBatchDepth:
			inner, err := readBatchParts(partType, part, depth+1)
			if err != nil {
				return nil, err
			}
			if answers = append(answers, inner...); len(answers) > maxBatchAnswers {
				return nil, fmt.Errorf("%w: it holds more than %d answers", errUnreadableBatch, maxBatchAnswers)
			}
		case strings.HasPrefix(strings.ToLower(partType), "application/http"):
			if len(answers) >= maxBatchAnswers {
				return nil, fmt.Errorf("%w: it holds more than %d answers", errUnreadableBatch, maxBatchAnswers)
			}
			a, err := readOperationAnswer(part)
			if err != nil {
				return nil, err
			}
			answers = append(answers, a)
		default:
			return nil, fmt.Errorf("%w: a part has content type %q", errUnreadableBatch, partType)
		}
	}
}

func readOperationAnswer(part io.Reader) (changesetAnswer, error) {
	br := bufio.NewReader(part)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return changesetAnswer{}, fmt.Errorf("%w: an operation's answer: %w", errUnreadableBatch, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return changesetAnswer{}, fmt.Errorf("%w: an operation's answer: %w", errUnreadableBatch, err)
	}
	return changesetAnswer{status: resp.StatusCode, header: http.Header(textproto.MIMEHeader(resp.Header)), body: bytes.TrimSpace(body)}, nil
}
