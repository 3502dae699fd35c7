package tables

import (
	"context"
	"encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

// RoomStore keeps rooms in the rooms table. Partition = tenant id, row =
// "room|<roomId>": a tenant's rooms are one partition, so listing them (for
// the free-room search) is one query whatever their number, and an import
// writes them in batches of that one partition.
type RoomStore struct{ c *Client }

var _ booking.RoomStore = (*RoomStore)(nil)

// NewRoomStore returns the room store of c.
func NewRoomStore(c *Client) *RoomStore {
	return &RoomStore{c: c}
}

func roomRow(id string) string { return "room|" + id }

// The directory version. Every write of a tenant's rooms (create, update,
// delete, each batch of an import and of its undo) puts a new random value
// in one more row of the partition, in the same batch as the rooms, so the
// two commit together: a version read from storage is never older than the
// rooms it stands for. An instance that remembers the directory reads only
// this row (a point read) to know whether what it remembers is still the
// directory, instead of listing the partition.
//
// Its row key sorts before every "room|" row, so the purge (which deletes a
// partition in key order) deletes it in its first batch: while a purge runs,
// the version is missing, which never matches a remembered directory. A
// reader may record one meanwhile (RecordDirectoryVersion, for rooms written
// before versions existed), so the purge deletes the version once more at
// its end (purgeLast).
const dirRow = "directory"

// dirVersionColumn holds the version.
const dirVersionColumn = "Change"

// dirVersionEntity is the tenant's directory version row with a new value.
func dirVersionEntity(tenantID string) []byte {
	b, _ := json.Marshal(map[string]string{"PartitionKey": tenantID, "RowKey": dirRow, dirVersionColumn: uuid.NewString()})
	return b
}

// newDirVersion is the batch action that gives the tenant's directory a new
// version.
func newDirVersion(tenantID string) aztables.TransactionAction {
	return action(aztables.TransactionTypeInsertReplace, dirVersionEntity(tenantID), "")
}

// DirectoryVersion returns the tenant's directory version, which changes with
// every change of its rooms; "" when none is recorded (no room was written
// since versions exist, or the organization was purged).
func (s *RoomStore) DirectoryVersion(ctx context.Context, tenantID string) (string, error) {
	if err := checkKey(tenantID); err != nil {
		return "", err
	}
	resp, err := s.c.getEntity(ctx, TableRooms, tenantID, dirRow)
	if err != nil {
		if err = translate(err, "get room directory version"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return "", nil
		}
		return "", err
	}
	var v struct {
		Change string `json:"Change"`
	}
	if err := decodeInto(resp.Value, &v); err != nil {
		return "", err
	}
	return v.Change, nil
}

// RecordDirectoryVersion gives a tenant without a directory version (rooms
// written before versions existed) its first one, with an insert that fails
// if any version exists: a write of the rooms records its own. One that
// exists already is no failure.
func (s *RoomStore) RecordDirectoryVersion(ctx context.Context, tenantID string) error {
	if err := checkKey(tenantID); err != nil {
		return err
	}
	_, err := s.c.table(TableRooms).AddEntity(ctx, dirVersionEntity(tenantID), nil)
	if err = translate(err, "record room directory version"); teamspro.ErrorCode(err) == teamspro.ECONFLICT {
		return nil
	}
	return err
}

// Get returns a room.
func (s *RoomStore) Get(ctx context.Context, tenantID, roomID string) (*booking.Room, error) {
	if err := checkKey(tenantID, roomID); err != nil {
		return nil, err
	}
	var r booking.Room
	rw, err := s.c.getRow(ctx, TableRooms, tenantID, roomRow(roomID), &r)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, teamspro.Errorf(teamspro.ENOTFOUND, "The room does not exist.")
		}
		return nil, err
	}
	r.TenantID, r.ETag = tenantID, ETagOf(rw.Version)
	return &r, nil
}

type roomWithRow struct {
	room *booking.Room
	row  row
}

func (s *RoomStore) list(ctx context.Context, tenantID string) ([]roomWithRow, error) {
	if err := checkKey(tenantID); err != nil {
		return nil, err
	}
	filter := eq("PartitionKey", tenantID) + " and " + prefixRange("RowKey", "room|")
	opts := &aztables.ListEntitiesOptions{Filter: &filter, Select: to(docSelect)}
	var out []roomWithRow
	err := listEntities(ctx, s.c, TableRooms, opts, "list rooms", func(rows []taggedRow) (bool, error) {
		for i := range rows {
			r := &booking.Room{}
			if err := decodeDoc(tenantID, &rows[i].docRow, r); err != nil {
				return false, err
			}
			v := int64(rows[i].Version)
			r.TenantID, r.ETag = tenantID, ETagOf(v)
			out = append(out, roomWithRow{r, row{PartitionKey: tenantID, RowKey: rows[i].RowKey, Version: v, ETag: rows[i].ETag}})
		}
		return true, nil
	})
	return out, err
}

// List returns every room of the tenant in one query (pages of 1,000).
func (s *RoomStore) List(ctx context.Context, tenantID string) ([]*booking.Room, error) {
	rs, err := s.list(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]*booking.Room, len(rs))
	for i, r := range rs {
		out[i] = r.room
	}
	return out, nil
}

func roomEntity(r *booking.Room, version int64) ([]byte, error) {
	return encodeRow(r.TenantID, roomRow(r.ID), r, version, nil)
}

// Create stores a new room; ECONFLICT if the id is taken.
func (s *RoomStore) Create(ctx context.Context, r *booking.Room) error {
	e, err := roomEntity(r, 1)
	if err != nil {
		return err
	}
	acts := []aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, ""), newDirVersion(r.TenantID)}
	if err = s.c.submitOwn(ctx, TableRooms, acts); err != nil {
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return teamspro.Errorf(teamspro.ECONFLICT, "A room with id %q already exists.", r.ID)
		}
		return err
	}
	r.ETag = ETagOf(1)
	return nil
}

// Update replaces a room if ifMatch matches its version; the write itself is
// guarded by the storage ETag read just before.
func (s *RoomStore) Update(ctx context.Context, r *booking.Room, ifMatch string) error {
	cur, err := s.Get(ctx, r.TenantID, r.ID)
	if err != nil {
		return err
	}
	var rw row
	if rw, err = s.c.getRow(ctx, TableRooms, r.TenantID, roomRow(r.ID), nil); err != nil {
		return err
	}
	if err := checkIfMatch(ifMatch, rw.Version); err != nil {
		return err
	}
	r.CreatedAt = cur.CreatedAt
	e, err := roomEntity(r, rw.Version+1)
	if err != nil {
		return err
	}
	if err := s.c.submitOwn(ctx, TableRooms, []aztables.TransactionAction{
		action(aztables.TransactionTypeUpdateReplace, e, rw.ETag), newDirVersion(r.TenantID)}); err != nil {
		if teamspro.ErrorCode(err) == teamspro.EPRECONDITION {
			return teamspro.Errorf(teamspro.EPRECONDITION, "The room was changed meanwhile; read it again.")
		}
		return err
	}
	r.ETag = ETagOf(rw.Version + 1)
	return nil
}

// Delete removes a room if ifMatch matches its version.
func (s *RoomStore) Delete(ctx context.Context, tenantID, roomID, ifMatch string) error {
	if err := checkKey(tenantID, roomID); err != nil {
		return err
	}
	rw, err := s.c.getRow(ctx, TableRooms, tenantID, roomRow(roomID), nil)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return teamspro.Errorf(teamspro.ENOTFOUND, "The room does not exist.")
		}
		return err
	}
	if err := checkIfMatch(ifMatch, rw.Version); err != nil {
		return err
	}
	e, _ := encodeRow(tenantID, roomRow(roomID), nil, 0, nil)
	return s.c.removeOwn(ctx, func(ctx context.Context) error {
		return s.c.submit(ctx, TableRooms, []aztables.TransactionAction{
			action(aztables.TransactionTypeDelete, e, rw.ETag), newDirVersion(tenantID)})
	})
}

// batchMax is Table Storage's limit of actions in one transaction.
const batchMax = 100

// roomBatchMax is how many rooms one batch writes: the directory version
// takes the last place.
const roomBatchMax = batchMax - 1

// Import creates or replaces rooms, all or none. A tenant's rooms are one
// partition, so up to 99 rooms (and the directory version) are one atomic
// batch. Beyond that the batches
// are written in order, each guarded (new rooms by Add, existing ones by the
// storage ETag read at the start); if one fails, the batches already written
// are undone (added rooms deleted, replaced ones put back), so the import as a
// whole leaves nothing behind. Only a crash between two batches can leave a
// partial import; re-running the same import then completes it, since an
// import is idempotent.
func (s *RoomStore) Import(ctx context.Context, tenantID string, rooms []*booking.Room) (created, updated int, err error) {
	cur, err := s.list(ctx, tenantID)
	if err != nil {
		return 0, 0, err
	}
	existing := map[string]roomWithRow{}
	for _, r := range cur {
		existing[r.room.ID] = r
	}
	var actions []aztables.TransactionAction
	var undos []importUndo
	for _, r := range rooms {
		r.TenantID = tenantID
		if old, ok := existing[r.ID]; ok {
			r.CreatedAt = old.room.CreatedAt
			e, err := roomEntity(r, old.row.Version+1)
			if err != nil {
				return 0, 0, err
			}
			actions = append(actions, action(aztables.TransactionTypeUpdateReplace, e, old.row.ETag))
			prev, _ := roomEntity(old.room, old.row.Version)
			undos = append(undos, importUndo{prev, aztables.TransactionTypeInsertReplace})
			r.ETag = ETagOf(old.row.Version + 1)
			updated++
			continue
		}
		e, err := roomEntity(r, 1)
		if err != nil {
			return 0, 0, err
		}
		actions = append(actions, action(aztables.TransactionTypeAdd, e, ""))
		del, _ := encodeRow(tenantID, roomRow(r.ID), nil, 0, nil)
		undos = append(undos, importUndo{del, aztables.TransactionTypeDelete})
		r.ETag = ETagOf(1)
		created++
	}
	for i := 0; i < len(actions); i += roomBatchMax {
		j := min(i+roomBatchMax, len(actions))
		batch := append(actions[i:j:j], newDirVersion(tenantID))
		if err := s.c.submit(ctx, TableRooms, batch); err != nil {
			s.undoImport(ctx, tenantID, undos[:i])
			if c := teamspro.ErrorCode(err); c == teamspro.ECONFLICT || c == teamspro.EPRECONDITION {
				return 0, 0, teamspro.Errorf(teamspro.ECONFLICT, "Rooms changed while importing; nothing was imported. Try again.")
			}
			return 0, 0, err
		}
	}
	return created, updated, nil
}

// importUndo puts one room of a failed import back as it was.
type importUndo struct {
	entity []byte
	kind   aztables.TransactionType
}

// undoImport puts back the rooms of a failed import, batch by batch, on a
// context of its own so that a cancelled request still cleans up.
func (s *RoomStore) undoImport(ctx context.Context, tenantID string, undos []importUndo) {
	ctx = context.WithoutCancel(ctx)
	for i := 0; i < len(undos); i += roomBatchMax {
		acts := []aztables.TransactionAction{newDirVersion(tenantID)}
		for _, u := range undos[i:min(i+roomBatchMax, len(undos))] {
			ifMatch := ""
			if u.kind == aztables.TransactionTypeDelete {
				ifMatch = "*"
			}
			acts = append(acts, action(u.kind, u.entity, ifMatch))
		}
		_ = s.c.submit(ctx, TableRooms, acts)
	}
}
