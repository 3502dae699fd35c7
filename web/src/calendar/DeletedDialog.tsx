// Recently deleted events of the calendar, most recent first, each with Restore.
import { useEffect, useState } from 'react';
import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Spinner, Text } from '@fluentui/react-components';
import type { Api } from '../shared/api';
import { t } from '../shared/i18n';
import { ErrorBar } from '../shared/Shell';
import { formatDateTime } from '../shared/time';
import type { CalEvent } from './model';

export function DeletedDialog({ api, base, zone, onClose, onRestored }: { api: Api; base: string; zone: string; onClose: () => void; onRestored: () => void }) {
  const [items, setItems] = useState<CalEvent[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [restored, setRestored] = useState<string[]>([]);
  useEffect(() => {
    api.listAll<CalEvent>(base + '/deleted').then(setItems, (e) => {
      setErr(e);
      setItems([]);
    });
  }, [api, base]);
  const restore = async (id: string) => {
    setErr(null);
    try {
      await api.post(base + '/events/' + encodeURIComponent(id) + '/restore');
      setRestored((r) => [...r, id]);
      onRestored();
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{t('cal.deleted')}</DialogTitle>
          <DialogContent>
            {!!err && <ErrorBar error={err} />}
            {!items ? (
              <Spinner label={t('app.loading')} />
            ) : items.length === 0 ? (
              <Text>{t('cal.deleted.none')}</Text>
            ) : (
              <ul id="deleted-list" style={{ listStyle: 'none', padding: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
                {items.map((e) => (
                  <li key={e.id} style={{ display: 'flex', gap: 8, alignItems: 'center', justifyContent: 'space-between' }}>
                    <span>
                      <Text weight="semibold">{e.title}</Text> <Text size={200}>{formatDateTime(e.startDate, e.timeZone || zone)}</Text>
                    </span>
                    {restored.includes(e.id!) ? (
                      <Text>{t('cal.deleted.restored')}</Text>
                    ) : (
                      <Button className="restore" aria-label={t('cal.deleted.restore') + ' ' + e.title} onClick={() => restore(e.id!)}>
                        {t('cal.deleted.restore')}
                      </Button>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </DialogContent>
          <DialogActions>
            <Button id="deleted-close" onClick={onClose}>{t('form.close')}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
