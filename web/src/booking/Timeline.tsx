// The day (or week) timeline: the tab's rooms as rows, hours as columns, each
// room's holding reservations from the rooms' schedule. Times are the tab's zone: the
// view runs in UTC and gets wall-clock ("floating") times of that zone, so the
// browser's own zone and DST rules never move a reservation. Selecting a free
// range (or clicking a slot) opens the booking dialog; a reservation opens its
// details. Everything the pointer does has a keyboard path: the toolbar's
// "New reservation" and each reservation is a focusable button.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Button, Input, MessageBar, MessageBarBody, Spinner, Text, ToggleButton, Toolbar, makeStyles, tokens } from '@fluentui/react-components';
import { CalendarView, Interaction, ResourceTimeline, type Calendar } from '../shared/calendar';
import { DateTime } from 'luxon';
import { ErrorBar } from '../shared/Shell';
import { locale, t } from '../shared/i18n';
import { fromFloatingDate, toFloating, toFloatingDate } from '../shared/time';
import type { ThemeName } from '../shared/theme';
import { isActive, type BookingApi, type Reservation, type Room } from './model';
import { asApiError, now } from './util';
import type { BookingDraft } from './BookDialog';
import type { Holiday } from '../shared/holidays';

const useStyles = makeStyles({
  toolbar: { display: 'flex', flexWrap: 'wrap', gap: '8px', alignItems: 'center', padding: '8px 0' },
  title: { minWidth: '200px' },
  arrow: { minWidth: '32px' },
  // Reservations by whose they are and their status; the rest of the colours come from the shared ec-theme.css.
  cal: {
    // The timeline shows one day (or a week): a tinted "today" would colour the whole grid.
    '& .ec.ec': { '--ec-today-bg-color': tokens.colorNeutralBackground1 },
    // Pending: the page's own colours with a dashed outline, legible in every theme.
    '& .ec-event.bk-pending': {
      backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1,
      outline: `2px dashed ${tokens.colorPaletteMarigoldBorderActive}`, outlineOffset: '-2px',
    },
    '& .ec-event.bk-mine': { backgroundColor: tokens.colorBrandBackground, color: tokens.colorNeutralForegroundOnBrand },
    '& .ec-event.bk-other': { backgroundColor: tokens.colorNeutralBackground5, color: tokens.colorNeutralForeground1 },
    '& .bk-inactive': { color: tokens.colorNeutralForeground3 },
  },
});

export type TimelineView = 'day' | 'week';

const plugins = [ResourceTimeline, Interaction];
const noToolbar = { start: '', center: '', end: '' };
const weekSlotLabel = { hour: 'numeric' };
const daySlotLabel = { hour: 'numeric', minute: '2-digit' };

export function Timeline(props: {
  bapi: BookingApi;
  rooms: Room[];
  zone: string;
  userId: string;
  theme: ThemeName;
  view: TimelineView;
  onView: (v: TimelineView) => void;
  /** Bumped by the page when reservations changed elsewhere (a booking, a cancel). */
  version: number;
  onBook: (d: BookingDraft) => void;
  onOpen: (r: Reservation) => void;
  /** The tab's public holidays on dates [from, to), when it shows some. */
  holidays?: (from: string, to: string) => Promise<Holiday[]>;
}) {
  const { bapi, rooms, zone, view } = props;
  const s = useStyles();
  const cal = useRef<Calendar | null>(null);
  const [day, setDay] = useState(() => now().setZone(zone).startOf('day'));
  const [reservations, setReservations] = useState<Reservation[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const handlers = useRef(props);
  handlers.current = props;

  const first = view === 'week' ? day.startOf('week') : day;
  const last = first.plus({ days: view === 'week' ? 7 : 1 });

  // The public holidays of the window, shown above the grid (read-only).
  const [holidays, setHolidays] = useState<Holiday[]>([]);
  useEffect(() => {
    let gone = false;
    setHolidays([]);
    props.holidays?.(first.toISODate()!, last.toISODate()!).then((hs) => !gone && setHolidays(hs), () => {});
    return () => {
      gone = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.holidays, first.toISODate(), view]);

  // Load the rooms' schedules for the window: one request for the view.
  useEffect(() => {
    let gone = false;
    setReservations(null);
    setErr(null);
    bapi.schedules(rooms.map((r) => r.id), first, last)
      .then((list) => !gone && setReservations(list))
      .catch((e) => !gone && (setErr(asApiError(e)), setReservations([])));
    return () => {
      gone = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bapi, rooms, first.toISO(), view, props.version]);

  const resources = useMemo(
    () => rooms.map((r) => ({
      id: r.id,
      title: r.name + (r.capacity ? ` · ${r.capacity}` : '') + (isActive(r) ? '' : ` (${t('booking.room.inactive')})`),
    })),
    [rooms],
  );

  const events = useMemo(
    () => (reservations ?? []).map((r) => {
      const mine = r.organizer.toLowerCase() === props.userId.toLowerCase();
      return {
        id: r.id,
        resourceIds: [r.resourceId],
        start: toFloating(r.startDate, zone),
        end: toFloating(r.endDate, zone),
        title: (r.status === 'pending' ? t('booking.status.pending') + ': ' : '') + r.title,
        classNames: [r.status === 'pending' ? 'bk-pending' : mine ? 'bk-mine' : 'bk-other'],
        extendedProps: { reservation: r },
      };
    }),
    [reservations, zone, props.userId],
  );

  // Callbacks read the latest props through a ref, so the options stay the same objects between renders.
  const callbacks = useMemo(
    () => ({
      select: (info: { start: Date; end: Date; resource?: { id: string | number } }) => {
        const h = handlers.current;
        h.onBook({ roomId: String(info.resource?.id ?? ''), start: fromFloatingDate(info.start, h.zone), end: fromFloatingDate(info.end, h.zone) });
        cal.current?.unselect();
      },
      dateClick: (info: { date: Date; resource?: { id: string | number } }) => {
        const h = handlers.current;
        const start = fromFloatingDate(info.date, h.zone);
        h.onBook({ roomId: String(info.resource?.id ?? ''), start, end: start.plus({ minutes: 30 }) });
      },
      eventClick: (info: { event: { extendedProps: Record<string, unknown> }; jsEvent: Event }) => {
        const open = () => handlers.current.onOpen(info.event.extendedProps.reservation as Reservation);
        // The library opens on Enter's keydown; the rest of that key press
        // would land on the dialog's first button. Open once the key is up.
        if (info.jsEvent instanceof KeyboardEvent) window.addEventListener('keyup', open, { once: true });
        else open();
      },
      eventDidMount: (info: { event: { title: unknown; extendedProps: Record<string, unknown> }; el: HTMLElement; timeText: string }) => {
        const r = info.event.extendedProps.reservation as Reservation | undefined;
        if (!r) return; // the selection being drawn
        // Named by its visible time and title (a screen reader reads the row's
        // room from the button's description).
        info.el.setAttribute('title', `${String(info.event.title)}, ${r.resourceName ?? r.resourceId}`);
        info.el.dataset.reservation = r.id;
      },
    }),
    [],
  );
  const n = now().setZone(zone);
  const scroll = view === 'week' ? 0 : first.hasSame(n, 'day') ? Math.max(0, n.hour - 1) : 7;
  const firstKey = first.toISO();
  const date = useMemo(() => toFloatingDate(first), [firstKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const options: Record<string, unknown> = {
    view: view === 'week' ? 'resourceTimelineWeek' : 'resourceTimelineDay',
    timeZone: 'UTC',
    locale: locale(),
    date,
    headerToolbar: noToolbar,
    height: 'auto',
    slotDuration: view === 'week' ? '03:00' : '00:30',
    snapDuration: '00:05',
    slotWidth: view === 'week' ? 48 : 56,
    slotLabelFormat: view === 'week' ? weekSlotLabel : daySlotLabel,
    scrollTime: String(scroll).padStart(2, '0') + ':00:00',
    nowIndicator: true,
    selectable: true,
    editable: false,
    resources,
    events,
    ...callbacks,
  };

  const move = (n: number) => setDay(day.plus({ days: n * (view === 'week' ? 7 : 1) }));
  const title = view === 'week'
    ? `${first.setLocale(locale()).toLocaleString(DateTime.DATE_MED)} – ${last.minus({ days: 1 }).setLocale(locale()).toLocaleString(DateTime.DATE_MED)}`
    : day.setLocale(locale()).toLocaleString(DateTime.DATE_HUGE);
  const bookable = rooms.filter(isActive);
  const newReservation = () => {
    const n = now().setZone(zone);
    let start = day.set({ hour: n.hour, minute: 0 }).plus({ hours: 1 });
    if (!day.hasSame(n, 'day')) start = day.set({ hour: 9 });
    handlers.current.onBook({ roomId: bookable[0]?.id ?? '', start, end: start.plus({ minutes: 30 }) });
  };

  return (
    <section aria-labelledby="timeline-title">
      <Toolbar className={s.toolbar} aria-label={t('booking.timeline.toolbar')}>
        <Button onClick={() => move(-1)} id="timeline-prev" aria-label={t('booking.timeline.prev')} className={s.arrow}>‹</Button>
        <Button onClick={() => setDay(now().setZone(zone).startOf('day'))} id="timeline-today">
          {t('booking.timeline.today')}
        </Button>
        <Button onClick={() => move(1)} id="timeline-next" aria-label={t('booking.timeline.next')} className={s.arrow}>›</Button>
        <Input
          type="date"
          aria-label={t('booking.timeline.date')}
          id="timeline-date"
          value={day.toISODate() ?? ''}
          onChange={(_, d) => {
            const v = DateTime.fromISO(d.value, { zone });
            if (v.isValid) setDay(v.startOf('day'));
          }}
        />
        <Text as="h2" weight="semibold" size={400} id="timeline-title" className={s.title}>
          {title}
        </Text>
        <ToggleButton checked={view === 'day'} onClick={() => props.onView('day')} id="timeline-day">
          {t('booking.view.day')}
        </ToggleButton>
        <ToggleButton checked={view === 'week'} onClick={() => props.onView('week')} id="timeline-week">
          {t('booking.view.week')}
        </ToggleButton>
        <Button appearance="primary" onClick={newReservation} disabled={bookable.length === 0} id="timeline-new">
          {t('booking.timeline.new')}
        </Button>
        {reservations === null && <Spinner size="tiny" aria-label={t('app.loading')} />}
      </Toolbar>
      <Text size={200}>{t('booking.timeline.hint', { zone })}</Text>
      {holidays.length > 0 && (
        <MessageBar intent="info" id="timeline-holidays" layout="multiline">
          <MessageBarBody>
            {t('holidays.banner', {
              list: holidays.map((h) => (view === 'week' ? DateTime.fromISO(h.date).setLocale(locale()).toLocaleString({ weekday: 'short', day: 'numeric', month: 'short' }) + ': ' : '') + h.name).join(' · '),
            })}
          </MessageBarBody>
        </MessageBar>
      )}
      {err ? <ErrorBar error={err} /> : null}
      <div className={s.cal} id="timeline" data-loaded={reservations !== null ? 'true' : 'false'}>
        <CalendarView plugins={plugins} options={options} calendarRef={cal} label={t('booking.timeline.label', { date: title })}
          presentationalGrid={t('booking.timeline.scroll')} />
      </div>
    </section>
  );
}
