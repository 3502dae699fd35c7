package functions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/job"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// A calendar copy runs as steps on the notification queue: the request lists
// the source's events and queues one calendar.copy message per batch; each
// step copies its batch under ids derived from the job and the source event
// (so a step run again after a failure copies nothing twice) and records
// itself once in the job; the step that completes the job mails the requester.
const (
	copyBatch     = 50
	copyMaxEvents = 5000
)

func (s *Server) copyRoutes() []Route {
	return []Route{
		{"calendar-copy", "POST", "/api/calendar/v1/{calendarId}/copy", User, s.handleCopyCalendar},
		{"job", "GET", "/api/jobs/{jobId}", User, s.handleGetJob},
	}
}

type copyInput struct {
	TargetCalendarID string `json:"targetCalendarId"`
}

// handleCopyCalendar starts a copy of the path's calendar into another
// calendar tab of the tenant: 202 with the job and its Location.
func (s *Server) handleCopyCalendar(w http.ResponseWriter, r *http.Request) error {
	src, err := s.calendarTab(r)
	if err != nil {
		return err
	}
	var in copyInput
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	if !teamspro.ValidID(in.TargetCalendarID) || in.TargetCalendarID == src.CalendarID {
		e := teamspro.Errorf(teamspro.EINVALID, "targetCalendarId must be another calendar's id.")
		e.Fields = []teamspro.FieldError{{Field: "targetCalendarId", Reason: "another calendar of the organization"}}
		return e
	}
	if s.Jobs == nil || s.Dispatcher == nil {
		return teamspro.Errorf(teamspro.EUNAVAILABLE, "Jobs are not configured.")
	}
	p := principal(r)
	dst, err := s.Tabs.ByCalendar(r.Context(), p.TenantID, in.TargetCalendarID)
	if err != nil || dst.Kind != tab.KindCalendar {
		return noCalendar()
	}
	if !dst.Allows(p, tab.ActionAdd) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "You may not add events to the target calendar.")
	}
	now := s.Now()
	win, err := s.Events.ListWindow(r.Context(), p.TenantID, src.CalendarID, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	if err != nil {
		return err
	}
	var ids []string
	for _, e := range win.Events {
		ids = append(ids, e.ID)
	}
	if len(ids) > copyMaxEvents {
		return teamspro.Errorf(teamspro.EINVALID, "The calendar has more than %d events to copy.", copyMaxEvents)
	}
	j := &job.Job{TenantID: p.TenantID, ID: uuid.NewString(), Kind: string(notify.TypeCalendarCopy), Status: job.Queued,
		SourceCalendarID: src.CalendarID, TargetCalendarID: dst.CalendarID, RequestedBy: p.ObjectID,
		Steps: (len(ids) + copyBatch - 1) / copyBatch, StepsDone: []int{}, Total: len(ids), CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if j.Steps == 0 {
		j.Status = job.Completed
	}
	if err := s.Jobs.Create(r.Context(), j); err != nil {
		return err
	}
	for step := 1; step <= j.Steps; step++ {
		batch := ids[(step-1)*copyBatch : min(step*copyBatch, len(ids))]
		env, err := notify.NewEnvelope(notify.TypeCalendarCopy, fmt.Sprintf("%s-%d", j.ID, step), p.TenantID, now, &notify.CalendarCopy{
			JobID: j.ID, Step: step, Steps: j.Steps, SourceCalendarID: j.SourceCalendarID, TargetCalendarID: j.TargetCalendarID, EventIDs: batch,
		})
		if err != nil {
			return err
		}
		if err := s.Dispatcher.Publish(r.Context(), env); err != nil {
			return err
		}
	}
	w.Header().Set("Location", "/api/jobs/"+j.ID)
	return writeJSON(w, http.StatusAccepted, j)
}

// handleGetJob answers a job's progress to its requester and tenant admins.
func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request) error {
	if s.Jobs == nil {
		return teamspro.Errorf(teamspro.ENOTFOUND, "Not found.")
	}
	id, err := pathID(r, "jobId")
	if err != nil {
		return err
	}
	p := principal(r)
	j, err := s.Jobs.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	if j.RequestedBy != p.ObjectID && !p.Admin {
		return teamspro.Errorf(teamspro.ENOTFOUND, "Not found.")
	}
	return writeJSON(w, http.StatusOK, j)
}

// copyID is the id of an event's copy in a job: the same on every run.
func copyID(jobID, eventID string) string {
	sum := sha256.Sum256([]byte(jobID + "|" + eventID))
	return "copy-" + hex.EncodeToString(sum[:12])
}

// RunCalendarCopy runs one step of a copy (notify.StepRunner). It is
// idempotent: copies have derived ids, a copy already made is a success, and
// the job records each step once.
func (s *Server) RunCalendarCopy(ctx context.Context, env notify.Envelope, step *notify.CalendarCopy) error {
	tenant := env.TenantID
	copied, failed := 0, 0
	for _, id := range step.EventIDs {
		e, err := s.Events.Get(ctx, tenant, step.SourceCalendarID, id)
		switch teamspro.ErrorCode(err) {
		case "":
		case teamspro.ENOTFOUND: // deleted since the job started
			failed++
			continue
		default:
			return err
		}
		c := e
		c.ID, c.CalendarID, c.ETag, c.CreatedAt, c.UpdatedAt = copyID(step.JobID, id), step.TargetCalendarID, "", s.Now().UTC(), s.Now().UTC()
		if _, err := s.Events.Create(ctx, tenant, c); err != nil && teamspro.ErrorCode(err) != teamspro.ECONFLICT {
			return err
		}
		if e.Recurring() {
			xs, err := s.Events.Exceptions(ctx, tenant, step.SourceCalendarID, id)
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
				if _, err := s.Events.PutException(ctx, tenant, step.TargetCalendarID, x, ""); err != nil && teamspro.ErrorCode(err) != teamspro.ECONFLICT {
					return err
				}
			}
		}
		copied++
	}
	recorded := false
	j, err := s.Jobs.Update(ctx, tenant, step.JobID, func(j *job.Job) error {
		recorded = j.FinishStep(step.Step, copied, failed, s.Now())
		return nil
	})
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return teamspro.Errorf(teamspro.EINVALID, "Job %s is gone.", step.JobID)
	}
	if err != nil || !recorded || j.Status != job.Completed || s.Dispatcher == nil {
		return err
	}
	return s.Dispatcher.JobCompleted(ctx, tenant, j)
}

var _ notify.StepRunner = (*Server)(nil)
