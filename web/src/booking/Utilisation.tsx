// Room utilisation, for tenant admins and room managers (their rooms): a
// period, a bar chart of each room's booked hours over its open hours, the
// week's busiest hours as a grid, and the figures per room, building and
// floor in a table (which is also what a screen reader reads: the charts are
// images with a summary). Plain SVG drawn with the Fluent tokens, so the
// Teams light, dark and high-contrast themes colour it like the rest of the
// tab. The CSV download is the same report as CSV.
import { useEffect, useState } from 'react';
import {
  Button, Field, Input, Select, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, makeStyles, tokens,
} from '@fluentui/react-components';
import { DateTime } from 'luxon';
import { ErrorBar } from '../shared/Shell';
import { locale, t } from '../shared/i18n';
import type { BookingApi, Room } from './model';
import { asApiError, download, now, rawFetch } from './util';

export interface WeekHour {
  weekday: number;
  hour: number;
  bookedHours: number;
}

export interface Figures {
  openHours: number;
  bookedHours: number;
  utilisation: number;
  reservations: number;
  released: number;
  noShowRate: number;
  busiestHours: WeekHour[];
}

export interface Report {
  from: string;
  to: string;
  rooms: (Figures & { roomId: string; name: string; building?: string; floor?: string })[];
  groups: (Figures & { building: string; floor?: string; rooms: number })[];
  total: Figures;
  week: number[][];
}

const useStyles = makeStyles({
  bar: { display: 'flex', gap: '12px', flexWrap: 'wrap', alignItems: 'end' },
  charts: { display: 'flex', gap: '24px', flexWrap: 'wrap', alignItems: 'start' },
  figure: { margin: 0, display: 'flex', flexDirection: 'column', gap: '4px' },
  svg: { maxWidth: '100%', height: 'auto' },
  table: { maxWidth: '960px' },
});

const pct = (x: number) => Math.round(x * 1000) / 10 + ' %';
const weekdayName = (d: number, style: 'short' | 'long' = 'short') =>
  new Date(Date.UTC(2023, 0, 1 + d)).toLocaleDateString(locale(), { weekday: style, timeZone: 'UTC' });

export function Utilisation(props: { bapi: BookingApi; token: () => Promise<string>; rooms: Room[] }) {
  const s = useStyles();
  const today = now().startOf('day');
  const [from, setFrom] = useState(today.minus({ days: 29 }).toISODate()!);
  const [to, setTo] = useState(today.plus({ days: 1 }).toISODate()!);
  const [building, setBuilding] = useState('');
  const [report, setReport] = useState<Report | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const buildings = [...new Set(props.rooms.map((r) => r.building).filter((b): b is string => !!b))].sort();

  const query = { from, to, building: building || undefined };
  const load = () => {
    setBusy(true);
    setErr(null);
    props.bapi.api.get<Report>('/api/rooms/utilisation', { query }).then(setReport, (e) => setErr(asApiError(e))).finally(() => setBusy(false));
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(load, [props.bapi]);

  const csv = async () => {
    setErr(null);
    try {
      const q = new URLSearchParams({ from, to, format: 'csv', ...(building ? { building } : {}) });
      const res = await rawFetch(props.token, 'GET', '/api/rooms/utilisation?' + q.toString());
      download(await res.blob(), `utilisation-${from}-${to}.csv`);
    } catch (e) {
      setErr(asApiError(e));
    }
  };

  return (
    <section aria-labelledby="usage-title" id="usage">
      <Text as="h2" weight="semibold" size={500} id="usage-title">{t('booking.usage.title')}</Text>
      <form className={s.bar} onSubmit={(e) => (e.preventDefault(), load())}>
        <Field label={t('booking.usage.from')}>
          <Input type="date" id="usage-from" value={from} onChange={(_, d) => setFrom(d.value)} />
        </Field>
        <Field label={t('booking.usage.to')} hint={t('booking.usage.toHint')}>
          <Input type="date" id="usage-to" value={to} onChange={(_, d) => setTo(d.value)} />
        </Field>
        {buildings.length > 0 && (
          <Field label={t('booking.usage.building')}>
            <Select id="usage-building" value={building} onChange={(_, d) => setBuilding(d.value)}>
              <option value="">{t('booking.any')}</option>
              {buildings.map((b) => <option key={b} value={b}>{b}</option>)}
            </Select>
          </Field>
        )}
        <Button type="submit" appearance="primary" id="usage-show" disabled={busy}>{t('booking.usage.show')}</Button>
        <Button onClick={csv} id="usage-csv">{t('booking.usage.csv')}</Button>
        {busy && <Spinner size="tiny" aria-label={t('app.loading')} />}
      </form>
      {err ? <ErrorBar error={err} /> : null}
      {report && <ReportView report={report} />}
    </section>
  );
}

function ReportView({ report }: { report: Report }) {
  const s = useStyles();
  const total = report.total;
  const busiest = total.busiestHours[0];
  const range = `${DateTime.fromISO(report.from).setLocale(locale()).toLocaleString(DateTime.DATE_MED)} – ${DateTime.fromISO(report.to).minus({ days: 1 }).setLocale(locale()).toLocaleString(DateTime.DATE_MED)}`;
  return (
    <div id="usage-report" data-rooms={report.rooms.length}>
      <Text as="p" id="usage-summary">
        {t('booking.usage.summary', {
          range, pct: pct(total.utilisation), booked: total.bookedHours, open: total.openHours, noShow: pct(total.noShowRate),
          busiest: busiest ? `${weekdayName(busiest.weekday, 'long')} ${String(busiest.hour).padStart(2, '0')}:00` : '—',
        })}
      </Text>
      <div className={s.charts}>
        <figure className={s.figure}>
          <figcaption><Text weight="semibold">{t('booking.usage.byRoom')}</Text></figcaption>
          <RoomBars report={report} />
        </figure>
        <figure className={s.figure}>
          <figcaption><Text weight="semibold">{t('booking.usage.week')}</Text></figcaption>
          <WeekGrid week={report.week} />
        </figure>
      </div>
      <Table className={s.table} size="small" aria-label={t('booking.usage.table')} id="usage-table">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>{t('booking.usage.col.scope')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.utilisation')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.booked')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.open')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.reservations')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.noShows')}</TableHeaderCell>
            <TableHeaderCell>{t('booking.usage.col.busiest')}</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {[
            ...report.rooms.map((r) => ({ key: 'r' + r.roomId, label: r.name, f: r as Figures })),
            ...report.groups.map((g) => ({ key: 'g' + g.building + '|' + (g.floor ?? ''), label: g.floor ? t('booking.usage.floor', { building: g.building, floor: g.floor }) : t('booking.usage.buildingRow', { building: g.building }), f: g as Figures })),
            { key: 'total', label: t('booking.usage.total'), f: total },
          ].map(({ key, label, f }) => (
            <TableRow key={key}>
              <TableCell>{label}</TableCell>
              <TableCell>{pct(f.utilisation)}</TableCell>
              <TableCell>{f.bookedHours}</TableCell>
              <TableCell>{f.openHours}</TableCell>
              <TableCell>{f.reservations}</TableCell>
              <TableCell>{f.released} ({pct(f.noShowRate)})</TableCell>
              <TableCell>{f.busiestHours.slice(0, 3).map((h) => `${weekdayName(h.weekday)} ${String(h.hour).padStart(2, '0')}:00`).join(', ')}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

/** Horizontal bars: each room's utilisation, 0 to 100 %. */
function RoomBars({ report }: { report: Report }) {
  const s = useStyles();
  const rows = report.rooms;
  const label = 160, width = 260, row = 26, top = 8, axis = 22;
  const h = top + rows.length * row + axis;
  return (
    <svg className={s.svg} id="usage-chart" role="img" aria-labelledby="usage-chart-title" width={label + width + 70} height={h} viewBox={`0 0 ${label + width + 70} ${h}`}>
      <title id="usage-chart-title">{t('booking.usage.chartLabel', { rooms: rows.map((r) => `${r.name} ${pct(r.utilisation)}`).join(', ') })}</title>
      {[0, 0.25, 0.5, 0.75, 1].map((x) => (
        <g key={x}>
          <line x1={label + x * width} x2={label + x * width} y1={top - 4} y2={top + rows.length * row} style={{ stroke: tokens.colorNeutralStroke2 }} />
          <text x={label + x * width} y={h - 6} fontSize="11" textAnchor="middle" style={{ fill: tokens.colorNeutralForeground2 }}>{x * 100}%</text>
        </g>
      ))}
      {rows.map((r, i) => {
        const y = top + i * row;
        const w = Math.max(0, Math.min(1, r.utilisation)) * width;
        return (
          <g key={r.roomId} data-room={r.roomId}>
            <text x={label - 8} y={y + row / 2 + 4} fontSize="12" textAnchor="end" style={{ fill: tokens.colorNeutralForeground1 }}>
              {r.name.length > 22 ? r.name.slice(0, 21) + '…' : r.name}
            </text>
            <rect x={label} y={y + 4} width={w} height={row - 8} style={{ fill: tokens.colorBrandBackground, stroke: tokens.colorBrandStroke1 }} />
            <text x={label + w + 6} y={y + row / 2 + 4} fontSize="12" style={{ fill: tokens.colorNeutralForeground1 }}>{pct(r.utilisation)}</text>
          </g>
        );
      })}
    </svg>
  );
}

/** The week's booked hours per weekday (rows, Monday first) and hour (columns). */
function WeekGrid({ week }: { week: number[][] }) {
  const s = useStyles();
  const max = Math.max(0, ...week.flat());
  const cell = 14, left = 44, top = 18;
  const days = [1, 2, 3, 4, 5, 6, 0];
  const w = left + 24 * cell + 4, h = top + 7 * cell + 4;
  return (
    <svg className={s.svg} id="usage-week" role="img" aria-labelledby="usage-week-title" width={w} height={h} viewBox={`0 0 ${w} ${h}`}>
      <title id="usage-week-title">{t('booking.usage.weekLabel')}</title>
      {[0, 6, 12, 18].map((hr) => (
        <text key={hr} x={left + hr * cell} y={12} fontSize="11" style={{ fill: tokens.colorNeutralForeground2 }}>{String(hr).padStart(2, '0')}</text>
      ))}
      {days.map((d, i) => (
        <g key={d}>
          <text x={left - 6} y={top + i * cell + cell - 3} fontSize="11" textAnchor="end" style={{ fill: tokens.colorNeutralForeground1 }}>{weekdayName(d)}</text>
          {week[d].map((v, hr) => (
            <rect key={hr} data-hours={v} x={left + hr * cell} y={top + i * cell} width={cell - 1} height={cell - 1}
              style={{ fill: v > 0 ? tokens.colorBrandBackground : tokens.colorNeutralBackground3, fillOpacity: v > 0 && max > 0 ? 0.25 + 0.75 * (v / max) : 1, stroke: tokens.colorNeutralStroke2, strokeWidth: 0.5 }}>
              <title>{`${weekdayName(d, 'long')} ${String(hr).padStart(2, '0')}:00 – ${v} h`}</title>
            </rect>
          ))}
        </g>
      ))}
    </svg>
  );
}
