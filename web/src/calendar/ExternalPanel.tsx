// For owners and admins: the calendar's external ICS calendars (add with a
// name and colour, refresh now, remove) and the state of their last fetch,
// the error included. And the read-only dialog of an external event.
import { useEffect, useState } from 'react';
import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, MessageBar, MessageBarBody, Select, Text,
} from '@fluentui/react-components';
import type { Api } from '../shared/api';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { ErrorBar } from '../shared/Shell';
import { formatDate, formatDateTime, formatTime } from '../shared/time';
import { calendarPath, colours, type CalEvent } from './model';
import './externalStrings';

export interface External {
  id: string;
  name: string;
  color?: string;
  url: string;
  lastAttempt?: string;
  lastSuccess?: string;
  lastError?: { reason: string; message: string };
  events: number;
  exceptions: number;
  skipped?: number;
}

const MAX = 3;

export function ExternalPanel({ api, calendarId, zone, onClose, onChanged }: { api: Api; calendarId: string; zone: string; onClose: () => void; onChanged: () => void }) {
  const base = calendarPath(calendarId) + '/externals';
  const [items, setItems] = useState<External[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [color, setColor] = useState(colours[6]);
  const load = () => api.listAll<External>(base).then(setItems, setErr);
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const run = async (what: string, f: () => Promise<void>) => {
    setErr(null);
    setBusy(what);
    try {
      await f();
      await load();
      onChanged();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy('');
    }
  };
  const status = (x: External) => {
    if (x.lastError) {
      const failed = t('ext.failed', { when: formatDateTime(x.lastAttempt!, zone), message: x.lastError.message });
      return x.lastSuccess ? failed + ' ' + t('ext.kept', { when: formatDateTime(x.lastSuccess, zone) }) : failed;
    }
    if (!x.lastSuccess) return t('ext.never');
    const ok = t('ext.ok', { when: formatDateTime(x.lastSuccess, zone), events: x.events });
    return x.skipped ? ok + ' ' + t('ext.skipped', { n: x.skipped }) : ok;
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby="ext-body" style={{ maxWidth: 680 }}>
        <DialogBody>
          <DialogTitle>{t('ext.title')}</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Text id="ext-body">{t('ext.body')}</Text>
            {!!err && <ErrorBar error={err} />}
            {items && items.length === 0 && <Text>{t('ext.none')}</Text>}
            {items && items.length > 0 && (
              <ul id="ext-list" style={{ margin: 0, padding: 0, listStyle: 'none', display: 'flex', flexDirection: 'column', gap: 8 }}>
                {items.map((x) => (
                  <li key={x.id} data-external={x.id} style={{ display: 'flex', gap: 8, alignItems: 'start' }}>
                    <span aria-hidden style={{ width: 14, height: 14, marginTop: 4, borderRadius: 3, flex: 'none', backgroundColor: x.color || colours[0], border: '1px solid currentColor' }} />
                    <div style={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column', gap: 4 }}>
                      <Text weight="semibold">{x.name}</Text>
                      <Text size={200} style={{ overflowWrap: 'anywhere' }}>{x.url}</Text>
                      {x.lastError ? (
                        <MessageBar intent="error" className="ext-status">
                          <MessageBarBody>{status(x)}</MessageBarBody>
                        </MessageBar>
                      ) : (
                        <Text size={200} className="ext-status" role="status">{status(x)}</Text>
                      )}
                    </div>
                    <Button size="small" disabled={!!busy} aria-label={t('ext.refresh') + ' ' + x.name} onClick={() => run('refresh', () => api.post(base + '/' + encodeURIComponent(x.id) + '/refresh').then(() => undefined))}>
                      {t('ext.refresh')}
                    </Button>
                    <Button size="small" disabled={!!busy} aria-label={t('ext.remove') + ' ' + x.name} onClick={() => run('remove', () => api.del(base + '/' + encodeURIComponent(x.id)).then(() => undefined))}>
                      {t('ext.remove')}
                    </Button>
                  </li>
                ))}
              </ul>
            )}
            {items && items.length >= MAX ? (
              <Text>{t('ext.full')}</Text>
            ) : (
              <form
                style={{ display: 'flex', gap: 8, alignItems: 'end', flexWrap: 'wrap' }}
                onSubmit={(e) => {
                  e.preventDefault();
                  run('add', async () => {
                    await api.post(base, { name, url, color });
                    setName('');
                    setUrl('');
                  });
                }}
              >
                <Field label={t('ext.name')} {...fieldProps(err, 'name')}>
                  <Input id="ext-name" value={name} onChange={(_, d) => setName(d.value)} />
                </Field>
                <Field label={t('ext.url')} style={{ flex: 1, minWidth: 240 }} {...fieldProps(err, 'url')}>
                  <Input id="ext-url" type="url" value={url} onChange={(_, d) => setUrl(d.value)} />
                </Field>
                <Field label={t('ext.color')}>
                  <Select id="ext-color" value={color} onChange={(_, d) => setColor(d.value)}>
                    {colours.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </Select>
                </Field>
                <Button id="ext-add" type="submit" appearance="primary" disabled={!!busy}>
                  {t('ext.add')}
                </Button>
              </form>
            )}
          </DialogContent>
          <DialogActions>
            <Button id="ext-close" onClick={onClose}>{t('form.close')}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** An external event, read-only: what it is, when, where, and where to change it. */
export function ExternalEventDialog({ ev, zone, onClose }: { ev: CalEvent; zone: string; onClose: () => void }) {
  const when = ev.allDay
    ? formatDate(ev.startDate, zone)
    : formatDateTime(ev.startDate, zone) + ' – ' + formatTime(ev.endDate, zone);
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby="ext-event-body">
        <DialogBody>
          <DialogTitle>{ev.title}</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
            <Text id="ext-event-body">{t('ext.event.body', { name: ev.externalName ?? '' })}</Text>
            <Field label={t('ext.event.when')}>
              <Text id="ext-event-when">{when}</Text>
            </Field>
            {ev.address?.fullAddress && (
              <Field label={t('ext.event.where')}>
                <Text>{ev.address.fullAddress}</Text>
              </Field>
            )}
            {ev.description && <Text>{ev.description}</Text>}
          </DialogContent>
          <DialogActions>
            <Button id="ext-event-close" appearance="primary" onClick={onClose}>{t('form.close')}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
