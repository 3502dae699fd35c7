// Rooms management: admins create, edit and delete rooms, import a CSV (every
// rejected row shown with its field and reason; nothing is written unless all
// rows are valid) and export the rooms as CSV. Room managers edit their own
// rooms here too (the API keeps their managers list for admins).
import { useRef, useState } from 'react';
import {
  Button, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, MessageBar, MessageBarBody,
  Select, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, Textarea, makeStyles, tokens,
} from '@fluentui/react-components';
import { ErrorBar } from '../shared/Shell';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { timeZones } from '../shared/time';
import type { ApiError } from '../shared/api';
import { emptyRoom, isActive, manages, type BookingApi, type Room, type RoomInput, type Rules } from './model';
import { asApiError, download, rawFetch } from './util';
import { HolidayField, type HolidayPlace } from '../shared/holidays';

const useStyles = makeStyles({
  head: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap', padding: '8px 0' },
  form: { display: 'flex', flexDirection: 'column', gap: '12px' },
  grid: {
    display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(180px, 1fr))', gap: '12px', alignItems: 'start',
    '& > *': { minWidth: 0 },
    // A zone list's longest name must not widen its column over the next one.
    '& .fui-Select, & select': { minWidth: 0, maxWidth: '100%' },
  },
  days: { display: 'flex', flexWrap: 'wrap', gap: '4px' },
  rows: { color: tokens.colorPaletteRedForeground1 },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: 0 },
  fieldset: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '8px 12px' },
});

interface RowError {
  row: number;
  field: string;
  reason: string;
}

export function Rooms(props: {
  bapi: BookingApi;
  token: () => Promise<string>;
  rooms: Room[];
  zone: string;
  userId: string;
  admin: boolean;
  onChanged: () => void;
}) {
  const { bapi, rooms, admin } = props;
  const s = useStyles();
  const [editing, setEditing] = useState<Room | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Room | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [note, setNote] = useState('');
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);
  const file = useRef<HTMLInputElement>(null);
  const mine = rooms.filter((r) => manages(r, props.userId, admin));

  const importCsv = async (f: File) => {
    setErr(null);
    setNote('');
    setRowErrors([]);
    try {
      const res = await rawFetch(props.token, 'POST', '/api/rooms/import', await f.text(), 'text/csv');
      const n = (await res.json()) as { created: number; updated: number };
      setNote(t('booking.rooms.imported', { created: n.created, updated: n.updated }));
      props.onChanged();
    } catch (e) {
      const x = asApiError(e);
      setErr(x);
      setRowErrors(Array.isArray(x.extra?.rows) ? (x.extra!.rows as RowError[]) : []);
    } finally {
      if (file.current) file.current.value = '';
    }
  };
  const exportCsv = async () => {
    setErr(null);
    try {
      const res = await rawFetch(props.token, 'GET', '/api/rooms/export');
      download(await res.blob(), 'rooms.csv');
    } catch (e) {
      setErr(asApiError(e));
    }
  };

  return (
    <section aria-labelledby="rooms-title">
      <div className={s.head}>
        <Text as="h2" weight="semibold" size={400} id="rooms-title">
          {t('booking.rooms.title')}
        </Text>
        {admin && (
          <>
            <Button appearance="primary" onClick={() => setEditing('new')} id="rooms-new">
              {t('booking.rooms.new')}
            </Button>
            <Button onClick={() => file.current?.click()} id="rooms-import">
              {t('booking.rooms.import')}
            </Button>
            <input
              ref={file}
              type="file"
              accept=".csv,text/csv"
              hidden
              id="rooms-import-file"
              aria-label={t('booking.rooms.import')}
              onChange={(e) => e.target.files?.[0] && importCsv(e.target.files[0])}
            />
            <Button onClick={exportCsv} id="rooms-export">
              {t('booking.rooms.export')}
            </Button>
          </>
        )}
      </div>
      {note && (
        <MessageBar intent="success" role="status">
          <MessageBarBody>{note}</MessageBarBody>
        </MessageBar>
      )}
      {err && <ErrorBar error={err} />}
      {rowErrors.length > 0 && (
        <Table aria-label={t('booking.rooms.rejected')} id="rooms-rejected" size="small" className={s.rows}>
          <TableHeader>
            <TableRow>
              <TableHeaderCell>{t('booking.rooms.row')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.rooms.field')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.rooms.reason')}</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rowErrors.map((r, i) => (
              <TableRow key={i}>
                <TableCell>{r.row}</TableCell>
                <TableCell>{r.field}</TableCell>
                <TableCell>{r.reason}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {mine.length === 0 ? (
        <Text as="p">{t('booking.rooms.none')}</Text>
      ) : (
        <Table aria-label={t('booking.rooms.title')} id="rooms-list" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>{t('booking.room.name')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.capacity')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.where')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.timeZone')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.active')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.actions')}</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {mine.map((r) => (
              <TableRow key={r.id} data-room={r.id}>
                <TableCell>{r.name}</TableCell>
                <TableCell>{r.capacity}</TableCell>
                <TableCell>{[r.building, r.floor].filter(Boolean).join(' · ')}</TableCell>
                <TableCell>{r.timeZone}</TableCell>
                <TableCell>{isActive(r) ? t('booking.yes') : t('booking.no')}</TableCell>
                <TableCell>
                  <Button size="small" onClick={() => setEditing(r)} aria-label={t('booking.rooms.editRoom', { room: r.name })}>
                    {t('booking.rooms.edit')}
                  </Button>{' '}
                  {admin && (
                    <Button size="small" onClick={() => setDeleting(r)} aria-label={t('booking.rooms.deleteRoom', { room: r.name })}>
                      {t('form.delete')}
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {editing && (
        <RoomDialog
          bapi={bapi}
          room={editing === 'new' ? null : editing}
          zone={props.zone}
          admin={admin}
          onClose={() => setEditing(null)}
          onSaved={() => (setEditing(null), props.onChanged())}
        />
      )}
      {deleting && (
        <DeleteRoom bapi={bapi} room={deleting} onClose={() => setDeleting(null)} onDeleted={() => (setDeleting(null), props.onChanged())} />
      )}
    </section>
  );
}

function DeleteRoom(props: { bapi: BookingApi; room: Room; onClose: () => void; onDeleted: () => void }) {
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const del = async () => {
    if (busy || err) return;
    setBusy(true);
    try {
      await props.bapi.deleteRoom(props.room.id, props.room.etag);
      props.onDeleted();
    } catch (e) {
      setErr(asApiError(e));
      setBusy(false);
    }
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()} modalType="alert">
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{t('booking.rooms.deleteRoom', { room: props.room.name })}</DialogTitle>
          <DialogContent>
            {err ? <ErrorBar error={err} /> : <Text>{t('booking.rooms.deleteConfirm')}</Text>}
          </DialogContent>
          <DialogActions>
            <Button onClick={props.onClose}>{t('form.cancel')}</Button>
            <Button appearance="primary" onClick={del} disabledFocusable={busy || !!err} id="room-delete-confirm">
              {t('form.delete')}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

const ruleNumbers: (keyof Rules)[] = ['minMinutes', 'maxMinutes', 'maxDaysAhead', 'minNoticeMinutes', 'cancelNoticeMinutes', 'bufferMinutes', 'releaseAfterMinutes'];

/** The room form's state: what the user typed, kept as typed (numbers too) until saved. */
interface RoomForm {
  id: string;
  name: string;
  email: string;
  capacity: string;
  building: string;
  floor: string;
  equipment: string;
  accessible: boolean;
  photoUrl: string;
  timeZone: string;
  hoursStart: string;
  hoursEnd: string;
  days: number[];
  numbers: Record<string, string>;
  requiresApproval: boolean;
  checkInRequired: boolean;
  closedOnHolidays: boolean;
  holidays?: HolidayPlace;
  bookableBy: string;
  managers: string;
  active: boolean;
}

function toForm(r: RoomInput & { id?: string }): RoomForm {
  return {
    id: r.id ?? '',
    name: r.name,
    email: r.email ?? '',
    capacity: String(r.capacity ?? 0),
    building: r.building ?? '',
    floor: r.floor ?? '',
    equipment: r.equipment.join(', '),
    accessible: r.accessible,
    photoUrl: r.photoUrl ?? '',
    timeZone: r.timeZone,
    hoursStart: r.hours?.start ?? '',
    hoursEnd: r.hours?.end ?? '',
    days: [...r.days],
    numbers: Object.fromEntries(ruleNumbers.map((k) => [k, String(r.rules[k] ?? 0)])),
    requiresApproval: r.rules.requiresApproval,
    checkInRequired: r.rules.checkInRequired,
    closedOnHolidays: !!r.rules.closedOnHolidays,
    holidays: r.holidays,
    bookableBy: r.rules.bookableBy.join('\n'),
    managers: r.managers.join('\n'),
    active: r.active !== false,
  };
}

const list = (s: string) => s.split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);

function fromForm(f: RoomForm): RoomInput {
  const rules = Object.fromEntries(ruleNumbers.map((k) => [k, Number(f.numbers[k]) || 0])) as unknown as Rules;
  rules.requiresApproval = f.requiresApproval;
  rules.checkInRequired = f.checkInRequired;
  rules.closedOnHolidays = f.closedOnHolidays;
  rules.bookableBy = list(f.bookableBy);
  const out: RoomInput = {
    name: f.name,
    email: f.email || undefined,
    capacity: Number(f.capacity) || 0,
    building: f.building || undefined,
    floor: f.floor || undefined,
    equipment: list(f.equipment),
    accessible: f.accessible,
    photoUrl: f.photoUrl || undefined,
    timeZone: f.timeZone,
    days: f.days,
    rules,
    managers: list(f.managers),
    active: f.active,
    holidays: f.holidays,
  };
  if (f.hoursStart || f.hoursEnd) out.hours = { start: f.hoursStart, end: f.hoursEnd };
  return out;
}

function RoomDialog(props: { bapi: BookingApi; room: Room | null; zone: string; admin: boolean; onClose: () => void; onSaved: () => void }) {
  const s = useStyles();
  const [f, setF] = useState<RoomForm>(() => toForm(props.room ?? emptyRoom(props.zone)));
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RoomForm>(k: K, v: RoomForm[K]) => setF((cur) => ({ ...cur, [k]: v }));
  const setNum = (k: string, v: string) => setF((cur) => ({ ...cur, numbers: { ...cur.numbers, [k]: v } }));
  const zones = timeZones();
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (busy) return; // one request at a time (Enter in a field submits too)
    setBusy(true);
    setErr(null);
    try {
      if (props.room) await props.bapi.updateRoom(props.room.id, fromForm(f), props.room.etag);
      else await props.bapi.createRoom(f.id.trim(), fromForm(f));
      props.onSaved();
    } catch (x) {
      setErr(asApiError(x));
      setBusy(false);
    }
  };
  const num = (k: string) => (
    <Field key={k} label={t('booking.rule.' + k)} {...fieldProps(err, 'rules.' + k)}>
      <Input id={'room-' + k} type="number" min={0} value={f.numbers[k]} onChange={(_, d) => setNum(k, d.value)} />
    </Field>
  );
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()} modalType="modal">
      <DialogSurface style={{ maxWidth: 760 }}>
        <form onSubmit={save} id="room-form" noValidate>
          <DialogBody>
            <DialogTitle>{props.room ? t('booking.rooms.editRoom', { room: props.room.name }) : t('booking.rooms.new')}</DialogTitle>
            <DialogContent className={s.form}>
              {err && <ErrorBar error={err} />}
              <div className={s.grid}>
                {!props.room && (
                  <Field label={t('booking.room.id')} hint={t('booking.room.idHint')} {...fieldProps(err, 'id')}>
                    <Input id="room-id" value={f.id} onChange={(_, d) => set('id', d.value)} />
                  </Field>
                )}
                <Field label={t('booking.room.name')} required {...fieldProps(err, 'name')}>
                  <Input id="room-name" value={f.name} onChange={(_, d) => set('name', d.value)} autoFocus />
                </Field>
                <Field label={t('booking.room.capacity')} {...fieldProps(err, 'capacity')}>
                  <Input id="room-capacity" type="number" min={0} value={f.capacity} onChange={(_, d) => set('capacity', d.value)} />
                </Field>
                <Field label={t('booking.room.email')} {...fieldProps(err, 'email')}>
                  <Input id="room-email" type="email" value={f.email} onChange={(_, d) => set('email', d.value)} />
                </Field>
                <Field label={t('booking.room.building')} {...fieldProps(err, 'building')}>
                  <Input id="room-building" value={f.building} onChange={(_, d) => set('building', d.value)} />
                </Field>
                <Field label={t('booking.room.floor')} {...fieldProps(err, 'floor')}>
                  <Input id="room-floor" value={f.floor} onChange={(_, d) => set('floor', d.value)} />
                </Field>
                <Field label={t('booking.room.timeZone')} required {...fieldProps(err, 'timeZone')}>
                  <Select id="room-timezone" value={f.timeZone} onChange={(_, d) => set('timeZone', d.value)}>
                    {!zones.includes(f.timeZone) && <option value={f.timeZone}>{f.timeZone}</option>}
                    {zones.map((z) => (
                      <option key={z}>{z}</option>
                    ))}
                  </Select>
                </Field>
                <Field label={t('booking.room.equipment')} hint={t('booking.finder.equipmentHint')} {...fieldProps(err, 'equipment')}>
                  <Input id="room-equipment" value={f.equipment} onChange={(_, d) => set('equipment', d.value)} />
                </Field>
                <Field label={t('booking.room.photoUrl')} {...fieldProps(err, 'photoUrl')}>
                  <Input id="room-photo" type="url" value={f.photoUrl} onChange={(_, d) => set('photoUrl', d.value)} />
                </Field>
                <Field label={t('booking.room.hoursStart')} {...fieldProps(err, 'hours')}>
                  <Input id="room-hours-start" type="time" value={f.hoursStart} onChange={(_, d) => set('hoursStart', d.value)} />
                </Field>
                <Field label={t('booking.room.hoursEnd')}>
                  <Input id="room-hours-end" value={f.hoursEnd} onChange={(_, d) => set('hoursEnd', d.value)} />
                </Field>
              </div>
              <fieldset className={s.fieldset}>
                <legend className={s.legend}>{t('booking.room.days')}</legend>
                <div className={s.days}>
                  {[1, 2, 3, 4, 5, 6, 0].map((d) => (
                    <Checkbox
                      key={d}
                      label={t('booking.weekday.' + d)}
                      checked={f.days.includes(d)}
                      onChange={(_, v) => set('days', v.checked ? [...f.days, d] : f.days.filter((x) => x !== d))}
                    />
                  ))}
                </div>
                {fieldProps(err, 'days').validationMessage && <Text className={s.rows}>{fieldProps(err, 'days').validationMessage}</Text>}
                <Text size={200}>{t('booking.room.daysHint')}</Text>
              </fieldset>
              <div className={s.grid}>
                <Checkbox id="room-accessible" label={t('booking.room.accessible')} checked={f.accessible} onChange={(_, d) => set('accessible', !!d.checked)} />
                <Checkbox id="room-active" label={t('booking.room.active')} checked={f.active} onChange={(_, d) => set('active', !!d.checked)} />
                <Checkbox id="room-approval" label={t('booking.rule.requiresApproval')} checked={f.requiresApproval}
                  onChange={(_, d) => set('requiresApproval', !!d.checked)} />
                <Checkbox id="room-checkin" label={t('booking.rule.checkInRequired')} checked={f.checkInRequired}
                  onChange={(_, d) => set('checkInRequired', !!d.checked)} />
              </div>
              <div className={s.grid}>
                <HolidayField api={props.bapi.api} value={f.holidays} onChange={(h) => set('holidays', h)} error={err} field="holidays" />
                <Checkbox id="room-closed-holidays" label={t('booking.rule.closedOnHolidays')} checked={f.closedOnHolidays}
                  onChange={(_, d) => set('closedOnHolidays', !!d.checked)} />
              </div>
              {fieldProps(err, 'rules.closedOnHolidays').validationMessage && <Text className={s.rows}>{fieldProps(err, 'rules.closedOnHolidays').validationMessage}</Text>}
              <div className={s.grid}>{ruleNumbers.map(num)}</div>
              <div className={s.grid}>
                <Field label={t('booking.room.managers')} hint={t('booking.room.idsHint')} {...fieldProps(err, 'managers')}>
                  <Textarea name="managers" value={f.managers} disabled={!props.admin} onChange={(_, d) => set('managers', d.value)} />
                </Field>
                <Field label={t('booking.rule.bookableBy')} hint={t('booking.room.idsHint')} {...fieldProps(err, 'rules.bookableBy')}>
                  <Textarea name="bookableBy" value={f.bookableBy} onChange={(_, d) => set('bookableBy', d.value)} />
                </Field>
              </div>
            </DialogContent>
            <DialogActions>
              <Button type="button" onClick={props.onClose}>
                {t('form.cancel')}
              </Button>
              <Button appearance="primary" type="submit" disabledFocusable={busy} id="room-save">
                {busy ? t('form.saving') : t('form.save')}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
