// Public holidays, shared by both tabs: the settings field that chooses the
// place (country, optional region) and the read of a tab's holidays for a
// window. The holidays come from the API (GET /api/tabs/{id}/holidays), which
// takes them from a maintained library of holiday rules: nothing here knows a
// date.
import { useEffect, useState } from 'react';
import { Field, Select } from '@fluentui/react-components';
import { DateTime } from 'luxon';
import type { Api } from './api';
import { fieldProps } from './fields';
import { addStrings, locale, t } from './i18n';

export interface HolidayPlace {
  country: string;
  region?: string;
}

export interface Holiday {
  date: string; // YYYY-MM-DD
  name: string;
  type: 'public' | 'bank';
  kind: 'holiday';
  readOnly: true;
  observed?: boolean;
  actual?: string;
}

interface Country {
  code: string;
  name: string;
  regions: string[];
  regionRequired: boolean;
}

addStrings('en', {
    'holidays.setting': 'Public holidays shown',
    'holidays.none': 'None',
    'holidays.region': 'Region',
    'holidays.region.all': 'Whole country (national holidays)',
    'holidays.hint': 'The public holidays of this place are shown in the views, read-only.',
    'holidays.label': 'Public holiday: {name}',
    'holidays.banner': 'Public holiday: {list}',
});
addStrings('fr', {
    'holidays.setting': 'Jours fériés affichés',
    'holidays.none': 'Aucun',
    'holidays.region': 'Région',
    'holidays.region.all': 'Tout le pays (jours fériés nationaux)',
    'holidays.hint': 'Les jours fériés de ce lieu sont affichés dans les vues, en lecture seule.',
    'holidays.label': 'Jour férié : {name}',
    'holidays.banner': 'Jour férié : {list}',
});

let countries: Promise<Country[]> | null = null;

/** The country's name in the user's language, the API's English name without one. */
function countryName(c: Country): string {
  try {
    return new Intl.DisplayNames([locale()], { type: 'region' }).of(c.code) ?? c.name;
  } catch {
    return c.name;
  }
}

/**
 * The settings field of a tab's holiday place: a country (or none) and, where
 * the country has regional holidays, a region. Errors of
 * settings.holidays.country / .region show beside their select.
 */
export function HolidayField(props: { api: Api; value?: HolidayPlace; onChange: (v: HolidayPlace | undefined) => void; error: unknown; field?: string }) {
  const { api, value, onChange, error } = props;
  const field = props.field ?? 'settings.holidays';
  const [list, setList] = useState<Country[]>([]);
  useEffect(() => {
    countries ??= api.listAll<Country>('/api/holidays/countries', { query: { top: '1000' } });
    countries.then(setList, () => (countries = null));
  }, [api]);
  const current = list.find((c) => c.code === value?.country);
  const named = list.map((c) => ({ ...c, label: countryName(c) })).sort((a, b) => a.label.localeCompare(b.label, locale()));
  return (
    <>
      <Field label={t('holidays.setting')} hint={t('holidays.hint')} {...fieldProps(error, field + '.country')}>
        <Select id="cfg-holidays" value={value?.country ?? ''}
          onChange={(_, d) => {
            const c = list.find((x) => x.code === d.value);
            onChange(d.value ? { country: d.value, region: c?.regionRequired ? c.regions[0] : undefined } : undefined);
          }}>
          <option value="">{t('holidays.none')}</option>
          {value?.country && !current && <option value={value.country}>{value.country}</option>}
          {named.map((c) => (
            <option key={c.code} value={c.code}>{c.label}</option>
          ))}
        </Select>
      </Field>
      {!!current?.regions.length && (
        <Field label={t('holidays.region')} {...fieldProps(error, field + '.region')}>
          <Select id="cfg-holidays-region" value={value?.region ?? ''}
            onChange={(_, d) => onChange({ country: current.code, region: d.value || undefined })}>
            {!current.regionRequired && <option value="">{t('holidays.region.all')}</option>}
            {current.regions.map((r) => (
              <option key={r} value={r}>{current.code}-{r}</option>
            ))}
          </Select>
        </Field>
      )}
    </>
  );
}

/**
 * Holidays as EventCalendar's all-day items: not editable, styled apart
 * (tp-holiday, in ec-theme.css) and named as holidays for screen readers.
 */
export function holidayEvents(hs: Holiday[]) {
  return hs.map((h) => ({
    id: 'holiday|' + h.date + '|' + h.name,
    title: h.name,
    start: h.date,
    end: DateTime.fromISO(h.date).plus({ days: 1 }).toISODate()!,
    allDay: true,
    editable: false,
    startEditable: false,
    durationEditable: false,
    classNames: ['tp-holiday'],
    extendedProps: { holiday: h },
  }));
}

/** Marks a drawn holiday (eventDidMount's info) and reports whether it is one. */
export function isHolidayEvent(info: { el: HTMLElement; event: { title: unknown; extendedProps: Record<string, unknown> } }): boolean {
  if (!info.event.extendedProps.holiday) return false;
  info.el.dataset.holiday = 'true';
  info.el.setAttribute('role', 'note');
  info.el.setAttribute('aria-label', t('holidays.label', { name: String(info.event.title) }));
  return true;
}

/** The tab's holidays on the dates [from, to) (YYYY-MM-DD, to exclusive). */
export function tabHolidays(api: Api, tabId: string, from: string, to: string): Promise<Holiday[]> {
  return api.listAll<Holiday>('/api/tabs/' + encodeURIComponent(tabId) + '/holidays', { query: { from, to } });
}
