// The calendar tab: month / week / day / agenda views of the tab's events in
// the TAB's zone (occurrences from the API's window, so recurrence and DST
// stay on the server), the event dialog, drag to move and resize, "this
// occurrence / this and following / the series" for recurring events,
// filters, recently deleted, and the owners' feed, keys and copy.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Button, Input, MessageBar, MessageBarBody, Select, Spinner, Text, Toolbar, makeStyles, tokens } from '@fluentui/react-components';
import { DateTime } from 'luxon';
import { ApiError } from '../shared/api';
import { CalendarView, DayGrid, Interaction, List, TimeGrid, type Calendar } from '../shared/calendar';
import { locale, t } from '../shared/i18n';
import { query } from '../shared/session';
import { ErrorBar, type PageContext } from '../shared/Shell';
import { holidayEvents, isHolidayEvent, tabHolidays } from '../shared/holidays';
import { floatingLabel, fromFloatingDate, toFloating, toFloatingDate } from '../shared/time';
import { DeletedDialog } from './DeletedDialog';
import { EventDialog, ScopeDialog, bodyOf, formOf, formTimes, newForm, withRepeat, type EventForm, type Scope } from './EventDialog';
import { calendarPath, colours, isRecurring, viewNames, type CalEvent, type Tab } from './model';
import { ExternalEventDialog, ExternalPanel } from './ExternalPanel';
import { SharePanel } from './SharePanel';
import { dayKey, monthCapacity, planMonth, type MonthPlan, type Placed } from './monthLimit';
import './strings';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '8px', padding: '8px 12px' },
  bar: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'end' },
  cal: { minHeight: '600px', backgroundColor: tokens.colorNeutralBackground1 },
});

interface Editing {
  ev: CalEvent | null; // null: new
  series?: CalEvent & { etag?: string };
  form: EventForm;
}

interface MountInfo {
  el: HTMLElement;
  timeText: string;
  event: { title: string; start: Date; extendedProps: { ev: CalEvent; holiday?: unknown; more?: string } };
}

/** An event as EventCalendar hands it to eventFilter and eventContent. */
interface ViewEvent extends Placed {
  display?: string;
  extendedProps: { ev?: CalEvent; more?: string };
}

/** The gap EventCalendar leaves between stacked events (its eventGap). */
const eventGap = 1;

/**
 * One "+k more" entry per day of a window, for the month grid (see
 * monthLimit.ts): the last of its day (23:59:59), never moved, drawn only on a
 * day whose events do not all fit, and nowhere in the other views.
 */
function moreEntries(info: { start: Date; end: Date }) {
  const out = [];
  for (let d = new Date(info.start.getFullYear(), info.start.getMonth(), info.start.getDate()); d < info.end; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
    const key = dayKey(d);
    const next = dayKey(new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1));
    out.push({
      id: 'more|' + key,
      start: key + 'T23:59:59',
      end: next + 'T00:00:00',
      allDay: false,
      editable: false,
      startEditable: false,
      durationEditable: false,
      classNames: ['tp-more'],
      extendedProps: { more: key },
    });
  }
  return out;
}

/** Events drawn but not yet labelled (see eventDidMount). */
const mounted: MountInfo[] = [];

const isoUTC = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;

export function ContentPage({ session, api }: PageContext) {
  const s = useStyles();
  const tabId = session.entityId;
  const [tab, setTab] = useState<Tab | null>(null);
  const [admin, setAdmin] = useState(false);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [err, setErr] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [busy, setBusy] = useState(false);
  const [scopeFor, setScopeFor] = useState<null | 'edit' | 'delete'>(null);
  const scopeResolve = useRef<(s: Scope | null) => void>(() => {});
  const [search, setSearch] = useState('');
  const [tag, setTag] = useState('');
  const [color, setColor] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [deletedOpen, setDeletedOpen] = useState(false);
  const [shareOpen, setShareOpen] = useState(false);
  const [extOpen, setExtOpen] = useState(false);
  const [viewing, setViewing] = useState<CalEvent | null>(null);
  const cal = useRef<Calendar | null>(null);
  const calBox = useRef<HTMLDivElement>(null);
  const filters = useRef({ search: '', tag: '', color: '' });

  useEffect(() => {
    if (!tabId) return;
    Promise.all([api.request<Tab>('GET', '/api/tabs/' + encodeURIComponent(tabId)), api.get<{ admin: boolean }>('/api/me')]).then(
      ([r, me]) => {
        setTab({ ...r.data, etag: r.etag });
        setAdmin(!!me.admin);
      },
      setLoadErr,
    );
  }, [api, tabId]);

  const zone = tab?.settings.timeZone || 'UTC';
  const base = calendarPath(tab?.calendarId ?? '');
  const [title, setTitle] = useState('');
  const [view, setView] = useState('');
  const calApi = () => cal.current as unknown as { prev: () => void; next: () => void; setOption: (k: string, v: unknown) => void } | null;
  const owner = admin || (tab?.settings.owners ?? []).includes(session.userId);

  const refetch = () => (cal.current as unknown as { refetchEvents: () => void } | null)?.refetchEvents();
  // A filter change asks for the window again; the first run (no change yet)
  // does not, or a month of events would be fetched and drawn twice on opening.
  const filtered = useRef(false);
  useEffect(() => {
    filters.current = { search, tag, color };
    if (!filtered.current) {
      filtered.current = true;
      return;
    }
    const h = setTimeout(refetch, 250);
    return () => clearTimeout(h);
  }, [search, tag, color]);

  const pickScope = (kind: 'edit' | 'delete') =>
    new Promise<Scope | null>((resolve) => {
      scopeResolve.current = resolve;
      setScopeFor(kind);
    });

  // EventCalendar may ask twice at once for one window while it sets up; one request answers both.
  const inflight = useRef(new Map<string, Promise<unknown>>());
  const loadEvents = useCallback(
    (info: { start: Date; end: Date }) => {
      const f = filters.current;
      const key = [info.start.getTime(), info.end.getTime(), f.search, f.tag, f.color].join('|');
      let p = inflight.current.get(key);
      if (!p) {
        p = fetchEvents(info).finally(() => inflight.current.delete(key));
        inflight.current.set(key, p);
      }
      return p;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, base, zone],
  );
  const fetchEvents = useCallback(
    async (info: { start: Date; end: Date }) => {
      const from = fromFloatingDate(info.start, zone);
      const to = fromFloatingDate(info.end, zone);
      const f = filters.current;
      // The largest page the API gives (1,000): the view needs the whole
      // window, and each page reads the window from storage again, so a busy
      // month (a 5,000-event calendar: some 560 occurrences) is one request
      // and one read rather than three of each, one after the other.
      const items = await api.listAll<CalEvent>(base + '/occurrences', {
        query: { from: isoUTC(from), to: isoUTC(to), top: '1000', search: f.search || undefined, tag: f.tag || undefined, color: f.color || undefined },
      });
      setTags((old) => [...new Set([...old, ...items.flatMap((e) => e.tags ?? [])])].sort());
      return items.map((e) => ({
        id: e.seriesId ? e.seriesId + '|' + e.originalStart : e.id,
        title: e.title,
        start: e.allDay && e.startDay ? e.startDay : toFloating(e.startDate, zone),
        end: e.allDay && e.endDay ? e.endDay : toFloating(e.endDate, zone),
        allDay: e.allDay,
        backgroundColor: e.color || undefined,
        // An external calendar's events are shown, never changed here (the
        // calendar's eventStartEditable and eventDurationEditable would
        // override a plain editable: false).
        ...(e.readOnly ? { editable: false, startEditable: false, durationEditable: false } : {}),
        classNames: e.readOnly ? ['tp-external'] : [],
        extendedProps: { ev: e },
      }));
    },
    [api, base, zone],
  );
  // The tab's public holidays: read-only all-day items beside the events.
  const holidays = tab?.settings.holidays;
  const loadHolidays = useCallback(
    (info: { start: Date; end: Date }) =>
      holidays && tabId ? tabHolidays(api, tabId, fromFloatingDate(info.start, zone).toISODate()!, fromFloatingDate(info.end, zone).toISODate()!).then(holidayEvents) : Promise.resolve([]),
    [api, tabId, zone, holidays],
  );

  const openEvent = async (ev: CalEvent) => {
    setErr(null);
    if (ev.readOnly) return setViewing(ev);
    let series: (CalEvent & { etag?: string }) | undefined;
    if (ev.seriesId) {
      try {
        const r = await api.request<CalEvent>('GET', base + '/events/' + encodeURIComponent(ev.seriesId));
        series = { ...r.data, etag: r.etag };
      } catch (e) {
        setErr(e);
      }
    }
    setEditing({ ev, series, form: formOf(ev, zone, series) });
  };

  const openNew = (start: DateTime, end: DateTime, allDay: boolean) => {
    setErr(null);
    setEditing({ ev: null, form: newForm(start, end, allDay, zone) });
  };

  /** Saves the changes of an event or occurrence (body) at the scope chosen. */
  const saveChange = async (ev: CalEvent, series: CalEvent | undefined, body: Partial<CalEvent>, scope: Scope | null) => {
    if (!ev.seriesId) {
      await api.patch(base + '/events/' + encodeURIComponent(ev.id!), body, { ifMatch: ev.etag });
      return;
    }
    const occ = base + '/events/' + encodeURIComponent(ev.seriesId) + '/occurrences/' + encodeURIComponent(ev.originalStart!);
    if (scope === 'occurrence') {
      const { modeRecurrence: _m, rrule: _r, ...b } = body;
      await api.put(occ, b);
    } else if (scope === 'following') {
      await api.post(occ + '/split', body);
    } else if (scope === 'series') {
      // The series moves by as much as this occurrence moved.
      const b = { ...body };
      if (series && body.startDate && body.endDate) {
        const delta = DateTime.fromISO(body.startDate).toMillis() - DateTime.fromISO(ev.startDate).toMillis();
        const dur = DateTime.fromISO(body.endDate).toMillis() - DateTime.fromISO(body.startDate).toMillis();
        const start = DateTime.fromISO(series.startDate).plus({ milliseconds: delta });
        b.startDate = isoUTC(start);
        b.endDate = isoUTC(start.plus({ milliseconds: dur }));
      }
      await api.patch(base + '/events/' + encodeURIComponent(ev.seriesId), b, { ifMatch: (series as { etag?: string })?.etag });
    }
  };

  const save = async () => {
    if (!editing) return;
    const { ev, series, form } = editing;
    let scope: Scope | null = null;
    if (ev && ev.seriesId) {
      scope = await pickScope('edit');
      if (!scope) return;
    }
    setBusy(true);
    setErr(null);
    try {
      const body = scope === 'occurrence' ? bodyOf(form) : withRepeat(bodyOf(form), form);
      if (!ev) await api.post(base + '/events', body);
      else await saveChange(ev, series, body, scope);
      setEditing(null);
      refetch();
    } catch (e) {
      setErr(e); // the dialog stays open with what was typed
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!editing?.ev) return;
    const { ev, series } = editing;
    let scope: Scope | null = null;
    if (ev.seriesId) {
      scope = await pickScope('delete');
      if (!scope) return;
    }
    setBusy(true);
    setErr(null);
    try {
      if (!ev.seriesId) await api.del(base + '/events/' + encodeURIComponent(ev.id!), { ifMatch: ev.etag });
      else if (scope === 'occurrence')
        await api.del(base + '/events/' + encodeURIComponent(ev.seriesId) + '/occurrences/' + encodeURIComponent(ev.originalStart!));
      else if (scope === 'series') await api.del(base + '/events/' + encodeURIComponent(ev.seriesId), { ifMatch: series?.etag });
      else if (scope === 'following') {
        // The series ends just before this occurrence.
        const until = isoUTC(DateTime.fromISO(ev.originalStart!).minus({ seconds: 1 }));
        const rule = series?.rrule;
        if (!rule || typeof rule === 'string') throw new ApiError(400, { detail: 'This series\' rule cannot be cut here; delete the occurrences one by one or the series.' }, '');
        const { count: _c, ...rest } = rule;
        await api.patch(base + '/events/' + encodeURIComponent(ev.seriesId), { modeRecurrence: 'Custom', rrule: { ...rest, until } }, { ifMatch: series?.etag });
      }
      setEditing(null);
      setNotice(t('ev.deleted'));
      refetch();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  /** A drag or resize: new start/end from the view, saved at the scope chosen; undone on failure. */
  const moved = async (info: { event: { start: Date; end: Date | null; allDay: boolean; extendedProps: { ev: CalEvent } }; revert: () => void }) => {
    const ev = info.event.extendedProps.ev;
    const ez = ev.timeZone || zone;
    let start = fromFloatingDate(info.event.start, zone).setZone(ez);
    let end = info.event.end ? fromFloatingDate(info.event.end, zone).setZone(ez) : start.plus({ hours: 1 });
    if (info.event.allDay) {
      start = DateTime.fromISO(DateTime.fromJSDate(info.event.start).toISODate()!, { zone: ez });
      end = info.event.end ? DateTime.fromISO(DateTime.fromJSDate(info.event.end).toISODate()!, { zone: ez }) : start.plus({ days: 1 });
    }
    const body: Partial<CalEvent> = { startDate: isoUTC(start), endDate: isoUTC(end), allDay: info.event.allDay, timeZone: ez };
    let scope: Scope | null = null;
    let series: CalEvent | undefined;
    if (ev.seriesId) {
      scope = await pickScope('edit');
      if (!scope) return info.revert();
      try {
        const r = await api.request<CalEvent>('GET', base + '/events/' + encodeURIComponent(ev.seriesId));
        series = { ...r.data, etag: r.etag } as CalEvent;
      } catch (e) {
        setErr(e);
        return info.revert();
      }
    }
    try {
      await saveChange(ev, series, body, scope);
      refetch();
    } catch (e) {
      info.revert();
      setNotice('');
      setErr(e);
    }
  };

  const settings = tab?.settings;
  const initialView = viewNames[query().get('view') ?? settings?.defaultView ?? 'month'] ?? 'dayGridMonth';
  const hidden = useMemo(() => {
    if (!settings) return [];
    if (settings.defaultView === 'workweek') return [0, 1, 2, 3, 4, 5, 6].filter((d) => !(settings.businessDays ?? [1, 2, 3, 4, 5]).includes(d));
    return settings.showWeekends === false ? [0, 6] : [];
  }, [settings]);

  /** Shows one day (YYYY-MM-DD) with all its events: where a month's "+k more" leads. */
  const openDay = (day: string) => {
    calApi()?.setOption('date', toFloatingDate(DateTime.fromISO(day)));
    calApi()?.setOption('view', 'timeGridDay');
  };

  /**
   * Writes each "+k more" entry of the month's k and names the entry by it
   * and its day. Run after every update of the events, not only when an entry
   * is drawn: the library keeps an entry (same day, same event) and its
   * content while a new plan changes its k.
   */
  const labelMore = () => {
    calBox.current?.querySelectorAll<HTMLElement>('.ec-event.tp-more').forEach((el) => {
      const text = el.querySelector<HTMLElement>('[data-day]');
      const day = text?.dataset.day;
      if (!text || !day) return;
      const n = String(plan.current?.more.get(day) ?? 0);
      if (text.textContent !== t('cal.more', { n })) text.textContent = t('cal.more', { n });
      el.dataset.more = day;
      el.setAttribute('aria-label', t('cal.more.label', { n, date: DateTime.fromISO(day).setLocale(locale()).toLocaleString(DateTime.DATE_MED_WITH_WEEKDAY) }));
    });
  };

  /** Makes the events mounted since the last frame keyboard buttons named by what they show. */
  const labelMounted = () => {
    for (const info of mounted.splice(0)) {
      if (isHolidayEvent(info)) continue;
      if (info.event.extendedProps.more) continue; // labelMore
      const ev = info.event.extendedProps.ev;
      info.el.tabIndex = 0;
      info.el.setAttribute('role', 'button');
      info.el.dataset.start = floatingLabel(info.event.start);
      info.el.dataset.recurring = String(isRecurring(ev));
      // Named by what it shows (time, title), then the day for context.
      // The time and the title are adjacent blocks, which read as one word
      // ("11:00Planning") for tools that check the label against the visible
      // text; a space between them keeps the visible text a phrase of the label.
      const time = info.el.querySelector('.ec-event-time');
      if (time && time.nextSibling && time.nextSibling.nodeType !== Node.TEXT_NODE) time.after(' ');
      // An external calendar's event says whose it is, and that it is read-only, last.
      info.el.setAttribute('aria-label', [info.timeText, info.event.title, DateTime.fromJSDate(info.event.start).setLocale(locale()).toLocaleString(DateTime.DATE_MED_WITH_WEEKDAY), ev.readOnly ? t('ext.readOnly', { name: ev.externalName ?? '' }) : ''].filter(Boolean).join(' '));
      info.el.addEventListener('keydown', (k) => {
        if (k.key === 'Enter' || k.key === ' ') {
          k.preventDefault();
          openEvent(ev);
        }
      });
    }
  };

  // The month grid's plan (monthLimit.ts): made when EventCalendar filters
  // the events of a month (its first call, index 0, sees them all), read by
  // the filter's other calls and by the "+k more" entries' content.
  const plan = useRef<MonthPlan | null>(null);
  const capacity = useRef(0);
  const rowsOf = (view: { activeStart: Date; activeEnd: Date }) => Math.round((view.activeEnd.getTime() - view.activeStart.getTime()) / (7 * 864e5));
  const makeFilter = () => (info: { event: ViewEvent; index: number; events: ViewEvent[]; view: { type: string; activeStart: Date; activeEnd: Date } }) => {
    const { event, index, events, view } = info;
    const more = event.extendedProps.more;
    if (view.type !== 'dayGridMonth') return !more;
    if (index === 0 || !plan.current) {
      const root = calBox.current?.querySelector<HTMLElement>('.ec');
      capacity.current = (root && monthCapacity(root, rowsOf(view), eventGap)) || capacity.current || 3;
      const counted = events.filter((e) => !e.extendedProps.more && e.display !== 'background');
      const p = planMonth(counted, view.activeStart, view.activeEnd, capacity.current);
      const shown = new Set(counted.filter((_, i) => p.shown[i]));
      plan.current = { ...p, shown: events.map((e) => shown.has(e) || (!e.extendedProps.more && e.display === 'background')) };
    }
    if (more) return plan.current.more.has(more);
    return plan.current.shown[index];
  };
  // After a month is drawn, or the calendar resized: when a day cell now
  // holds a different number of entries than the plan assumed (the first plan
  // of a page measures a grid without events), plan again.
  const checkCapacity = () => {
    const c = cal.current as unknown as { getView: () => { type: string; activeStart: Date; activeEnd: Date }; setOption: (k: string, v: unknown) => void } | null;
    const root = calBox.current?.querySelector<HTMLElement>('.ec');
    if (!c || !root || !plan.current) return;
    const view = c.getView();
    if (view.type !== 'dayGridMonth') return;
    const now = monthCapacity(root, rowsOf(view), eventGap);
    if (now && now !== plan.current.capacity) {
      capacity.current = now;
      plan.current = null;
      c.setOption('eventFilter', makeFilter());
    }
  };
  useEffect(() => {
    const box = calBox.current;
    if (!box) return;
    let frame = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(checkCapacity);
    });
    ro.observe(box);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settings]);

  const options = useMemo(() => {
    if (!settings) return null;
    const o: Record<string, unknown> = {
      view: initialView,
      locale: locale(),
      firstDay: settings.firstDayOfWeek ?? 1,
      hiddenDays: hidden,
      weekNumbers: !!settings.showWeekNumbers,
      scrollTime: (settings.businessHours?.start ?? '08:00') + ':00',
      // A fixed height: week and day views scroll to business hours, and a
      // month shows a few events a day and "+n more" (a busy month stays light).
      height: 'max(540px, calc(100vh - 150px))',
      nowIndicator: true,
      editable: true,
      selectable: true,
      // The month grid gets only what its cells show and a "+k more" entry
      // per full day (eventFilter, monthLimit.ts); dayMaxEvents stays as the
      // library's own guard should a cell still overflow.
      dayMaxEvents: true,
      eventFilter: makeFilter(),
      eventContent: (info: { event: ViewEvent }) => {
        const day = info.event.extendedProps.more;
        if (!day) return undefined;
        const text = document.createElement('span');
        text.dataset.day = day;
        text.textContent = t('cal.more', { n: String(plan.current?.more.get(day) ?? 0) });
        return { domNodes: [text] };
      },
      // The navigation is the page's own Fluent toolbar (named buttons, Teams look).
      headerToolbar: { start: '', center: '', end: '' },
      // Marks the moment the events of a window are drawn (make bench reads it).
      eventAllUpdated: () => {
        document.documentElement.dataset.eventsRendered = String(Math.round(performance.now()));
        checkCapacity();
        labelMore();
      },
      datesSet: (info: { view: { title: string; type: string } }) => {
        setTitle(info.view.title);
        setView(info.view.type);
      },
      eventTimeFormat: { hour: '2-digit', minute: '2-digit', hour12: false },
      slotLabelFormat: { hour: '2-digit', minute: '2-digit', hour12: false },
      eventSources: [{ events: loadEvents }, { events: loadHolidays }, { events: moreEntries }],
      eventClick: (info: { event: { extendedProps: { ev?: CalEvent; more?: string } } }) => {
        const { ev, more } = info.event.extendedProps;
        if (more) return openDay(more);
        if (ev) openEvent(ev);
      },
      dateClick: (info: { date: Date; allDay: boolean }) => {
        const start = fromFloatingDate(info.date, zone);
        openNew(info.allDay ? start : start, info.allDay ? start.plus({ days: 1 }) : start.plus({ hours: 1 }), info.allDay);
      },
      select: (info: { start: Date; end: Date; allDay: boolean }) => {
        openNew(fromFloatingDate(info.start, zone), fromFloatingDate(info.end, zone), info.allDay);
        (cal.current as unknown as { unselect: () => void })?.unselect();
      },
      eventDrop: moved,
      eventResize: moved,
      eventDidMount: (info: MountInfo) => {
        // Written in one batch before the next frame: a write here, between
        // EventCalendar's measures of each event, would make the browser lay
        // the month out again for every event (seconds for a busy month).
        if (!mounted.length) requestAnimationFrame(labelMounted);
        mounted.push(info);
      },
    };
    const d = query().get('date');
    if (d) o.date = d;
    return o;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settings, hidden, loadEvents, loadHolidays]);

  if (!tabId || (loadErr instanceof ApiError && loadErr.status === 404))
    return (
      <main className={s.page}>
        <MessageBar intent="warning">
          <MessageBarBody>{t('cal.notConfigured')}</MessageBarBody>
        </MessageBar>
      </main>
    );
  if (loadErr) return <main className={s.page}><ErrorBar error={loadErr} /></main>;
  if (!tab || !options) return <Spinner label={t('app.loading')} style={{ marginTop: 48 }} />;

  return (
    <main className={s.page}>
      <h1 style={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>Calendar Pro</h1>
      <Toolbar aria-label="Calendar Pro" className={s.bar}>
        <Button id="cal-new" appearance="primary" onClick={() => {
          const start = DateTime.now().setZone(zone).plus({ hours: 1 }).startOf('hour');
          openNew(start, start.plus({ hours: 1 }), false);
        }}>
          {t('cal.new')}
        </Button>
        <Input id="cal-search" aria-label={t('cal.filter.search')} placeholder={t('cal.filter.search')} value={search} onChange={(_, d) => setSearch(d.value)} />
        <Select id="cal-tag" aria-label={t('cal.filter.tag')} value={tag} onChange={(_, d) => setTag(d.value)}>
          <option value="">{t('cal.filter.tag')}: {t('cal.filter.any')}</option>
          {tags.map((x) => (
            <option key={x} value={x}>
              {x}
            </option>
          ))}
        </Select>
        <Select id="cal-color" aria-label={t('cal.filter.color')} value={color} onChange={(_, d) => setColor(d.value)}>
          <option value="">{t('cal.filter.color')}: {t('cal.filter.any')}</option>
          {colours.map((x) => (
            <option key={x} value={x}>
              {x}
            </option>
          ))}
        </Select>
        <Button id="cal-deleted" onClick={() => setDeletedOpen(true)}>{t('cal.deleted')}</Button>
        {owner && <Button id="cal-share" onClick={() => setShareOpen(true)}>{t('cal.share')}</Button>}
        {owner && <Button id="cal-externals" onClick={() => setExtOpen(true)}>{t('ext.open')}</Button>}
        <Text size={200} style={{ marginLeft: 'auto' }}>{t('cal.zoneNote', { zone })}</Text>
      </Toolbar>
      {notice && (
        <MessageBar intent="success">
          <MessageBarBody>{notice}</MessageBarBody>
        </MessageBar>
      )}
      {!!err && !editing && <ErrorBar error={err} />}
      <Toolbar aria-label={t('cal.navigation')} className={s.bar}>
        <Button id="cal-prev" aria-label={t('cal.prev')} icon={<span aria-hidden>‹</span>} onClick={() => calApi()?.prev()} />
        <Button id="cal-today" onClick={() => calApi()?.setOption('date', toFloatingDate(DateTime.now().setZone(zone).startOf('day')))}>{t('cal.today')}</Button>
        <Button id="cal-next" aria-label={t('cal.next')} icon={<span aria-hidden>›</span>} onClick={() => calApi()?.next()} />
        <Text as="h2" id="cal-title" weight="semibold" size={400} style={{ margin: '0 8px' }} aria-live="polite">{title}</Text>
        <div role="group" aria-label={t('cal.views')} style={{ marginLeft: 'auto', display: 'flex', gap: 4 }}>
          {(['dayGridMonth', 'timeGridWeek', 'timeGridDay', 'listWeek'] as const).map((v, i) => (
            <Button key={v} id={'cal-view-' + v} aria-pressed={view === v} appearance={view === v ? 'primary' : 'secondary'} onClick={() => calApi()?.setOption('view', v)}>
              {t(['cal.view.month', 'cal.view.week', 'cal.view.day', 'cal.view.agenda'][i])}
            </Button>
          ))}
        </div>
      </Toolbar>
      <div ref={calBox}>
      <CalendarView plugins={[DayGrid, TimeGrid, List, Interaction]} options={options} calendarRef={cal} className={s.cal + ' tp-own-toolbar'} label="Calendar" presentationalGrid={t('cal.grid')} />
      </div>
      {editing && (
        <EventDialog
          open
          heading={editing.ev ? t('ev.edit') : t('ev.new')}
          form={editing.form}
          setForm={(f) => setEditing({ ...editing, form: f })}
          canRepeat={!editing.ev || !editing.ev.seriesId || !!editing.series}
          error={err}
          busy={busy}
          onSave={save}
          onDelete={editing.ev ? remove : undefined}
          onClose={() => {
            setEditing(null);
            setErr(null);
          }}
        />
      )}
      <ScopeDialog
        open={scopeFor !== null}
        deleting={scopeFor === 'delete'}
        onPick={(sc) => {
          setScopeFor(null);
          scopeResolve.current(sc);
        }}
      />
      {deletedOpen && <DeletedDialog api={api} base={base} zone={zone} onClose={() => setDeletedOpen(false)} onRestored={() => {
        setNotice('');
        refetch();
      }} />}
      {extOpen && <ExternalPanel api={api} calendarId={tab.calendarId} zone={zone} onClose={() => setExtOpen(false)} onChanged={refetch} />}
      {viewing && <ExternalEventDialog ev={viewing} zone={zone} onClose={() => setViewing(null)} />}
      {shareOpen && <SharePanel api={api} calendarId={tab.calendarId} onClose={() => setShareOpen(false)} />}
    </main>
  );
}

export { formTimes };
