// The recurrence editor of Calendar Pro's event dialog and Booking Room Pro's
// booking dialog: every pattern the API accepts (daily, every weekday, weekly on
// chosen days, monthly on a day or on the nth or last weekday, yearly, a raw
// RRULE), ending never, after a count or on a date. One editor, so both tabs
// offer the same patterns with the same words.
import { Checkbox, Field, Input, Select } from '@fluentui/react-components';
import { fieldProps } from './fields';
import { addStrings, t } from './i18n';
import { weekdayCodes, type Repeat } from './recurrence';

export function RecurrenceEditor({ idPrefix, value: r, onChange, error }: {
  /** Prefix of the controls' ids (`<prefix>-repeat`, `<prefix>-count`, ...). */
  idPrefix: string;
  value: Repeat;
  onChange: (r: Repeat) => void;
  error?: unknown;
}) {
  const setR = (p: Partial<Repeat>) => onChange({ ...r, ...p });
  const lang = document.documentElement.lang || 'en';
  const dayName = (d: number) => new Date(Date.UTC(2023, 0, 1 + d)).toLocaleDateString(lang, { weekday: 'long', timeZone: 'UTC' });
  return (
    <fieldset style={{ border: 'none', padding: 0, margin: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
      <Field label={t('ev.repeat')} {...fieldProps(error, 'rrule')}>
        <Select id={idPrefix + '-repeat'} value={r.kind} onChange={(_, d) => setR({ kind: d.value as Repeat['kind'] })}>
          {(['none', 'daily', 'workweek', 'weekly', 'monthlyDay', 'monthlyNth', 'yearly', 'rrule'] as const).map((k) => (
            <option key={k} value={k}>
              {t('ev.repeat.' + k)}
            </option>
          ))}
        </Select>
      </Field>
      {r.kind === 'rrule' && (
        <Field label={t('ev.repeat.rule')} {...fieldProps(error, 'rrule')}>
          <Input id={idPrefix + '-rrule'} value={r.rule} onChange={(_, d) => setR({ rule: d.value })} />
        </Field>
      )}
      {r.kind !== 'none' && r.kind !== 'rrule' && r.kind !== 'workweek' && (
        <Field label={t('ev.repeat.interval')}>
          <Input id={idPrefix + '-interval'} type="number" min={1} value={String(r.interval)} onChange={(_, d) => setR({ interval: Math.max(1, Number(d.value) || 1) })} />
        </Field>
      )}
      {r.kind === 'weekly' && (
        <div role="group" aria-label={t('ev.repeat.days')} style={{ display: 'flex', flexWrap: 'wrap' }}>
          {[1, 2, 3, 4, 5, 6, 0].map((d) => (
            <Checkbox
              key={d}
              id={idPrefix + '-day-' + weekdayCodes[d]}
              label={dayName(d)}
              checked={r.days.includes(d)}
              onChange={(_, x) => setR({ days: x.checked ? [...r.days, d] : r.days.filter((y) => y !== d) })}
            />
          ))}
        </div>
      )}
      {r.kind === 'monthlyDay' && (
        <Field label={t('ev.repeat.monthDay')}>
          <Input type="number" min={1} max={31} value={String(r.monthDay)} onChange={(_, d) => setR({ monthDay: Number(d.value) })} />
        </Field>
      )}
      {r.kind === 'monthlyNth' && (
        <div style={{ display: 'flex', gap: 10 }}>
          <Field label={t('ev.repeat.nth')}>
            <Select id={idPrefix + '-nth'} value={String(r.nth)} onChange={(_, d) => setR({ nth: Number(d.value) })}>
              {[1, 2, 3, 4, -1].map((n) => (
                <option key={n} value={n}>
                  {t('ev.repeat.nth.' + n)}
                </option>
              ))}
            </Select>
          </Field>
          <Field label={t('ev.repeat.weekday')}>
            <Select id={idPrefix + '-weekday'} value={String(r.weekday)} onChange={(_, d) => setR({ weekday: Number(d.value) })}>
              {[1, 2, 3, 4, 5, 6, 0].map((d) => (
                <option key={d} value={d}>
                  {dayName(d)}
                </option>
              ))}
            </Select>
          </Field>
        </div>
      )}
      {r.kind !== 'none' && r.kind !== 'rrule' && (
        <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap' }}>
          <Field label={t('ev.repeat.ends')}>
            <Select id={idPrefix + '-ends'} value={r.ends} onChange={(_, d) => setR({ ends: d.value as Repeat['ends'] })}>
              {(['never', 'count', 'until'] as const).map((k) => (
                <option key={k} value={k}>
                  {t('ev.repeat.ends.' + k)}
                </option>
              ))}
            </Select>
          </Field>
          {r.ends === 'count' && (
            <Field label={t('ev.repeat.count')} {...fieldProps(error, 'rrule.count')}>
              <Input id={idPrefix + '-count'} type="number" min={1} value={String(r.count)} onChange={(_, d) => setR({ count: Math.max(1, Number(d.value) || 1) })} />
            </Field>
          )}
          {r.ends === 'until' && (
            <Field label={t('ev.repeat.until')} {...fieldProps(error, 'rrule.until')}>
              <Input id={idPrefix + '-until'} type="date" value={r.until} onChange={(_, d) => setR({ until: d.value })} />
            </Field>
          )}
        </div>
      )}
    </fieldset>
  );
}

addStrings('en', {
  'ev.repeat': 'Repeat',
  'ev.repeat.none': 'Does not repeat',
  'ev.repeat.daily': 'Daily',
  'ev.repeat.workweek': 'Every weekday (Monday to Friday)',
  'ev.repeat.weekly': 'Weekly',
  'ev.repeat.monthlyDay': 'Monthly on a day of the month',
  'ev.repeat.monthlyNth': 'Monthly on a weekday (e.g. the last Friday)',
  'ev.repeat.yearly': 'Yearly',
  'ev.repeat.rrule': 'Custom rule (RFC 5545 RRULE)',
  'ev.repeat.interval': 'Every',
  'ev.repeat.days': 'On',
  'ev.repeat.monthDay': 'Day of the month',
  'ev.repeat.nth': 'Which',
  'ev.repeat.nth.1': 'First',
  'ev.repeat.nth.2': 'Second',
  'ev.repeat.nth.3': 'Third',
  'ev.repeat.nth.4': 'Fourth',
  'ev.repeat.nth.-1': 'Last',
  'ev.repeat.weekday': 'Weekday',
  'ev.repeat.ends': 'Ends',
  'ev.repeat.ends.never': 'Never',
  'ev.repeat.ends.count': 'After a number of times',
  'ev.repeat.ends.until': 'On a date',
  'ev.repeat.count': 'Times',
  'ev.repeat.until': 'Last day',
  'ev.repeat.rule': 'RRULE',
});

addStrings('fr', {
  'ev.repeat': 'Répétition',
  'ev.repeat.none': 'Ne se répète pas',
  'ev.repeat.daily': 'Tous les jours',
  'ev.repeat.workweek': 'Chaque jour ouvré (lundi à vendredi)',
  'ev.repeat.weekly': 'Toutes les semaines',
  'ev.repeat.monthlyDay': 'Tous les mois, un jour du mois',
  'ev.repeat.monthlyNth': 'Tous les mois, un jour de la semaine (ex. le dernier vendredi)',
  'ev.repeat.yearly': 'Tous les ans',
  'ev.repeat.rrule': 'Règle personnalisée (RRULE RFC 5545)',
  'ev.repeat.interval': 'Tous les',
  'ev.repeat.days': 'Le',
  'ev.repeat.monthDay': 'Jour du mois',
  'ev.repeat.nth': 'Lequel',
  'ev.repeat.nth.1': 'Premier',
  'ev.repeat.nth.2': 'Deuxième',
  'ev.repeat.nth.3': 'Troisième',
  'ev.repeat.nth.4': 'Quatrième',
  'ev.repeat.nth.-1': 'Dernier',
  'ev.repeat.weekday': 'Jour de la semaine',
  'ev.repeat.ends': 'Fin',
  'ev.repeat.ends.never': 'Jamais',
  'ev.repeat.ends.count': 'Après un nombre de fois',
  'ev.repeat.ends.until': 'À une date',
  'ev.repeat.count': 'Fois',
  'ev.repeat.until': 'Dernier jour',
  'ev.repeat.rule': 'RRULE',
});
