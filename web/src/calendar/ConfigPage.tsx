// The config page: every setting of a Calendar Pro tab, saved with
// PUT /api/tabs/{tabId} (team and channel from the Teams context), then
// setConfig in Teams; outside Teams, saving opens the content page.
// Reopened on an existing tab, it edits that tab.
import { useEffect, useMemo, useState } from 'react';
import {
  Button, Checkbox, Field, Input, MessageBar, MessageBarBody, Radio, RadioGroup, Select, Spinner, Switch, Text, Textarea, Title2,
} from '@fluentui/react-components';
import { ApiError } from '../shared/api';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { registerConfigSave, setConfigValid } from '../shared/session';
import { ErrorBar, type PageContext } from '../shared/Shell';
import { HolidayField } from '../shared/holidays';
import { browserZone, timeZones } from '../shared/time';
import type { Member, Settings, Tab } from './model';
import './strings';

const dayNames = (locale: string) =>
  [0, 1, 2, 3, 4, 5, 6].map((d) => new Date(Date.UTC(2023, 0, 1 + d)).toLocaleDateString(locale, { weekday: 'long', timeZone: 'UTC' }));

export function defaultSettings(): Settings {
  return {
    defaultView: 'month', firstDayOfWeek: 1, businessDays: [1, 2, 3, 4, 5], businessHours: { start: '08:00', end: '18:00' },
    timeZone: browserZone(), showWeekends: true, showWeekNumbers: false, notifications: { addedOrUpdated: true, deleted: true },
    reminderMinutes: 0, permissions: { mode: 'everyone', members: [] }, owners: [],
  };
}

export function newTabId(): string {
  return 'cal-' + crypto.randomUUID();
}

export function ConfigPage({ session, api }: PageContext) {
  const [tabId] = useState(() => session.entityId || newTabId());
  const [loading, setLoading] = useState(true);
  const [existing, setExisting] = useState<Tab | null>(null);
  const [s, setS] = useState<Settings>(defaultSettings);
  const [name, setName] = useState('Calendar');
  const [ownersText, setOwnersText] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const zones = useMemo(timeZones, []);
  const days = dayNames(document.documentElement.lang || 'en');

  useEffect(() => {
    (async () => {
      try {
        const r = await api.request<Tab>('GET', '/api/tabs/' + encodeURIComponent(tabId));
        const tab = { ...r.data, etag: r.etag };
        setExisting(tab);
        setS({ ...defaultSettings(), ...tab.settings });
        setOwnersText((tab.settings.owners ?? []).join('\n'));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) setErr(e);
      } finally {
        setLoading(false);
      }
    })();
  }, [api, tabId]);

  const save = async () => {
    setBusy(true);
    setErr(null);
    try {
      const settings: Settings = { ...s, owners: ownersText.split(/\s+/).map((x) => x.trim()).filter(Boolean) };
      if (settings.permissions?.mode !== 'custom') settings.permissions = { mode: settings.permissions?.mode ?? 'everyone' };
      const body = {
        kind: 'calendar', teamId: existing?.teamId || session.teamId, channelId: existing?.channelId || session.channelId,
        channelName: session.channelName || existing?.channelName, settings,
      };
      const r = await api.put<Tab>('/api/tabs/' + encodeURIComponent(tabId), body, { ifMatch: existing?.etag });
      setExisting({ ...r.data, etag: r.etag });
      return { entityId: tabId, contentPath: '/calendar-pro/content', name: name || 'Calendar' };
    } catch (e) {
      setErr(e);
      throw e;
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    registerConfigSave(session, save);
    setConfigValid(session, !loading);
  });

  const set = (patch: Partial<Settings>) => setS((o) => ({ ...o, ...patch }));
  const members = s.permissions?.members ?? [];
  const setMembers = (m: Member[]) => set({ permissions: { ...s.permissions, mode: 'custom', members: m } });

  if (loading) return <Spinner label={t('app.loading')} style={{ marginTop: 48 }} />;
  return (
    <main style={{ maxWidth: 720, margin: '0 auto', padding: '16px', display: 'flex', flexDirection: 'column', gap: 14 }}>
      <Title2 as="h1">{t('cal.config.title')}</Title2>
      <Text>{t('cal.config.intro')}</Text>
      {existing && (
        <MessageBar intent="info">
          <MessageBarBody>{t('cal.config.editing')}</MessageBarBody>
        </MessageBar>
      )}
      {!!err && <ErrorBar error={err} />}
      <Field label={t('cal.config.name')}>
        <Input id="cfg-name" value={name} onChange={(_, d) => setName(d.value)} maxLength={100} />
      </Field>
      <Field label={t('cal.config.timeZone')} {...fieldProps(err, 'settings.timeZone')}>
        <Select id="cfg-zone" value={s.timeZone} onChange={(_, d) => set({ timeZone: d.value })}>
          {[...new Set([...(s.timeZone ? [s.timeZone] : []), ...zones])].map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </Select>
      </Field>
      <HolidayField api={api} value={s.holidays} onChange={(holidays) => set({ holidays })} error={err} />
      <Field label={t('cal.config.defaultView')} {...fieldProps(err, 'settings.defaultView')}>
        <Select id="cfg-view" value={s.defaultView} onChange={(_, d) => set({ defaultView: d.value as Settings['defaultView'] })}>
          {(['month', 'week', 'workweek', 'day', 'agenda'] as const).map((v) => (
            <option key={v} value={v}>
              {t('cal.view.' + v)}
            </option>
          ))}
        </Select>
      </Field>
      <Field label={t('cal.config.firstDay')}>
        <Select id="cfg-firstday" value={String(s.firstDayOfWeek ?? 1)} onChange={(_, d) => set({ firstDayOfWeek: Number(d.value) })}>
          {days.map((n, i) => (
            <option key={i} value={i}>
              {n}
            </option>
          ))}
        </Select>
      </Field>
      <fieldset style={{ border: 'none', padding: 0, margin: 0 }}>
        <legend>
          <Text weight="semibold">{t('cal.config.businessDays')}</Text>
        </legend>
        <div style={{ display: 'flex', flexWrap: 'wrap' }}>
          {days.map((n, i) => (
            <Checkbox
              key={i}
              label={n}
              checked={s.businessDays?.includes(i) ?? false}
              onChange={(_, d) => set({ businessDays: d.checked ? [...(s.businessDays ?? []), i].sort() : (s.businessDays ?? []).filter((x) => x !== i) })}
            />
          ))}
        </div>
      </fieldset>
      <div style={{ display: 'flex', gap: 16 }}>
        <Field label={t('cal.config.businessStart')} {...fieldProps(err, 'settings.businessHours.start')}>
          <Input type="time" value={s.businessHours?.start ?? '08:00'} onChange={(_, d) => set({ businessHours: { start: d.value, end: s.businessHours?.end ?? '18:00' } })} />
        </Field>
        <Field label={t('cal.config.businessEnd')} {...fieldProps(err, 'settings.businessHours.end')}>
          <Input type="time" value={s.businessHours?.end ?? '18:00'} onChange={(_, d) => set({ businessHours: { start: s.businessHours?.start ?? '08:00', end: d.value } })} />
        </Field>
      </div>
      <Switch label={t('cal.config.showWeekends')} checked={s.showWeekends ?? true} onChange={(_, d) => set({ showWeekends: d.checked })} />
      <Switch label={t('cal.config.showWeekNumbers')} checked={s.showWeekNumbers ?? false} onChange={(_, d) => set({ showWeekNumbers: d.checked })} />
      <Field label={t('cal.config.permissions')} {...fieldProps(err, 'settings.permissions')}>
        <RadioGroup
          value={s.permissions?.mode ?? 'everyone'}
          onChange={(_, d) => set({ permissions: { ...s.permissions, mode: d.value as 'everyone' } })}
        >
          <Radio value="everyone" label={t('cal.config.perm.everyone')} />
          <Radio value="owners" label={t('cal.config.perm.owners')} />
          <Radio value="custom" label={t('cal.config.perm.custom')} />
        </RadioGroup>
      </Field>
      {s.permissions?.mode === 'custom' && (
        <fieldset style={{ border: 'none', padding: 0, margin: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
          <legend>
            <Text weight="semibold">{t('cal.config.members')}</Text>
          </legend>
          {members.map((m, i) => (
            <div key={i} style={{ display: 'flex', gap: 8, alignItems: 'end', flexWrap: 'wrap' }}>
              <Field label={t('cal.config.member.id')} {...fieldProps(err, `settings.permissions.members[${i}].objectId`)}>
                <Input value={m.objectId} onChange={(_, d) => setMembers(members.map((x, j) => (j === i ? { ...x, objectId: d.value } : x)))} />
              </Field>
              {(['add', 'modify', 'delete'] as const).map((k) => (
                <Checkbox key={k} label={t('cal.config.member.' + k)} checked={!!m[k]} onChange={(_, d) => setMembers(members.map((x, j) => (j === i ? { ...x, [k]: !!d.checked } : x)))} />
              ))}
              <Button onClick={() => setMembers(members.filter((_, j) => j !== i))}>{t('cal.config.member.remove')}</Button>
            </div>
          ))}
          <Button onClick={() => setMembers([...members, { objectId: '', add: true, modify: true, delete: false }])} style={{ alignSelf: 'start' }}>
            {t('cal.config.member.new')}
          </Button>
        </fieldset>
      )}
      <Field label={t('cal.config.owners')} {...fieldProps(err, 'settings.owners')}>
        <Textarea value={ownersText} onChange={(_, d) => setOwnersText(d.value)} resize="vertical" />
      </Field>
      <fieldset style={{ border: 'none', padding: 0, margin: 0 }}>
        <legend>
          <Text weight="semibold">{t('cal.config.notifications')}</Text>
        </legend>
        <Checkbox label={t('cal.config.notify.added')} checked={s.notifications?.addedOrUpdated ?? true} onChange={(_, d) => set({ notifications: { ...s.notifications, addedOrUpdated: !!d.checked } })} />
        <Checkbox label={t('cal.config.notify.deleted')} checked={s.notifications?.deleted ?? true} onChange={(_, d) => set({ notifications: { ...s.notifications, deleted: !!d.checked } })} />
      </fieldset>
      <Field label={t('cal.config.reminder')} {...fieldProps(err, 'settings.reminderMinutes')}>
        <Input type="number" min={0} max={10080} value={String(s.reminderMinutes ?? 0)} onChange={(_, d) => set({ reminderMinutes: Number(d.value) })} />
      </Field>
      {!session.inTeams && (
        <Button
          appearance="primary"
          id="cfg-save"
          disabled={busy}
          style={{ alignSelf: 'start' }}
          onClick={() => save().then((r) => window.location.assign(r.contentPath + '?tab=' + encodeURIComponent(r.entityId) + window.location.search.replace(/^\?/, '&').replace(/&tab=[^&]*/, '')), () => {})}
        >
          {busy ? t('form.saving') : t('cal.config.saveOpen')}
        </Button>
      )}
    </main>
  );
}
