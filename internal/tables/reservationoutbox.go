package tables

import (
	"context"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

// The outgoing records of reservation changes (the transactional outbox, see
// intents.go) are rows "out|<op>" of the change's home day partition, next
// to its intent. A record's Key says where it is and whether its request
// finished the change: only then may forgetting the record also drop the
// change's pointer (otherwise the repair still has work to find).

func outRow(op string) string { return "out|" + op }

type outDoc struct {
	Body []byte    `json:"body"`
	At   time.Time `json:"at"`
}

// outgoing builds the intent's outgoing record for its committing batch:
// none without a recorder, or when the recorder announces nothing.
func (s *ReservationStore) outgoing(in *intent) ([]aztables.TransactionAction, error) {
	in.out, in.Out = nil, false
	if in.record == nil {
		return nil, nil
	}
	body, err := in.record(changeOf(in))
	if err != nil || body == nil {
		return nil, err
	}
	at := s.Now().UTC()
	pk, rk, doc, cols := dayPK(in.Tenant, in.Home), outRow(in.Op), outDoc{Body: body, At: at}, map[string]any{"TenantId": in.Tenant}
	// A record fits one property unless it announces a long series: only
	// then is it compressed and spread (encodeBig), which costs the
	// request far more CPU than the plain document.
	e, err := encodeRow(pk, rk, doc, 0, cols)
	if teamspro.ErrorCode(err) == teamspro.ETOOLARGE || len(body) > 40_000 {
		e, err = encodeBig(pk, rk, doc, cols)
	}
	if err != nil {
		return nil, err
	}
	in.out, in.Out = &booking.Outgoing{TenantID: in.Tenant, ID: in.Op, Body: body, At: at}, true
	return []aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, "")}, nil
}

// changeOf is the change an intent commits, for its recorder: the
// reservation before and after, or every one booked.
func changeOf(in *intent) booking.Change {
	var c booking.Change
	if in.Prev != nil {
		before := in.Prev.R
		before.ETag = ETagOf(in.Prev.Version)
		c.Before = &before
	}
	for i := range in.Next {
		n := &in.Next[i]
		if in.skipped(n.R.ID) {
			continue
		}
		r := n.R
		r.ETag = ETagOf(n.Version)
		c.Occurrences = append(c.Occurrences, &r)
	}
	if len(c.Occurrences) > 0 {
		c.After = c.Occurrences[0]
	}
	if in.Kind != kindBook {
		c.Occurrences = nil
	}
	return c
}

// written returns the record the request's commit wrote, with its Key;
// settled says the request finished the change.
func written(in *intent, settled bool) *booking.Outgoing {
	if in.out == nil {
		return nil
	}
	o := *in.out
	flag := "0"
	if settled {
		flag = "1"
	}
	o.Key = in.Home + "\x00" + in.Key + "\x00" + flag
	return &o
}

// DoneOutgoing deletes an announced record and, when its request finished
// the change, the change's pointer; one deleted already is done too.
func (s *ReservationStore) DoneOutgoing(ctx context.Context, o booking.Outgoing) error {
	parts := strings.Split(o.Key, "\x00")
	if len(parts) != 3 {
		return teamspro.Errorf(teamspro.EINTERNAL, "An outgoing record without its key.")
	}
	if err := s.deleteOut(ctx, o.TenantID, parts[0], o.ID); err != nil {
		return err
	}
	if parts[2] == "1" {
		s.dropPointer(ctx, &intent{Tenant: o.TenantID, Key: parts[1], Op: o.ID})
	}
	return nil
}

func (s *ReservationStore) deleteOut(ctx context.Context, tenantID, home, op string) error {
	return s.c.deleteIfPresent(ctx, TableBookings, dayPK(tenantID, home), outRow(op), "forget outgoing record")
}

// relayLeft hands the outgoing record of an operation the repair brought to
// its end, if one is still stored, to relay, then deletes it.
func (s *ReservationStore) relayLeft(ctx context.Context, p *pointer, relay func(context.Context, booking.Outgoing) error) error {
	if p.Kind == kindPurge {
		return nil
	}
	resp, err := s.c.table(TableBookings).GetEntity(ctx, dayPK(p.Tenant, p.Home), outRow(p.Op), nil)
	if err != nil {
		if err = translate(err, "get outgoing record"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil
		}
		return err
	}
	var doc outDoc
	if strings.Contains(string(resp.Value), `"Z0"`) {
		err = decodeBig(resp.Value, &doc)
	} else {
		_, err = decodeRow(resp.Value, &doc)
	}
	if err != nil {
		return err
	}
	if relay != nil {
		if err := relay(ctx, booking.Outgoing{TenantID: p.Tenant, ID: p.Op, Body: doc.Body, At: doc.At}); err != nil {
			return err
		}
	}
	return s.deleteOut(ctx, p.Tenant, p.Home, p.Op)
}
