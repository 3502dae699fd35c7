// The event dialog: every member the API takes (title, description, all-day,
// start and end with their zone, recurrence, tags, colour, address,
// participants). A failed save keeps what was typed and shows the API's
// detail and field errors beside the fields.
import { useMemo } from 'react';
import {
  Button, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, Select, Textarea,
} from '@fluentui/react-components';
import { DateTime } from 'luxon';
import { fieldProps } from '../shared/fields';
import { t } from '../shared/i18n';
import { ErrorBar } from '../shared/Shell';
import { timeZones, toInputValue } from '../shared/time';
import { RecurrenceEditor } from '../shared/RecurrenceEditor';
import { colours, defaultRepeat, repeatFromApi, repeatToApi, type CalEvent, type Repeat } from './model';

export interface EventForm {
  title: string;
  description: string;
  allDay: boolean;
  start: string; // datetime-local (or date when all-day), in zone
  end: string;
  zone: string;
  tags: string;
  color: string;
  address: string;
  participants: string;
  repeat: Repeat;
}

/** The form of an event (or occurrence; series gives its recurrence). */
export function formOf(ev: CalEvent, zone: string, series?: CalEvent): EventForm {
  const z = ev.timeZone || zone;
  const start = DateTime.fromISO(ev.startDate, { setZone: true }).setZone(z);
  const end = DateTime.fromISO(ev.endDate, { setZone: true }).setZone(z);
  return {
    title: ev.title ?? '',
    description: ev.description ?? '',
    allDay: ev.allDay,
    start: ev.allDay ? start.toISODate()! : toInputValue(start, z),
    end: ev.allDay ? end.minus({ days: 1 }).toISODate()! : toInputValue(end, z),
    zone: z,
    tags: (ev.tags ?? []).join(', '),
    color: ev.color ?? '',
    address: ev.address?.fullAddress ?? '',
    participants: (ev.participants ?? []).map((p) => p.email || p.upn || p.objectId || '').filter(Boolean).join('\n'),
    repeat: repeatFromApi(series ?? ev, start, z),
  };
}

export function newForm(start: DateTime, end: DateTime, allDay: boolean, zone: string): EventForm {
  return {
    title: '', description: '', allDay, start: allDay ? start.toISODate()! : toInputValue(start, zone),
    end: allDay ? end.minus({ days: 1 }).toISODate()! : toInputValue(end, zone), zone, tags: '', color: '', address: '', participants: '',
    repeat: defaultRepeat(start),
  };
}

/** The instants of the form's start and end (end exclusive). */
export function formTimes(f: EventForm): { start: DateTime; end: DateTime } {
  if (f.allDay) {
    const s = DateTime.fromISO(f.start, { zone: f.zone }).startOf('day');
    const e = DateTime.fromISO(f.end || f.start, { zone: f.zone }).startOf('day').plus({ days: 1 });
    return { start: s, end: e };
  }
  return { start: DateTime.fromISO(f.start, { zone: f.zone }), end: DateTime.fromISO(f.end, { zone: f.zone }) };
}

const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;

/** The API body of a form: everything but recurrence (which withRepeat adds). */
export function bodyOf(f: EventForm): Partial<CalEvent> {
  const { start, end } = formTimes(f);
  const participants = f.participants
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => (x.includes('@') ? { email: x } : { objectId: x }));
  return {
    title: f.title, description: f.description, allDay: f.allDay, startDate: iso(start), endDate: iso(end), timeZone: f.zone,
    tags: f.tags.split(',').map((x) => x.trim()).filter(Boolean), color: f.color || undefined,
    address: f.address.trim() ? { fullAddress: f.address.trim() } : undefined, participants,
  };
}

export function withRepeat(b: Partial<CalEvent>, f: EventForm): Partial<CalEvent> {
  return { ...b, ...repeatToApi(f.repeat, f.zone) };
}

interface Props {
  open: boolean;
  heading: string;
  form: EventForm;
  setForm: (f: EventForm) => void;
  /** Whether the recurrence editor shows (not for one occurrence). */
  canRepeat: boolean;
  error: unknown;
  busy: boolean;
  onSave: () => void;
  onDelete?: () => void;
  onClose: () => void;
}

export function EventDialog({ open, heading, form, setForm, canRepeat, error, busy, onSave, onDelete, onClose }: Props) {
  const zones = useMemo(timeZones, []);
  const set = (p: Partial<EventForm>) => setForm({ ...form, ...p });
  return (
    <Dialog open={open} onOpenChange={(_, d) => !d.open && onClose()} modalType="modal">
      <DialogSurface aria-describedby={undefined} style={{ maxWidth: 640 }}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onSave();
          }}
        >
          <DialogBody>
            <DialogTitle>{heading}</DialogTitle>
            <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
              {!!error && <ErrorBar error={error} />}
              <Field label={t('ev.title')} required {...fieldProps(error, 'title')}>
                <Input id="ev-title" value={form.title} onChange={(_, d) => set({ title: d.value })} maxLength={100} />
              </Field>
              <Field label={t('ev.description')} {...fieldProps(error, 'description')}>
                <Textarea id="ev-description" value={form.description} onChange={(_, d) => set({ description: d.value })} maxLength={250} />
              </Field>
              <Checkbox id="ev-allday" label={t('ev.allDay')} checked={form.allDay} onChange={(_, d) => {
                const allDay = !!d.checked;
                const { start, end } = formTimes(form);
                set({
                  allDay,
                  start: allDay ? start.toISODate()! : toInputValue(start.set({ hour: 9 }), form.zone),
                  end: allDay ? start.toISODate()! : toInputValue(start.set({ hour: 10 }), form.zone),
                });
                void end;
              }} />
              <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap' }}>
                <Field label={t('ev.start')} required {...fieldProps(error, 'startDate')}>
                  <Input id="ev-start" type={form.allDay ? 'date' : 'datetime-local'} value={form.start} onChange={(_, d) => set({ start: d.value })} />
                </Field>
                <Field label={t('ev.end')} required {...fieldProps(error, 'endDate')}>
                  <Input id="ev-end" type={form.allDay ? 'date' : 'datetime-local'} value={form.end} onChange={(_, d) => set({ end: d.value })} />
                </Field>
                <Field label={t('ev.timeZone')} {...fieldProps(error, 'timeZone')}>
                  <Select id="ev-zone" value={form.zone} onChange={(_, d) => set({ zone: d.value })}>
                    {[...new Set([form.zone, ...zones])].map((z) => (
                      <option key={z} value={z}>
                        {z}
                      </option>
                    ))}
                  </Select>
                </Field>
              </div>
              {canRepeat && <RecurrenceEditor idPrefix="ev" value={form.repeat} onChange={(repeat) => set({ repeat })} error={error} />}
              <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap' }}>
                <Field label={t('ev.tags')} {...fieldProps(error, 'tags')}>
                  <Input id="ev-tags" value={form.tags} onChange={(_, d) => set({ tags: d.value })} />
                </Field>
                <Field label={t('ev.color')} {...fieldProps(error, 'color')}>
                  <Select id="ev-color" value={form.color} onChange={(_, d) => set({ color: d.value })}>
                    <option value="">{t('ev.color.none')}</option>
                    {[...new Set([...colours, ...(form.color ? [form.color] : [])])].map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </Select>
                </Field>
              </div>
              <Field label={t('ev.address')} {...fieldProps(error, 'address')}>
                <Input id="ev-address" value={form.address} onChange={(_, d) => set({ address: d.value })} />
              </Field>
              <Field label={t('ev.participants')} {...fieldProps(error, 'participants')}>
                <Textarea id="ev-participants" value={form.participants} onChange={(_, d) => set({ participants: d.value })} />
              </Field>
            </DialogContent>
            <DialogActions>
              {onDelete && (
                <Button id="ev-delete" onClick={onDelete} disabled={busy}>
                  {t('form.delete')}
                </Button>
              )}
              <Button onClick={onClose}>{t('form.cancel')}</Button>
              <Button id="ev-save" appearance="primary" type="submit" disabled={busy}>
                {busy ? t('form.saving') : t('form.save')}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

export type Scope = 'occurrence' | 'following' | 'series';

/** Asks which part of a recurring event a change or delete applies to. */
export function ScopeDialog({ open, deleting, onPick }: { open: boolean; deleting: boolean; onPick: (s: Scope | null) => void }) {
  return (
    <Dialog open={open} onOpenChange={(_, d) => !d.open && onPick(null)}>
      <DialogSurface aria-describedby="scope-question">
        <DialogBody>
          <DialogTitle>{t(deleting ? 'ev.scope.deleteTitle' : 'ev.scope.title')}</DialogTitle>
          <DialogContent id="scope-question">{t('ev.scope.question')}</DialogContent>
          <DialogActions fluid>
            <Button id="scope-occurrence" appearance="primary" onClick={() => onPick('occurrence')}>
              {t('ev.scope.occurrence')}
            </Button>
            <Button id="scope-following" onClick={() => onPick('following')}>
              {t('ev.scope.following')}
            </Button>
            <Button id="scope-series" onClick={() => onPick('series')}>
              {t('ev.scope.series')}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
