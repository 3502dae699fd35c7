// The free-room finder: a start in the tab's zone, a duration and the room's
// needs (capacity, equipment, building, floor), answered by the availability
// route, which costs one storage query per day searched whatever the number
// of rooms. Each free room offers to book that exact slot.
import { useMemo, useState } from 'react';
import {
  Button, Field, Input, Select, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, makeStyles,
} from '@fluentui/react-components';
import type { DateTime } from 'luxon';
import { ErrorBar } from '../shared/Shell';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { formatDateTime, formatTime } from '../shared/time';
import type { ApiError } from '../shared/api';
import type { BookingApi, Room } from './model';
import { asApiError, at, now } from './util';
import type { BookingDraft } from './BookDialog';

const useStyles = makeStyles({
  form: { display: 'flex', flexWrap: 'wrap', gap: '12px', alignItems: 'flex-end', padding: '8px 0' },
  field: { minWidth: '140px' },
});

export function Finder(props: { bapi: BookingApi; rooms: Room[]; zone: string; onBook: (d: BookingDraft) => void }) {
  const { bapi, rooms, zone } = props;
  const s = useStyles();
  const start0 = now().setZone(zone).plus({ hours: 1 }).startOf('hour');
  const [date, setDate] = useState(start0.toISODate() ?? '');
  const [time, setTime] = useState(start0.toFormat('HH:mm'));
  const [duration, setDuration] = useState('60');
  const [capacity, setCapacity] = useState('');
  const [equipment, setEquipment] = useState('');
  const [building, setBuilding] = useState('');
  const [floor, setFloor] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [found, setFound] = useState<{ rooms: Room[]; start: DateTime; end: DateTime } | null>(null);

  const buildings = useMemo(() => [...new Set(rooms.map((r) => r.building ?? '').filter(Boolean))].sort(), [rooms]);
  const floors = useMemo(
    () => [...new Set(rooms.filter((r) => !building || r.building === building).map((r) => r.floor ?? '').filter(Boolean))].sort(),
    [rooms, building],
  );
  const shown = useMemo(() => new Set(rooms.map((r) => r.id)), [rooms]);

  const search = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    const start = at(date, time, zone);
    const end = start.plus({ minutes: Number(duration) || 0 });
    try {
      const free = await bapi.available(start, end, { capacity: Number(capacity) || undefined, equipment, building, floor });
      // The search covers the organization; the tab offers its own rooms.
      setFound({ rooms: free.filter((r) => shown.has(r.id)), start, end });
    } catch (x) {
      setErr(asApiError(x));
      setFound(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="finder-title">
      <Text as="h2" weight="semibold" size={400} id="finder-title">
        {t('booking.finder.title')}
      </Text>
      <form className={s.form} onSubmit={search} id="finder-form" noValidate>
        <Field label={t('booking.book.date')} className={s.field} {...fieldProps(err, 'from')}>
          <Input id="finder-date" type="date" value={date} onChange={(_, d) => setDate(d.value)} />
        </Field>
        <Field label={t('booking.finder.time')} className={s.field}>
          <Input id="finder-time" type="time" step={300} value={time} onChange={(_, d) => setTime(d.value)} />
        </Field>
        <Field label={t('booking.finder.duration')} className={s.field} {...fieldProps(err, 'to')}>
          <Select id="finder-duration" value={duration} onChange={(_, d) => setDuration(d.value)}>
            {[15, 30, 45, 60, 90, 120, 180, 240, 480].map((m) => (
              <option key={m} value={m}>
                {t('booking.minutes', { n: m })}
              </option>
            ))}
          </Select>
        </Field>
        <Field label={t('booking.room.capacity')} className={s.field} {...fieldProps(err, 'capacity')}>
          <Input id="finder-capacity" type="number" min={0} value={capacity} onChange={(_, d) => setCapacity(d.value)} />
        </Field>
        <Field label={t('booking.room.equipment')} className={s.field}>
          <Input id="finder-equipment" value={equipment} placeholder={t('booking.finder.equipmentPlaceholder')} onChange={(_, d) => setEquipment(d.value)} />
        </Field>
        <Field label={t('booking.room.building')} className={s.field}>
          <Select id="finder-building" value={building} onChange={(_, d) => (setBuilding(d.value), setFloor(''))}>
            <option value="">{t('booking.any')}</option>
            {buildings.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </Select>
        </Field>
        <Field label={t('booking.room.floor')} className={s.field}>
          <Select id="finder-floor" value={floor} onChange={(_, d) => setFloor(d.value)}>
            <option value="">{t('booking.any')}</option>
            {floors.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </Select>
        </Field>
        <Button appearance="primary" type="submit" disabled={busy} id="finder-submit">
          {t('booking.finder.search')}
        </Button>
        {busy && <Spinner size="tiny" aria-label={t('app.loading')} />}
      </form>
      <Text size={200}>{t('booking.zone', { zone })}</Text>
      {err && <ErrorBar error={err} />}
      {found && (
        <div role="status" aria-live="polite">
          <Text as="p">
            {found.rooms.length === 0
              ? t('booking.finder.none')
              : t('booking.finder.found', { n: found.rooms.length, from: formatDateTime(found.start, zone), to: formatTime(found.end, zone) })}
          </Text>
        </div>
      )}
      {found && found.rooms.length > 0 && (
        <Table aria-label={t('booking.finder.results')} id="finder-results" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>{t('booking.room.name')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.capacity')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.where')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.room.equipment')}</TableHeaderCell>
              <TableHeaderCell>{t('booking.actions')}</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {found.rooms.map((r) => (
              <TableRow key={r.id}>
                <TableCell>{r.name}</TableCell>
                <TableCell>{r.capacity}</TableCell>
                <TableCell>{[r.building, r.floor].filter(Boolean).join(' · ')}</TableCell>
                <TableCell>{r.equipment.join(', ')}</TableCell>
                <TableCell>
                  <Button size="small" onClick={() => props.onBook({ roomId: r.id, start: found.start, end: found.end })}
                    aria-label={t('booking.finder.bookRoom', { room: r.name })}>
                    {t('booking.book.submit')}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </section>
  );
}
