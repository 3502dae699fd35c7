// The booking tab: the day timeline of the tab's rooms, the free-room finder,
// my reservations, pending approvals for room managers, and rooms for admins.
// Times are shown in the tab's zone (its settings; the first room's zone if it
// has none).
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import {
  Button, MessageBar, MessageBarBody, Spinner, Tab as FluentTab, TabList, Text, Title3, makeStyles,
} from '@fluentui/react-components';
import { ErrorBar, type PageContext } from '../shared/Shell';
import { t } from '../shared/i18n';
import { browserZone, formatDateTime } from '../shared/time';
import { BookingApi, manages, isActive, type Me, type Reservation, type Room, type Tab } from './model';
import type { BookedResult, BookingDraft } from './BookDialog';
import { Timeline, type TimelineView } from './Timeline';
import { tabHolidays } from '../shared/holidays';
import { asApiError } from './util';

import './strings';

// The first screen is the timeline; everything else (dialogs, the finder, the
// lists, rooms management with its CSV import and export) is loaded when first
// shown, so the page Teams opens stays small.
const BookDialog = lazy(() => import('./BookDialog').then((m) => ({ default: m.BookDialog })));
const ReservationDialog = lazy(() => import('./ReservationDialog').then((m) => ({ default: m.ReservationDialog })));
const Finder = lazy(() => import('./Finder').then((m) => ({ default: m.Finder })));
const FindTime = lazy(() => import('./FindTime').then((m) => ({ default: m.FindTime })));
const MyReservations = lazy(() => import('./Lists').then((m) => ({ default: m.MyReservations })));
const Approvals = lazy(() => import('./Lists').then((m) => ({ default: m.Approvals })));
const Rooms = lazy(() => import('./Rooms').then((m) => ({ default: m.Rooms })));
const Utilisation = lazy(() => import('./Utilisation').then((m) => ({ default: m.Utilisation })));

const useStyles = makeStyles({
  page: { padding: '8px 20px 24px', display: 'flex', flexDirection: 'column', gap: '8px' },
  head: { display: 'flex', alignItems: 'center', gap: '16px', flexWrap: 'wrap' },
});

type Section = 'timeline' | 'finder' | 'findtime' | 'mine' | 'approvals' | 'rooms' | 'usage';

export function ContentPage(ctx: PageContext) {
  const s = useStyles();
  const bapi = useMemo(() => new BookingApi(ctx.api), [ctx.api]);
  const [me, setMe] = useState<Me | null>(null);
  const [tab, setTab] = useState<Tab | null | undefined>(undefined);
  const [allRooms, setAllRooms] = useState<Room[] | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [section, setSection] = useState<Section>('timeline');
  const [view, setView] = useState<TimelineView>('day');
  const [draft, setDraft] = useState<BookingDraft | null>(null);
  const [open, setOpen] = useState<Reservation | null>(null);
  const [notice, setNotice] = useState('');
  const [version, setVersion] = useState(0);
  const changed = useCallback(() => setVersion((v) => v + 1), []);

  const loadRooms = useCallback(
    () => bapi.rooms().then((rs) => setAllRooms(rs.sort((a, b) => a.name.localeCompare(b.name)))),
    [bapi],
  );
  useEffect(() => {
    const tabId = ctx.session.entityId;
    Promise.all([bapi.me(), tabId ? bapi.tab(tabId) : Promise.resolve(null), loadRooms()]).then(
      ([m, tb]) => {
        setMe(m);
        setTab(tb);
        if (tb?.settings.defaultView === 'week') setView('week');
      },
      (e) => setLoadErr(asApiError(e)),
    );
  }, [bapi, ctx.session.entityId, loadRooms]);

  const rooms = useMemo(() => {
    const ids = tab?.settings.rooms ?? [];
    return (allRooms ?? []).filter((r) => ids.length === 0 || ids.includes(r.id));
  }, [allRooms, tab]);
  const zone = tab?.settings.timeZone || rooms[0]?.timeZone || browserZone();
  const holidays = useMemo(
    () => (tab?.settings.holidays ? (from: string, to: string) => tabHolidays(ctx.api, tab.id, from, to) : undefined),
    [ctx.api, tab],
  );

  if (loadErr) return <main className={s.page}><ErrorBar error={loadErr} /></main>;
  if (tab === undefined || !me || !allRooms) return <Spinner label={t('app.loading')} style={{ marginTop: 48 }} />;
  if (tab === null || tab.kind !== 'booking') {
    return (
      <main className={s.page}>
        <MessageBar intent="warning">
          <MessageBarBody>{t('booking.notConfigured')}</MessageBarBody>
        </MessageBar>
        {!ctx.session.inTeams && (
          <div>
            <Button as="a" href={'/booking-room-pro/config' + window.location.search}>{t('booking.config.title')}</Button>
          </div>
        )}
      </main>
    );
  }
  const admin = me.admin;
  const isManager = allRooms.some((r) => manages(r, me.objectId, admin));
  const approver = allRooms.some((r) => manages(r, me.objectId, admin) && r.rules.requiresApproval);
  const booked = (r: BookedResult) => {
    setDraft(null);
    const when = formatDateTime(r.reservation.startDate, zone);
    let msg = r.reservation.status === 'pending' ? t('booking.booked.pending', { when }) : t('booking.booked', { when });
    if (r.occurrences) msg += ' ' + t('booking.booked.series', { n: r.occurrences });
    if (r.skipped?.length) msg += ' ' + t('booking.booked.skipped', { n: r.skipped.length });
    setNotice(msg);
    changed();
  };

  return (
    <main className={s.page}>
      <div className={s.head}>
        <Title3 as="h1">{t('booking.app')}</Title3>
        <Text size={200}>{tab.channelName}</Text>
        {!ctx.session.inTeams && (
          <Button size="small" as="a" href={'/booking-room-pro/config' + window.location.search} id="open-settings">
            {t('booking.config.title')}
          </Button>
        )}
      </div>
      <TabList selectedValue={section} onTabSelect={(_, d) => setSection(d.value as Section)} aria-label={t('booking.sections')} id="sections">
        <FluentTab value="timeline" id="section-timeline">{t('booking.section.timeline')}</FluentTab>
        <FluentTab value="finder" id="section-finder">{t('booking.section.finder')}</FluentTab>
        <FluentTab value="findtime" id="section-findtime">{t('booking.section.findtime')}</FluentTab>
        <FluentTab value="mine" id="section-mine">{t('booking.section.mine')}</FluentTab>
        {approver && <FluentTab value="approvals" id="section-approvals">{t('booking.section.approvals')}</FluentTab>}
        {(admin || isManager) && <FluentTab value="rooms" id="section-rooms">{t('booking.section.rooms')}</FluentTab>}
        {(admin || isManager) && <FluentTab value="usage" id="section-usage">{t('booking.section.usage')}</FluentTab>}
      </TabList>
      {notice && (
        <MessageBar intent="success" role="status" id="notice">
          <MessageBarBody>{notice}</MessageBarBody>
        </MessageBar>
      )}
      {rooms.length === 0 && section !== 'rooms' && (
        <MessageBar intent="info">
          <MessageBarBody>{admin ? t('booking.noRooms.admin') : t('booking.noRooms')}</MessageBarBody>
        </MessageBar>
      )}
      {section === 'timeline' && (
        <Timeline bapi={bapi} rooms={rooms} zone={zone} userId={me.objectId} theme={ctx.theme} view={view} onView={setView}
          version={version} onBook={(d) => (setNotice(''), setDraft(d))} onOpen={setOpen} holidays={holidays} />
      )}
      <Suspense fallback={<Spinner label={t('app.loading')} />}>
        {section === 'findtime' && (
          <FindTime bapi={bapi} calendarId={tab.calendarId} rooms={rooms.filter(isActive)} zone={zone}
            onBooked={(r) => booked({ reservation: r })} />
        )}
        {section === 'finder' && <Finder bapi={bapi} rooms={rooms.filter(isActive)} zone={zone} onBook={(d) => (setNotice(''), setDraft(d))} />}
        {section === 'mine' && (
          <MyReservations bapi={bapi} rooms={allRooms} zone={zone} userId={me.objectId} admin={admin} version={version} onChanged={changed} />
        )}
        {section === 'approvals' && (
          <Approvals bapi={bapi} rooms={allRooms} zone={zone} userId={me.objectId} admin={admin} version={version} onChanged={changed} />
        )}
        {section === 'rooms' && (
          <Rooms bapi={bapi} token={ctx.session.token} rooms={allRooms} zone={zone} userId={me.objectId} admin={admin}
            onChanged={() => (loadRooms(), changed())} />
        )}
        {section === 'usage' && <Utilisation bapi={bapi} token={ctx.session.token} rooms={allRooms.filter((r) => manages(r, me.objectId, admin))} />}
      </Suspense>
      {/* Dialogs load on first open; until then nothing shows but the page behind. */}
      <Suspense fallback={null}>
        {draft && (
          <BookDialog bapi={bapi} calendarId={tab.calendarId} rooms={rooms.filter(isActive)} zone={zone} draft={draft}
            onClose={() => setDraft(null)} onBooked={booked} />
        )}
      </Suspense>
      <Suspense fallback={null}>
        {open && (
          <ReservationDialog bapi={bapi} reservation={open} room={allRooms.find((r) => r.id === open.resourceId)} zone={zone}
            userId={me.objectId} admin={admin} onClose={() => setOpen(null)} onChanged={(r) => (setOpen(r), changed())} />
        )}
      </Suspense>
    </main>
  );
}
