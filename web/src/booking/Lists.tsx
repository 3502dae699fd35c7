// My reservations (cancel, check in within the window) and, for room managers,
// the pending reservations of their rooms to approve or decline.
import { useEffect, useState } from 'react';
import {
  Badge, Button, Spinner, Switch, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, makeStyles,
} from '@fluentui/react-components';
import { ErrorBar } from '../shared/Shell';
import { t } from '../shared/i18n';
import { formatDateTime, formatTime } from '../shared/time';
import { holds, type BookingApi, type Reservation, type Room } from './model';
import { ReservationActions } from './Actions';
import { asApiError, now } from './util';

const useStyles = makeStyles({
  head: { display: 'flex', gap: '12px', alignItems: 'center', flexWrap: 'wrap', padding: '8px 0' },
});

const statusColor: Record<string, 'brand' | 'warning' | 'danger' | 'informative' | 'subtle'> = {
  confirmed: 'brand',
  pending: 'warning',
  declined: 'danger',
  cancelled: 'subtle',
  released: 'informative',
};

export function StatusBadge({ r }: { r: Reservation }) {
  return (
    <Badge appearance="tint" color={statusColor[r.status] ?? 'informative'}>
      {r.checkedInAt ? t('booking.status.checkedIn') : t('booking.status.' + r.status)}
    </Badge>
  );
}

function ReservationTable(props: {
  id: string;
  label: string;
  list: Reservation[];
  rooms: Room[];
  zone: string;
  bapi: BookingApi;
  userId: string;
  admin: boolean;
  showOrganizer?: boolean;
  onChanged: () => void;
}) {
  const byId = new Map(props.rooms.map((r) => [r.id, r]));
  return (
    <Table aria-label={props.label} id={props.id} size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>{t('booking.book.what')}</TableHeaderCell>
          <TableHeaderCell>{t('booking.book.room')}</TableHeaderCell>
          <TableHeaderCell>{t('booking.when')}</TableHeaderCell>
          {props.showOrganizer && <TableHeaderCell>{t('booking.organizer')}</TableHeaderCell>}
          <TableHeaderCell>{t('booking.status')}</TableHeaderCell>
          <TableHeaderCell>{t('booking.actions')}</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {props.list.map((r) => (
          <TableRow key={r.id} data-reservation={r.id}>
            <TableCell>{r.title}</TableCell>
            <TableCell>{r.resourceName ?? byId.get(r.resourceId)?.name ?? r.resourceId}</TableCell>
            <TableCell>
              {formatDateTime(r.startDate, props.zone)} – {formatTime(r.endDate, props.zone)}
            </TableCell>
            {props.showOrganizer && <TableCell>{r.organizerName || r.organizer}</TableCell>}
            <TableCell>
              <StatusBadge r={r} />
            </TableCell>
            <TableCell>
              <ReservationActions bapi={props.bapi} reservation={r} room={byId.get(r.resourceId)} userId={props.userId}
                admin={props.admin} onChanged={props.onChanged} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function MyReservations(props: {
  bapi: BookingApi; rooms: Room[]; zone: string; userId: string; admin: boolean; version: number; onChanged: () => void;
}) {
  const s = useStyles();
  const [list, setList] = useState<Reservation[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [history, setHistory] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let gone = false;
    const n = now();
    props.bapi
      .mine(n.minus({ days: 7 }), n.plus({ days: 90 }))
      .then((rs) => !gone && setList(rs.sort((a, b) => a.startDate.localeCompare(b.startDate))))
      .catch((e) => !gone && setErr(asApiError(e)));
    return () => {
      gone = true;
    };
  }, [props.bapi, props.version, tick]);
  // The check-in button appears and goes with the clock: look again every minute.
  const [, setMinute] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setMinute((m) => m + 1), 60_000);
    return () => clearInterval(id);
  }, []);
  const n = now().toUTC().toISO()!;
  const shown = (list ?? []).filter((r) => history || (holds(r) && r.endDate > n));
  return (
    <section aria-labelledby="mine-title">
      <div className={s.head}>
        <Text as="h2" weight="semibold" size={400} id="mine-title">
          {t('booking.mine.title')}
        </Text>
        <Switch checked={history} onChange={(_, d) => setHistory(d.checked)} label={t('booking.mine.history')} id="mine-history" />
        <Button size="small" onClick={() => setTick(tick + 1)}>
          {t('booking.refresh')}
        </Button>
      </div>
      {err ? <ErrorBar error={err} /> : null}
      {list === null && !err && <Spinner size="small" label={t('app.loading')} />}
      {list && shown.length === 0 && <Text as="p">{t('booking.mine.none')}</Text>}
      {shown.length > 0 && (
        <ReservationTable id="mine-list" label={t('booking.mine.title')} list={shown} rooms={props.rooms} zone={props.zone} bapi={props.bapi}
          userId={props.userId} admin={props.admin} onChanged={() => (setTick(tick + 1), props.onChanged())} />
      )}
    </section>
  );
}

export function Approvals(props: {
  bapi: BookingApi; rooms: Room[]; zone: string; userId: string; admin: boolean; version: number; onChanged: () => void;
}) {
  const s = useStyles();
  const [list, setList] = useState<Reservation[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // What waits for this user's decision, in every room they manage and however far ahead: one request.
  useEffect(() => {
    let gone = false;
    props.bapi.pending()
      .then((ls) => !gone && setList(ls))
      .catch((e) => !gone && setErr(asApiError(e)));
    return () => {
      gone = true;
    };
  }, [props.bapi, props.rooms, props.version, tick]);
  return (
    <section aria-labelledby="approvals-title">
      <div className={s.head}>
        <Text as="h2" weight="semibold" size={400} id="approvals-title">
          {t('booking.approvals.title')}
        </Text>
        <Button size="small" onClick={() => setTick(tick + 1)}>
          {t('booking.refresh')}
        </Button>
      </div>
      <Text size={200}>{t('booking.approvals.hint')}</Text>
      {err ? <ErrorBar error={err} /> : null}
      {list === null && !err && <Spinner size="small" label={t('app.loading')} />}
      {list && list.length === 0 && <Text as="p">{t('booking.approvals.none')}</Text>}
      {list && list.length > 0 && (
        <ReservationTable id="approvals-list" label={t('booking.approvals.title')} list={list} rooms={props.rooms} zone={props.zone}
          bapi={props.bapi} userId={props.userId} admin={props.admin} showOrganizer
          onChanged={() => (setTick(tick + 1), props.onChanged())} />
      )}
    </section>
  );
}
