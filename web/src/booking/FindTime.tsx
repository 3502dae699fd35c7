// Find a time: people (by UPN or Entra object id; the caller always takes
// part), a duration, a window of days and working hours in the tab's zone,
// and optionally the room's needs. The API answers the earliest slots when
// everyone (and a room of the tab) is free; each slot books in one step
// through the booking tab. When nothing fits, the answer says who is busy
// when, with titles only where the caller may read them. A slot taken
// meanwhile comes back as a refusal with fresh suggestions, shown at once.
import { useState } from 'react';
import {
  Button, Checkbox, Field, Input, Select, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Tag,
  TagGroup, Text, makeStyles,
} from '@fluentui/react-components';
import { ErrorBar } from '../shared/Shell';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { formatDateTime, formatTime } from '../shared/time';
import { ApiError } from '../shared/api';
import { iso, type BookingApi, type Reservation, type Room } from './model';
import { asApiError, at, now } from './util';

const useStyles = makeStyles({
  form: { display: 'flex', flexWrap: 'wrap', gap: '12px', alignItems: 'flex-end', padding: '8px 0' },
  field: { minWidth: '140px' },
  people: { display: 'flex', flexWrap: 'wrap', gap: '8px', alignItems: 'flex-end' },
  busyList: { margin: '4px 0 8px', paddingLeft: '20px' },
  title: { maxWidth: '480px' },
});

interface FreeRoom { id: string; name: string; capacity: number; building?: string; floor?: string }
interface Slot { start: string; end: string; rooms?: FreeRoom[] }
interface Person { objectId?: string; upn?: string; name?: string }
interface Explanation {
  reason: string;
  detail: string;
  participants: (Person & { busy: { start: string; end: string; kind: string; title?: string }[] })[];
  matchingRooms?: number;
}
interface FindAnswer { slots: Slot[]; participants: Person[]; explanation?: Explanation }

const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function FindTime(props: {
  bapi: BookingApi; calendarId: string; rooms: Room[]; zone: string; onBooked: (r: Reservation) => void;
}) {
  const { bapi, calendarId, zone } = props;
  const s = useStyles();
  const today = now().setZone(zone);
  const [people, setPeople] = useState<string[]>([]);
  const [person, setPerson] = useState('');
  const [personErr, setPersonErr] = useState('');
  const [duration, setDuration] = useState('30');
  const [fromDate, setFromDate] = useState(today.toISODate() ?? '');
  const [toDate, setToDate] = useState(today.plus({ days: 4 }).toISODate() ?? '');
  const [hoursFrom, setHoursFrom] = useState('09:00');
  const [hoursTo, setHoursTo] = useState('17:00');
  const [weekdays, setWeekdays] = useState(true);
  const [needRoom, setNeedRoom] = useState(true);
  const [capacity, setCapacity] = useState('');
  const [equipment, setEquipment] = useState('');
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [answer, setAnswer] = useState<FindAnswer | null>(null);
  const [chosen, setChosen] = useState<Record<string, string>>({});

  const addPerson = () => {
    const p = person.trim();
    if (!p) return;
    if (!guid.test(p) && !/^[^@\s/\\#?]+@[^@\s/\\#?]+$/.test(p)) {
      setPersonErr(t('booking.findtime.personInvalid'));
      return;
    }
    setPersonErr('');
    if (!people.some((x) => x.toLowerCase() === p.toLowerCase())) setPeople([...people, p]);
    setPerson('');
  };

  const request = () => {
    const from = at(fromDate, '00:00', zone);
    const to = at(toDate, '00:00', zone).plus({ days: 1 });
    return {
      participants: people,
      durationMinutes: Number(duration),
      from: from.isValid ? iso(from) : '',
      to: to.isValid ? iso(to) : '',
      timeZone: zone,
      workingHours: { start: hoursFrom, end: hoursTo },
      ...(weekdays ? { days: [1, 2, 3, 4, 5] } : {}),
      ...(needRoom ? {
        room: {
          capacity: Number(capacity) || Math.max(people.length + 1, 0),
          equipment: equipment.split(',').map((x) => x.trim()).filter(Boolean),
        },
      } : {}),
      calendarId,
      max: 5,
    };
  };

  const search = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const r = await bapi.api.post<FindAnswer>('/api/findtime', request());
      setAnswer(r.data);
      setChosen({});
    } catch (x) {
      setErr(asApiError(x));
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  };

  const book = async (slot: Slot) => {
    const roomId = chosen[slot.start] ?? slot.rooms?.[0]?.id;
    if (!roomId) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await bapi.api.post<Reservation>('/api/findtime/book', {
        ...request(), start: slot.start, roomId, title: title.trim() || t('booking.findtime.defaultTitle'),
      });
      setAnswer(null);
      props.onBooked(r.data);
    } catch (x) {
      const e = asApiError(x);
      setErr(e);
      // A refusal of a slot taken meanwhile brings fresh suggestions.
      const fresh = e.extra?.suggestions as Slot[] | undefined;
      if (fresh && answer) setAnswer({ ...answer, slots: fresh, explanation: undefined });
    } finally {
      setBusy(false);
    }
  };

  const label = (p: Person) => p.name || p.upn || p.objectId || '';

  return (
    <section aria-labelledby="findtime-title">
      <Text as="h2" block weight="semibold" size={400} id="findtime-title">
        {t('booking.findtime.title')}
      </Text>
      <Text as="p" block size={200}>{t('booking.findtime.intro')}</Text>
      <form className={s.form} onSubmit={search} id="findtime-form" noValidate>
        <div className={s.people}>
          <Field label={t('booking.findtime.people')} className={s.field} hint={t('booking.findtime.peopleHint')}
            validationState={personErr || err?.fieldError('participants') ? 'error' : undefined}
            validationMessage={personErr || err?.fieldError('participants')}>
            <Input id="findtime-person" value={person} onChange={(_, d) => setPerson(d.value)}
              onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addPerson(); } }} />
          </Field>
          <Button id="findtime-add" onClick={addPerson}>{t('booking.findtime.add')}</Button>
        </div>
        {people.length > 0 && (
          <TagGroup aria-label={t('booking.findtime.people')} id="findtime-people"
            onDismiss={(_, d) => setPeople(people.filter((p) => p !== d.value))}>
            {people.map((p) => (
              <Tag key={p} value={p} dismissible dismissIcon={{ 'aria-label': t('booking.findtime.remove', { who: p }) }}>{p}</Tag>
            ))}
          </TagGroup>
        )}
        <Field label={t('booking.finder.duration')} className={s.field} {...fieldProps(err, 'durationMinutes')}>
          <Select id="findtime-duration" value={duration} onChange={(_, d) => setDuration(d.value)}>
            {[15, 30, 45, 60, 90, 120, 180, 240].map((m) => (
              <option key={m} value={m}>{t('booking.minutes', { n: m })}</option>
            ))}
          </Select>
        </Field>
        <Field label={t('booking.findtime.fromDate')} className={s.field} {...fieldProps(err, 'from')}>
          <Input id="findtime-from" type="date" value={fromDate} onChange={(_, d) => setFromDate(d.value)} />
        </Field>
        <Field label={t('booking.findtime.toDate')} className={s.field} {...fieldProps(err, 'to')}>
          <Input id="findtime-to" type="date" value={toDate} onChange={(_, d) => setToDate(d.value)} />
        </Field>
        <Field label={t('booking.findtime.hoursFrom')} className={s.field} {...fieldProps(err, 'workingHours')}>
          <Input id="findtime-hours-from" type="time" step={900} value={hoursFrom} onChange={(_, d) => setHoursFrom(d.value)} />
        </Field>
        <Field label={t('booking.findtime.hoursTo')} className={s.field}>
          <Input id="findtime-hours-to" type="time" step={900} value={hoursTo} onChange={(_, d) => setHoursTo(d.value)} />
        </Field>
        <Checkbox id="findtime-weekdays" checked={weekdays} onChange={(_, d) => setWeekdays(!!d.checked)} label={t('booking.findtime.weekdays')} />
        <Checkbox id="findtime-room" checked={needRoom} onChange={(_, d) => setNeedRoom(!!d.checked)} label={t('booking.findtime.needRoom')} />
        {needRoom && (
          <>
            <Field label={t('booking.room.capacity')} className={s.field} {...fieldProps(err, 'room.capacity')}>
              <Input id="findtime-capacity" type="number" min={0} value={capacity} placeholder={String(people.length + 1)}
                onChange={(_, d) => setCapacity(d.value)} />
            </Field>
            <Field label={t('booking.room.equipment')} className={s.field}>
              <Input id="findtime-equipment" value={equipment} placeholder={t('booking.finder.equipmentPlaceholder')}
                onChange={(_, d) => setEquipment(d.value)} />
            </Field>
          </>
        )}
        <Button appearance="primary" type="submit" disabled={busy} id="findtime-submit">{t('booking.findtime.search')}</Button>
        {busy && <Spinner size="tiny" aria-label={t('app.loading')} />}
      </form>
      <Text size={200}>{t('booking.zone', { zone })}</Text>
      {err && <ErrorBar error={err} />}
      {answer && (
        <div role="status" aria-live="polite" id="findtime-status">
          <Text as="p">
            {answer.slots.length > 0
              ? t('booking.findtime.found', { n: answer.slots.length, who: answer.participants.map(label).join(', ') })
              : t('booking.findtime.reason.' + (answer.explanation?.reason ?? 'participants_busy'))}
          </Text>
        </div>
      )}
      {answer && answer.slots.length > 0 && (
        <>
          <Field label={t('booking.book.what')} className={s.title}>
            <Input id="findtime-title-input" value={title} placeholder={t('booking.findtime.defaultTitle')} onChange={(_, d) => setTitle(d.value)} />
          </Field>
          <Table aria-label={t('booking.findtime.results')} id="findtime-results" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>{t('booking.when')}</TableHeaderCell>
                {needRoom && <TableHeaderCell>{t('booking.book.room')}</TableHeaderCell>}
                <TableHeaderCell>{t('booking.actions')}</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {answer.slots.map((sl) => {
                const when = formatDateTime(sl.start, zone) + ' – ' + formatTime(sl.end, zone);
                return (
                  <TableRow key={sl.start}>
                    <TableCell>{when}</TableCell>
                    {needRoom && (
                      <TableCell>
                        <Select aria-label={t('booking.findtime.roomFor', { when })} value={chosen[sl.start] ?? sl.rooms?.[0]?.id ?? ''}
                          onChange={(_, d) => setChosen({ ...chosen, [sl.start]: d.value })}>
                          {(sl.rooms ?? []).map((r) => (
                            <option key={r.id} value={r.id}>
                              {r.name} ({t('booking.findtime.seats', { n: r.capacity })}{r.building ? ', ' + r.building : ''})
                            </option>
                          ))}
                        </Select>
                      </TableCell>
                    )}
                    <TableCell>
                      {needRoom ? (
                        <Button size="small" disabled={busy} onClick={() => book(sl)} aria-label={t('booking.findtime.bookSlot', { when })}>
                          {t('booking.book.submit')}
                        </Button>
                      ) : (
                        <Text size={200}>{t('booking.findtime.noRoomAsked')}</Text>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </>
      )}
      {answer?.explanation && (
        <div id="findtime-explanation">
          {answer.explanation.participants.filter((p) => p.busy.length > 0).map((p) => (
            <div key={p.objectId || p.upn}>
              <Text as="h3" weight="semibold" size={300}>{t('booking.findtime.busyWho', { who: label(p) })}</Text>
              <ul className={s.busyList}>
                {p.busy.map((b, i) => (
                  <li key={i}>
                    {formatDateTime(b.start, zone)} – {formatTime(b.end, zone)}: {b.title || t('booking.findtime.kind.' + b.kind)}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
