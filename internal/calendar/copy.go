package calendar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/job"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// A calendar copy runs as steps on the notification queue: Copy lists the
// source's events and queues one step per batch; each step copies its batch
// under ids derived from the job and the source event (so a step run again
// after a failure copies nothing twice) and records itself once in the job;
// the step that completes the job has its requester told.
const (
	copyBatch     = 50
	copyMaxEvents = 5000
	// CopyJobKind is the Kind of a copy's job record.
	CopyJobKind = "calendar.copy"
)

// CopyStep is one batch of a copy: the source events it copies.
type CopyStep struct {
	JobID            string
	Step, Steps      int // Step is 1-based
	SourceCalendarID string
	TargetCalendarID string
	EventIDs         []string
}

// Jobs keeps copy jobs and runs their steps: Store keeps the job records,
// Queue carries the steps and says when a job is done. The notification
// dispatcher is the Queue, so that a copy's steps travel like its mails.
type Jobs struct {
	Store job.Store
	Queue CopyQueue
}

// CopyQueue carries copy steps to RunCopyStep and tells a job's requester
// that it is done.
type CopyQueue interface {
	// QueueCopy queues one step of a copy of the tenant.
	QueueCopy(ctx context.Context, tenantID string, step CopyStep) error
	// JobCompleted tells whoever started j that it is finished.
	JobCompleted(ctx context.Context, tenantID string, j *job.Job) error
}

type copyInput struct {
	TargetCalendarID string `json:"targetCalendarId"`
}

func (s *Service) copying() bool { return s.jobs.Store != nil && s.jobs.Queue != nil }

// Copy starts a copy of the calendar's events of the coming year (and past
// month) into another calendar tab of the tenant, named by body's
// targetCalendarId, where p may add events, and returns its job. EINVALID
// for a missing or same target or more than 5,000 events; ENOTFOUND for a
// target that is not a calendar; EFORBIDDEN if p may not add to it.
func (s *Service) Copy(ctx context.Context, p teamspro.Principal, calendarID string, body Body) (*job.Job, error) {
	src, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	var in copyInput
	if err := body(&in); err != nil {
		return nil, err
	}
	if !teamspro.ValidID(in.TargetCalendarID) || in.TargetCalendarID == src.CalendarID {
		e := teamspro.Errorf(teamspro.EINVALID, "targetCalendarId must be another calendar's id.")
		e.Fields = []teamspro.FieldError{{Field: "targetCalendarId", Reason: "another calendar of the organization"}}
		return nil, e
	}
	if !s.copying() {
		return nil, teamspro.Errorf(teamspro.EUNAVAILABLE, "Jobs are not configured.")
	}
	dst, err := s.tabs.ByCalendar(ctx, p.TenantID, in.TargetCalendarID)
	if err != nil || dst.Kind != tab.KindCalendar {
		return nil, noCalendar()
	}
	if !dst.Allows(p, tab.ActionAdd) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "You may not add events to the target calendar.")
	}
	now := s.now()
	win, err := s.events.ListWindow(ctx, p.TenantID, src.CalendarID, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range win.Events {
		ids = append(ids, e.ID)
	}
	if len(ids) > copyMaxEvents {
		return nil, teamspro.Errorf(teamspro.EINVALID, "The calendar has more than %d events to copy.", copyMaxEvents)
	}
	j := &job.Job{TenantID: p.TenantID, ID: uuid.NewString(), Kind: CopyJobKind, Status: job.Queued,
		SourceCalendarID: src.CalendarID, TargetCalendarID: dst.CalendarID, RequestedBy: p.ObjectID,
		Steps: (len(ids) + copyBatch - 1) / copyBatch, StepsDone: []int{}, Total: len(ids), CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if j.Steps == 0 {
		j.Status = job.Completed
	}
	if err := s.jobs.Store.Create(ctx, j); err != nil {
		return nil, err
	}
	for step := 1; step <= j.Steps; step++ {
		batch := ids[(step-1)*copyBatch : min(step*copyBatch, len(ids))]
		if err := s.jobs.Queue.QueueCopy(ctx, p.TenantID, CopyStep{JobID: j.ID, Step: step, Steps: j.Steps,
			SourceCalendarID: j.SourceCalendarID, TargetCalendarID: j.TargetCalendarID, EventIDs: batch}); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// Job returns a job's progress to its requester and tenant admins;
// ENOTFOUND to anyone else.
func (s *Service) Job(ctx context.Context, p teamspro.Principal, jobID string) (*job.Job, error) {
	if s.jobs.Store == nil {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "Not found.")
	}
	id, err := checkID("jobId", jobID)
	if err != nil {
		return nil, err
	}
	j, err := s.jobs.Store.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	if j.RequestedBy != p.ObjectID && !p.Admin {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "Not found.")
	}
	return j, nil
}

// copyID is the id of an event's copy in a job: the same on every run.
func copyID(jobID, eventID string) string {
	sum := sha256.Sum256([]byte(jobID + "|" + eventID))
	return "copy-" + hex.EncodeToString(sum[:12])
}

// RunCopyStep runs one step of a copy of the tenant. It is idempotent:
// copies have derived ids, a copy already made is a success, and the job
// records each step once. EINVALID when the job is gone (the step can
// never succeed).
func (s *Service) RunCopyStep(ctx context.Context, tenantID string, step CopyStep) error {
	if !s.copying() {
		return teamspro.Errorf(teamspro.EUNAVAILABLE, "Jobs are not configured.")
	}
	copied, failed := 0, 0
	for _, id := range step.EventIDs {
		e, err := s.events.Get(ctx, tenantID, step.SourceCalendarID, id)
		switch teamspro.ErrorCode(err) {
		case "":
		case teamspro.ENOTFOUND: // deleted since the job started
			failed++
			continue
		default:
			return err
		}
		c := e
		c.ID, c.CalendarID, c.ETag, c.CreatedAt, c.UpdatedAt = copyID(step.JobID, id), step.TargetCalendarID, "", s.now().UTC(), s.now().UTC()
		if _, err := s.events.Create(ctx, tenantID, c); err != nil && teamspro.ErrorCode(err) != teamspro.ECONFLICT {
			return err
		}
		if e.Recurring() {
			xs, err := s.events.Exceptions(ctx, tenantID, step.SourceCalendarID, id)
			if err != nil {
				return err
			}
			for _, x := range xs {
				x.SeriesID, x.ETag = c.ID, ""
				if x.Override != nil {
					o := *x.Override
					o.ID, o.CalendarID = c.ID, step.TargetCalendarID
					x.Override = &o
				}
				if _, err := s.events.PutException(ctx, tenantID, step.TargetCalendarID, x, ""); err != nil && teamspro.ErrorCode(err) != teamspro.ECONFLICT {
					return err
				}
			}
		}
		// The copy, with its exceptions, counts as busy like any event. A
		// failure fails the step, whose redelivery copies nothing twice
		// and projects again.
		for _, p := range s.projections {
			if err := p.EventChanged(ctx, tenantID, step.TargetCalendarID, c.ID); err != nil {
				return err
			}
		}
		copied++
	}
	recorded := false
	j, err := s.jobs.Store.Update(ctx, tenantID, step.JobID, func(j *job.Job) error {
		recorded = j.FinishStep(step.Step, copied, failed, s.now())
		return nil
	})
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return teamspro.Errorf(teamspro.EINVALID, "Job %s is gone.", step.JobID)
	}
	if err != nil || !recorded || j.Status != job.Completed {
		return err
	}
	return s.jobs.Queue.JobCompleted(ctx, tenantID, j)
}
