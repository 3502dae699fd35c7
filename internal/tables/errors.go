package tables

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/teamspro/functions/internal/teamspro"
)

// translate turns a storage error into a *teamspro.Error at the adapter boundary,
// wrapped with the operation's name. Storage never decides HTTP statuses; it only
// says what kind of failure this is.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var te *teamspro.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Storage did not answer in time.")
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		status := re.StatusCode
		if status == 202 { // a failed batch: the real status is inside the multipart body
			status = batchStatus(re)
		}
		switch {
		case re.ErrorCode == "ResourceNotFound" || re.ErrorCode == "EntityNotFound" || (status == 404 && re.ErrorCode != "TableNotFound"):
			return teamspro.Wrap(teamspro.ENOTFOUND, err, "Not found.")
		case re.ErrorCode == "EntityAlreadyExists" || status == 409:
			return teamspro.Wrap(teamspro.ECONFLICT, err, "It already exists.")
		case re.ErrorCode == "UpdateConditionNotSatisfied" || status == 412:
			return teamspro.Wrap(teamspro.EPRECONDITION, err, "It was changed by someone else.")
		case status == 408 || status == 429 || status >= 500 || re.ErrorCode == "TableNotFound":
			return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Storage is unavailable.")
		case status == 400:
			return teamspro.Wrap(teamspro.EINTERNAL, err, "%s: storage rejected the request", op)
		}
		return teamspro.Wrap(teamspro.EINTERNAL, err, "%s failed", op)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) {
		return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Storage is unavailable.")
	}
	return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Storage failed during %s.", op)
}

// innerStatusRE is compiled at first use, not at package init, where it
// would add to every cold start.
var innerStatusRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`HTTP/1\.1 (\d{3})`) })

// batchStatus reads the first failing status out of a failed batch's multipart
// body: SubmitTransaction reports such a batch as 202 with an empty ErrorCode, on
// Azure as on Azurite.
func batchStatus(re *azcore.ResponseError) int {
	if re.RawResponse == nil || re.RawResponse.Body == nil {
		return re.StatusCode
	}
	body, err := io.ReadAll(re.RawResponse.Body)
	if err != nil {
		return re.StatusCode
	}
	re.RawResponse.Body = io.NopCloser(bytes.NewReader(body))
	for _, m := range innerStatusRE().FindAllSubmatch(body, -1) {
		if n, _ := strconv.Atoi(string(m[1])); n >= 400 {
			return n
		}
	}
	return re.StatusCode
}
