// The booking tab's settings: which rooms it shows (all of them, or chosen
// ones, picked one by one or by building and floor) and how it opens (day or
// week timeline, in which time zone). Saving writes the tab through
// PUT /api/tabs/{tabId} with the team and channel of the Teams context, then
// Teams' setConfig points the tab at the content page; outside Teams (dev
// sign-in) saving goes to the content page. Reopening edits the same tab.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Button, Checkbox, Field, MessageBar, MessageBarBody, Radio, RadioGroup, Select, Spinner, Text, Title2, makeStyles, tokens,
} from '@fluentui/react-components';
import { ErrorBar, type PageContext } from '../shared/Shell';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { registerConfigSave, setConfigValid } from '../shared/session';
import { HolidayField, type HolidayPlace } from '../shared/holidays';
import { browserZone, timeZones } from '../shared/time';
import type { ApiError } from '../shared/api';
import { BookingApi, contentPath, type Room, type Tab } from './model';
import { asApiError } from './util';
import './strings';

const useStyles = makeStyles({
  page: { maxWidth: '760px', padding: '16px 20px', display: 'flex', flexDirection: 'column', gap: '16px' },
  tree: { display: 'flex', flexDirection: 'column', gap: '2px', maxHeight: '50vh', overflowY: 'auto',
    border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '8px' },
  floor: { paddingLeft: '24px' },
  room: { paddingLeft: '48px' },
  row: { display: 'flex', gap: '16px', flexWrap: 'wrap', '& > *': { flex: '1 1 220px' } },
});



/** The tab id: Teams' entity id when the tab exists, a new one otherwise. */
function tabIdOf(ctx: PageContext): string {
  return ctx.session.entityId || crypto.randomUUID();
}

export function ConfigPage(ctx: PageContext) {
  const s = useStyles();
  const bapi = useMemo(() => new BookingApi(ctx.api), [ctx.api]);
  const tabId = useMemo(() => tabIdOf(ctx), [ctx]);
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [tab, setTab] = useState<Tab | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [mode, setMode] = useState<'all' | 'chosen'>('all');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [view, setView] = useState('day');
  const [zone, setZone] = useState('');
  const [holidays, setHolidays] = useState<HolidayPlace | undefined>(undefined);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([bapi.rooms(), ctx.session.entityId ? bapi.tab(ctx.session.entityId) : Promise.resolve(null)]).then(
      ([rs, tb]) => {
        rs.sort((a, b) => a.name.localeCompare(b.name));
        setRooms(rs);
        setTab(tb);
        const st = tb?.settings;
        if (st?.rooms?.length) {
          setMode('chosen');
          setChosen(new Set(st.rooms));
        }
        setView(st?.defaultView === 'week' ? 'week' : 'day');
        setZone(st?.timeZone || rs[0]?.timeZone || browserZone());
        setHolidays(st?.holidays);
      },
      (e) => setLoadErr(asApiError(e)),
    );
  }, [bapi, ctx.session.entityId]);

  const valid = rooms !== null && (mode === 'all' || chosen.size > 0) && !!zone;
  useEffect(() => setConfigValid(ctx.session, valid), [ctx.session, valid]);

  // Teams calls the save handler registered once: it reads the latest form through a ref.
  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      const settings = {
        ...(tab?.settings ?? {}),
        rooms: mode === 'all' ? [] : [...chosen].filter((id) => rooms?.some((r) => r.id === id)),
        defaultView: view,
        timeZone: zone,
        holidays,
      };
      const saved = await bapi.saveTab(
        tabId,
        { kind: 'booking', teamId: ctx.session.teamId, channelId: ctx.session.channelId, channelName: ctx.session.channelName, settings },
        tab?.etag,
      );
      setTab(saved);
      return { entityId: saved.id, contentPath, name: t('booking.app') };
    } catch (e) {
      const x = asApiError(e);
      setErr(x);
      throw x;
    } finally {
      setBusy(false);
    }
  };
  const saveRef = useRef(save);
  saveRef.current = save;
  useEffect(() => registerConfigSave(ctx.session, () => saveRef.current()), [ctx.session]);

  const devSave = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const r = await save();
      const q = new URLSearchParams(window.location.search);
      q.set('tab', r.entityId);
      window.location.assign(contentPath + '?' + q.toString());
    } catch {
      // shown by save
    }
  };

  // Buildings and floors, for choosing many rooms at once.
  const tree = useMemo(() => {
    const m = new Map<string, Map<string, Room[]>>();
    for (const r of rooms ?? []) {
      const b = r.building || '';
      const f = r.floor || '';
      if (!m.has(b)) m.set(b, new Map());
      const fl = m.get(b)!;
      if (!fl.has(f)) fl.set(f, []);
      fl.get(f)!.push(r);
    }
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([b, fl]) => ({
      building: b,
      floors: [...fl.entries()].sort(([a], [c]) => a.localeCompare(c)).map(([f, rs]) => ({ floor: f, rooms: rs })),
    }));
  }, [rooms]);
  const state = (rs: Room[]): boolean | 'mixed' => {
    const n = rs.filter((r) => chosen.has(r.id)).length;
    return n === 0 ? false : n === rs.length ? true : 'mixed';
  };
  const toggle = (rs: Room[], on: boolean) => {
    const next = new Set(chosen);
    for (const r of rs) on ? next.add(r.id) : next.delete(r.id);
    setChosen(next);
  };

  if (loadErr) return <main className={s.page}><ErrorBar error={loadErr} /></main>;
  if (!rooms) return <Spinner label={t('app.loading')} style={{ marginTop: 48 }} />;
  const zones = timeZones();
  return (
    <main className={s.page}>
      <form onSubmit={devSave} style={{ display: 'flex', flexDirection: 'column', gap: 16 }} aria-labelledby="config-title">
        <Title2 as="h1" id="config-title">
          {t('booking.config.title')}
        </Title2>
        <Text>{t('booking.config.intro')}</Text>
        {err && <ErrorBar error={err} />}
        {rooms.length === 0 && (
          <MessageBar intent="info">
            <MessageBarBody>{t('booking.config.noRooms')}</MessageBarBody>
          </MessageBar>
        )}
        <Field label={t('booking.config.rooms')} {...fieldProps(err, 'settings.rooms')}>
          <RadioGroup value={mode} onChange={(_, d) => setMode(d.value as 'all' | 'chosen')} id="config-mode">
            <Radio value="all" label={t('booking.config.allRooms')} />
            <Radio value="chosen" label={t('booking.config.chosenRooms')} disabled={rooms.length === 0} />
          </RadioGroup>
        </Field>
        {mode === 'chosen' && (
          <div className={s.tree} role="group" aria-label={t('booking.config.rooms')} id="config-rooms">
            {tree.map((b) => {
              const all = b.floors.flatMap((f) => f.rooms);
              return (
                <div key={'b' + b.building}>
                  <Checkbox
                    label={b.building || t('booking.config.noBuilding')}
                    checked={state(all)}
                    onChange={(_, d) => toggle(all, !!d.checked)}
                    data-building={b.building}
                  />
                  {b.floors.map((f) => (
                    <div key={'f' + f.floor}>
                      <div className={s.floor}>
                        <Checkbox
                          label={(f.floor ? t('booking.config.floor', { floor: f.floor }) : t('booking.config.noFloor')) + (b.building ? ` · ${b.building}` : '')}
                          checked={state(f.rooms)}
                          onChange={(_, d) => toggle(f.rooms, !!d.checked)}
                          data-floor={f.floor}
                        />
                      </div>
                      {f.rooms.map((r) => (
                        <div key={r.id} className={s.room}>
                          <Checkbox
                            label={r.name + (r.capacity ? ` (${r.capacity})` : '')}
                            checked={chosen.has(r.id)}
                            onChange={(_, d) => toggle([r], !!d.checked)}
                            data-room={r.id}
                          />
                        </div>
                      ))}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        )}
        {mode === 'chosen' && <Text size={200}>{t('booking.config.chosenCount', { n: chosen.size })}</Text>}
        <div className={s.row}>
          <Field label={t('booking.config.view')} {...fieldProps(err, 'settings.defaultView')}>
            <Select id="config-view" value={view} onChange={(_, d) => setView(d.value)}>
              <option value="day">{t('booking.view.day')}</option>
              <option value="week">{t('booking.view.week')}</option>
            </Select>
          </Field>
          <Field label={t('booking.config.zone')} hint={t('booking.config.zoneHint')} {...fieldProps(err, 'settings.timeZone')}>
            <Select id="config-zone" value={zone} onChange={(_, d) => setZone(d.value)}>
              {!zones.includes(zone) && <option value={zone}>{zone}</option>}
              {zones.map((z) => (
                <option key={z}>{z}</option>
              ))}
            </Select>
          </Field>
        </div>
        <HolidayField api={ctx.api} value={holidays} onChange={setHolidays} error={err} />
        {!ctx.session.inTeams && (
          <div>
            <Button appearance="primary" type="submit" disabled={!valid || busy} id="config-save">
              {busy ? t('form.saving') : t('form.save')}
            </Button>
          </div>
        )}
      </form>
    </main>
  );
}
