// The booking dialog: a room, a day and times in the tab's zone, a title and
// an optional recurrence. A refused booking keeps everything typed and shows
// the API's reason: a 409 names the taken slot or, for a series, each refused
// occurrence; a 400 puts each field's reason beside it.
import { useState } from 'react';
import {
  Button, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, Select, Textarea,
  makeStyles, tokens,
} from '@fluentui/react-components';
import { DateTime } from 'luxon';
import { ErrorBar } from '../shared/Shell';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { formatDateTime } from '../shared/time';
import { RecurrenceEditor } from '../shared/RecurrenceEditor';
import { defaultRepeat, type Repeat } from '../shared/recurrence';
import { reservationBody, type BookingApi, type Refusal, type Reservation, type Room } from './model';
import { asApiError, at, hhmm } from './util';
import type { ApiError } from '../shared/api';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '12px' },
  row: { display: 'flex', gap: '12px', flexWrap: 'wrap', '& > *': { flex: '1 1 120px' } },
  refusals: { margin: 0, paddingLeft: '20px', color: tokens.colorPaletteRedForeground1 },
  hint: { color: tokens.colorNeutralForeground3 },
});

/** Where the dialog starts: a room and a range, from the timeline or the finder. */
export interface BookingDraft {
  roomId: string;
  start: DateTime;
  end: DateTime;
}

export interface BookedResult {
  reservation: Reservation;
  occurrences?: number;
  skipped?: Refusal[];
}

export function BookDialog(props: {
  bapi: BookingApi;
  calendarId: string;
  rooms: Room[];
  zone: string;
  draft: BookingDraft;
  onClose: () => void;
  onBooked: (r: BookedResult) => void;
}) {
  const { bapi, calendarId, rooms, zone, draft } = props;
  const s = useStyles();
  const start = draft.start.setZone(zone);
  const end = draft.end.setZone(zone);
  const [roomId, setRoomId] = useState(draft.roomId || rooms[0]?.id || '');
  const [date, setDate] = useState(start.toISODate() ?? '');
  const [from, setFrom] = useState(hhmm(start));
  const [to, setTo] = useState(hhmm(end));
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [participants, setParticipants] = useState('');
  // A series ends after a few occurrences unless told otherwise: an open-ended
  // one is booked only up to the room's horizon.
  const [repeat, setRepeat] = useState<Repeat>(() => ({ ...defaultRepeat(start), ends: 'count', count: 4, until: start.plus({ months: 1 }).toISODate() ?? '' }));
  const [skip, setSkip] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);

  const room = rooms.find((r) => r.id === roomId);
  const startAt = at(date, from, zone);
  // An end of 00:00 is midnight at the end of the day.
  const endAt = to === '00:00' ? at(date, to, zone).plus({ days: 1 }) : at(date, to, zone);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!room || busy) return; // one request at a time (Enter in a field submits too)
    setBusy(true);
    setErr(null);
    try {
      const body = reservationBody(
        {
          title, description, participants: participantsOf(participants), roomId, start: startAt, end: endAt, repeat,
          skipConflicts: skip,
        },
        room,
      );
      const r = await bapi.book(calendarId, body);
      props.onBooked({ reservation: r.data, occurrences: r.data.occurrences, skipped: r.data.skipped });
    } catch (x) {
      setErr(asApiError(x));
      setBusy(false);
    }
  };

  const refusals = (err?.extra?.conflicts as Refusal[] | undefined) ?? [];
  const roomZone = room && room.timeZone !== zone && startAt.isValid ? room.timeZone : '';
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()} modalType="modal">
      <DialogSurface aria-describedby={undefined}>
        <form onSubmit={submit} className={s.form} id="book-form" noValidate>
          <DialogBody>
            <DialogTitle>{t('booking.book.title')}</DialogTitle>
            <DialogContent className={s.form}>
              {err && <ErrorBar error={err} />}
              {refusals.length > 0 && (
                <ul className={s.refusals} aria-label={t('booking.book.refused')} id="book-refusals">
                  {refusals.map((c, i) => (
                    <li key={i}>
                      {formatDateTime(c.start, zone)}: {c.detail || t('booking.reason.' + c.reason)}
                    </li>
                  ))}
                </ul>
              )}
              <Field label={t('booking.book.room')} required {...fieldProps(err, 'resourceId')}>
                <Select id="book-room" value={roomId} onChange={(_, d) => setRoomId(d.value)}>
                  {rooms.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name}
                      {r.capacity ? ` (${r.capacity})` : ''}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label={t('booking.book.what')} required {...fieldProps(err, 'title')}>
                <Input id="book-title" value={title} maxLength={100} onChange={(_, d) => setTitle(d.value)} autoFocus />
              </Field>
              <div className={s.row}>
                <Field label={t('booking.book.date')} required {...fieldProps(err, 'startDate')}>
                  <Input id="book-date" type="date" value={date} onChange={(_, d) => setDate(d.value)} />
                </Field>
                <Field label={t('booking.book.from')} required>
                  <Input id="book-from" type="time" step={300} value={from} onChange={(_, d) => setFrom(d.value)} />
                </Field>
                <Field label={t('booking.book.to')} required {...fieldProps(err, 'endDate')}>
                  <Input id="book-to" type="time" step={300} value={to} onChange={(_, d) => setTo(d.value)} />
                </Field>
              </div>
              <span className={s.hint}>
                {t('booking.zone', { zone })}
                {roomZone && ' · ' + t('booking.book.roomTime', { time: hhmm(startAt.setZone(roomZone)), zone: roomZone })}
              </span>
              <Field label={t('booking.book.participants')} hint={t('booking.book.participantsHint')} {...fieldProps(err, 'participants')}>
                <Input id="book-participants" value={participants} onChange={(_, d) => setParticipants(d.value)} />
              </Field>
              <Field label={t('booking.book.description')} {...fieldProps(err, 'description')}>
                <Textarea id="book-description" value={description} maxLength={250} onChange={(_, d) => setDescription(d.value)} />
              </Field>
              <RecurrenceEditor idPrefix="book" value={repeat} onChange={setRepeat} error={err} />
              {repeat.kind !== 'none' && (
                <Checkbox id="book-skip" checked={skip} onChange={(_, d) => setSkip(!!d.checked)} label={t('booking.book.skip')} />
              )}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={props.onClose} type="button">
                {t('form.cancel')}
              </Button>
              <Button appearance="primary" type="submit" id="book-submit" disabledFocusable={busy || !room}>
                {busy ? t('form.saving') : t('booking.book.submit')}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

/** The participants typed as mail addresses, separated by commas, semicolons or spaces. */
function participantsOf(s: string): { email: string }[] {
  return s.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean).map((email) => ({ email }));
}
