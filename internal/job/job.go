// Package job is the record of an asynchronous job (a calendar copy), run as
// steps that travel on the notification queue.
package job

import (
	"context"
	"slices"
	"time"
)

// Statuses of a job.
const (
	Queued    = "queued"
	Running   = "running"
	Completed = "completed"
)

// Job is an asynchronous job's record. StepsDone lists the finished steps, so
// a step run again after a failure is counted once.
type Job struct {
	TenantID         string    `json:"-"`
	ID               string    `json:"id"`
	Kind             string    `json:"kind"`
	Status           string    `json:"status"`
	SourceCalendarID string    `json:"sourceCalendarId"`
	TargetCalendarID string    `json:"targetCalendarId"`
	RequestedBy      string    `json:"requestedBy"`
	Steps            int       `json:"steps"`
	StepsDone        []int     `json:"stepsDone"`
	Total            int       `json:"total"`
	Copied           int       `json:"copied"`
	Failed           int       `json:"failed"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	ETag             string    `json:"-"`
}

// FinishStep records the outcome of step once and reports whether this call
// recorded it (false: it was recorded before, by an earlier run of the step).
func (j *Job) FinishStep(step, copied, failed int, at time.Time) bool {
	if slices.Contains(j.StepsDone, step) {
		return false
	}
	j.StepsDone = append(j.StepsDone, step)
	j.Copied += copied
	j.Failed += failed
	j.Status = Running
	if len(j.StepsDone) == j.Steps {
		j.Status = Completed
	}
	j.UpdatedAt = at.UTC()
	return true
}

// Store keeps jobs, scoped by tenant.
type Store interface {
	// Create stores a new job; ECONFLICT if its id is taken.
	Create(ctx context.Context, j *Job) error
	// Get returns one job of the tenant; ENOTFOUND otherwise.
	Get(ctx context.Context, tenantID, id string) (*Job, error)
	// Update applies fn to the current job and stores it, retrying on
	// concurrent writes so that no step's count is lost.
	Update(ctx context.Context, tenantID, id string, fn func(*Job) error) (*Job, error)
}
