package tables

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/job"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableJobs holds asynchronous jobs (calendar copies).
const TableJobs = "jobs"

// JobStore keeps jobs: partition "<tenant>|jobs", row the job id.
type JobStore struct{ c *Client }

var _ job.Store = (*JobStore)(nil)

// NewJobStore returns the job store of c.
func NewJobStore(c *Client) *JobStore { return &JobStore{c: c} }

func jobPK(tenantID string) string { return tenantID + "|jobs" }

// Create stores a new job.
func (s *JobStore) Create(ctx context.Context, j *job.Job) error {
	b, err := encodeRow(jobPK(j.TenantID), j.ID, j, 1, nil)
	if err != nil {
		return err
	}
	if err := s.c.addOwn(ctx, TableJobs, b, "add job"); err != nil {
		return err
	}
	j.ETag = ETagOf(1)
	return nil
}

// Get returns one job of the tenant; ENOTFOUND otherwise.
func (s *JobStore) Get(ctx context.Context, tenantID, id string) (*job.Job, error) {
	var j job.Job
	r, err := s.c.getRow(ctx, TableJobs, jobPK(tenantID), id, &j)
	if err != nil {
		return nil, err
	}
	j.TenantID, j.ETag = tenantID, ETagOf(r.Version)
	return &j, nil
}

// Update reads the job, applies fn and writes it back if nobody wrote it
// meanwhile, retrying on a lost race: steps finishing together never lose a
// count.
func (s *JobStore) Update(ctx context.Context, tenantID, id string, fn func(*job.Job) error) (*job.Job, error) {
	for attempt := 0; attempt < 20; attempt++ {
		var j job.Job
		r, err := s.c.getRow(ctx, TableJobs, jobPK(tenantID), id, &j)
		if err != nil {
			return nil, err
		}
		j.TenantID = tenantID
		if err := fn(&j); err != nil {
			return nil, err
		}
		b, err := encodeRow(jobPK(tenantID), id, &j, r.Version+1, nil)
		if err != nil {
			return nil, err
		}
		etag := azETag(r.ETag)
		_, err = s.c.table(TableJobs).UpdateEntity(ctx, b, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
		if err = translate(err, "update job"); teamspro.ErrorCode(err) == teamspro.EPRECONDITION {
			time.Sleep(time.Duration(5*(attempt+1)) * time.Millisecond)
			continue
		}
		if err != nil {
			return nil, err
		}
		j.ETag = ETagOf(r.Version + 1)
		return &j, nil
	}
	return nil, teamspro.Errorf(teamspro.EUNAVAILABLE, "The job is busy; try again.")
}
