// For owners and admins: the calendar's ICS feed link (publish, copy, rotate,
// revoke), API keys for the connector routes, and a copy to another calendar
// with the job's progress.
import { useEffect, useState } from 'react';
import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, ProgressBar, Subtitle2, Text,
} from '@fluentui/react-components';
import type { Api } from '../shared/api';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { ErrorBar } from '../shared/Shell';
import { calendarPath } from './model';

interface Key {
  id: string;
  name: string;
  calendarIds: string[];
  createdAt: string;
  key?: string;
}

interface Job {
  id: string;
  status: string;
  total: number;
  copied: number;
  failed: number;
}

export function SharePanel({ api, calendarId, onClose }: { api: Api; calendarId: string; onClose: () => void }) {
  const base = calendarPath(calendarId);
  const [err, setErr] = useState<unknown>(null);
  const [feed, setFeed] = useState<string>('');
  const [feedNote, setFeedNote] = useState('');
  const [keys, setKeys] = useState<Key[]>([]);
  const [keyName, setKeyName] = useState('');
  const [secret, setSecret] = useState('');
  const [target, setTarget] = useState('');
  const [job, setJob] = useState<Job | null>(null);
  const run = async (f: () => Promise<void>) => {
    setErr(null);
    try {
      await f();
    } catch (e) {
      setErr(e);
    }
  };
  const loadKeys = () => api.listAll<Key>('/api/apikeys').then((ks) => setKeys(ks.filter((k) => k.calendarIds.includes(calendarId))), setErr);
  useEffect(() => {
    loadKeys();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    if (!job || job.status === 'completed') return;
    const h = setTimeout(() => api.get<Job>('/api/jobs/' + encodeURIComponent(job.id)).then(setJob, setErr), 1000);
    return () => clearTimeout(h);
  }, [api, job]);
  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(feed);
      setFeedNote(t('share.feed.copied'));
    } catch {
      (document.getElementById('share-feed-url') as HTMLInputElement | null)?.select();
    }
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby={undefined} style={{ maxWidth: 680 }}>
        <DialogBody>
          <DialogTitle>{t('cal.share')}</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            {!!err && <ErrorBar error={err} />}
            <section aria-labelledby="share-feed-h" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
              <Subtitle2 as="h2" id="share-feed-h">{t('share.feed')}</Subtitle2>
              <Text>{t('share.feed.body')}</Text>
              {feed && (
                <Field label={t('share.feed.once')}>
                  <Input id="share-feed-url" readOnly value={feed} />
                </Field>
              )}
              {feedNote && <Text role="status">{feedNote}</Text>}
              <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
                <Button id="share-feed-publish" onClick={() => run(async () => {
                  const r = await api.post<{ url: string; path: string }>(base + '/feed');
                  setFeed(r.data.url || window.location.origin + r.data.path);
                  setFeedNote('');
                })}>
                  {feed ? t('share.feed.rotate') : t('share.feed.publish')}
                </Button>
                {feed && <Button id="share-feed-copy" onClick={copyLink}>{t('share.feed.copy')}</Button>}
                <Button id="share-feed-revoke" onClick={() => run(async () => {
                  await api.del(base + '/feed');
                  setFeed('');
                  setFeedNote(t('share.feed.revoked'));
                })}>
                  {t('share.feed.revoke')}
                </Button>
              </div>
            </section>
            <section aria-labelledby="share-keys-h" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
              <Subtitle2 as="h2" id="share-keys-h">{t('share.keys')}</Subtitle2>
              <Text>{t('share.keys.body')}</Text>
              {keys.length === 0 ? <Text>{t('share.keys.none')}</Text> : (
                <ul style={{ margin: 0, paddingLeft: 16 }}>
                  {keys.map((k) => (
                    <li key={k.id}>
                      {k.name}{' '}
                      <Button size="small" aria-label={t('share.keys.revoke') + ' ' + k.name} onClick={() => run(async () => {
                        await api.del('/api/apikeys/' + encodeURIComponent(k.id));
                        await loadKeys();
                      })}>
                        {t('share.keys.revoke')}
                      </Button>
                    </li>
                  ))}
                </ul>
              )}
              {secret && (
                <Field label={t('share.keys.secret')}>
                  <Input id="share-key-secret" readOnly value={secret} />
                </Field>
              )}
              <div style={{ display: 'flex', gap: 8, alignItems: 'end' }}>
                <Field label={t('share.keys.name')} {...fieldProps(err, 'name')}>
                  <Input id="share-key-name" value={keyName} onChange={(_, d) => setKeyName(d.value)} />
                </Field>
                <Button id="share-key-create" onClick={() => run(async () => {
                  const r = await api.post<Key>('/api/apikeys', { name: keyName, calendarIds: [calendarId] });
                  setSecret(r.data.key ?? '');
                  setKeyName('');
                  await loadKeys();
                })}>
                  {t('share.keys.create')}
                </Button>
              </div>
            </section>
            <section aria-labelledby="share-copy-h" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
              <Subtitle2 as="h2" id="share-copy-h">{t('share.copy')}</Subtitle2>
              <Text>{t('share.copy.body')}</Text>
              <div style={{ display: 'flex', gap: 8, alignItems: 'end' }}>
                <Field label={t('share.copy.target')} {...fieldProps(err, 'targetCalendarId')}>
                  <Input id="share-copy-target" value={target} onChange={(_, d) => setTarget(d.value)} />
                </Field>
                <Button id="share-copy-start" onClick={() => run(async () => {
                  const r = await api.post<Job>(base + '/copy', { targetCalendarId: target });
                  setJob(r.data);
                })}>
                  {t('share.copy.start')}
                </Button>
              </div>
              {job && (
                <Field label={t('share.copy.progress', { status: job.status, copied: job.copied, total: job.total, failed: job.failed })}>
                  <ProgressBar id="share-copy-progress" value={job.total ? (job.copied + job.failed) / job.total : job.status === 'completed' ? 1 : undefined} />
                </Field>
              )}
            </section>
          </DialogContent>
          <DialogActions>
            <Button id="share-close" onClick={onClose}>{t('form.close')}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
