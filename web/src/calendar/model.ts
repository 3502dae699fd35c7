// Calendar Pro's API shapes and the recurrence editor's model.
import { DateTime } from 'luxon';
import { defaultRepeat, weekdayCodes, type Mode, type Repeat, type RRule, type WeekdayRef } from '../shared/recurrence';
import type { HolidayPlace } from '../shared/holidays';

// The recurrence editor's model is shared with Booking Room Pro.
export { defaultRepeat, repeatToApi, weekdayCodes, type Mode, type Repeat, type RRule, type WeekdayRef } from '../shared/recurrence';

export interface Member {
  objectId: string;
  add?: boolean;
  modify?: boolean;
  delete?: boolean;
}

export interface Settings {
  defaultView?: 'day' | 'week' | 'workweek' | 'month' | 'agenda';
  firstDayOfWeek?: number;
  businessDays?: number[];
  businessHours?: { start: string; end: string };
  timeZone?: string;
  showWeekends?: boolean;
  showWeekNumbers?: boolean;
  notifications?: { addedOrUpdated?: boolean; deleted?: boolean };
  reminderMinutes?: number;
  permissions?: { mode?: 'everyone' | 'owners' | 'custom'; members?: Member[] };
  owners?: string[];
  holidays?: HolidayPlace;
}

export interface Tab {
  id: string;
  /** The calendar's id in the events API (not the tab id). */
  calendarId: string;
  kind: 'calendar' | 'booking';
  teamId: string;
  channelId: string;
  channelName?: string;
  settings: Settings;
  etag?: string;
}

export interface Participant {
  objectId?: string;
  upn?: string;
  email?: string;
  name?: string;
}

export interface CalEvent {
  id?: string;
  calendarId?: string;
  title: string;
  description?: string;
  startDate: string;
  endDate: string;
  allDay: boolean;
  color?: string;
  timeZone?: string;
  address?: { fullAddress: string; lat?: number; lng?: number };
  tags?: string[];
  participants?: Participant[];
  modeRecurrence?: Mode;
  rrule?: RRule | string;
  seriesId?: string;
  originalStart?: string;
  startDay?: string;
  endDay?: string;
  etag?: string;
  deleted?: boolean;
  /** Occurrences of an external calendar: "external", read-only. */
  source?: 'external';
  externalId?: string;
  externalName?: string;
  readOnly?: boolean;
}

export const calendarPath = (id: string) => '/api/calendar/v1/' + encodeURIComponent(id);

export const colours = ['#4f52b2', '#0f6cbd', '#038387', '#107c10', '#8a8886', '#c239b3', '#ca5010', '#d13438'];

/** The views of the settings and the EventCalendar views that show them. */
export const viewNames: Record<string, string> = {
  month: 'dayGridMonth',
  week: 'timeGridWeek',
  workweek: 'timeGridWeek',
  day: 'timeGridDay',
  agenda: 'listWeek',
};

function weekdayIndex(w: WeekdayRef): { wd: number; n?: number } {
  if (typeof w === 'number') return { wd: (w + 1) % 7 }; // rrule.js: 0 = Monday
  if (typeof w === 'object') return { wd: (w.weekday + 1) % 7, n: w.n };
  const m = /^([+-]?\d+)?([A-Za-z]{2})/.exec(w.trim());
  if (!m) return { wd: 1 };
  const code = m[2].toUpperCase();
  const named = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'].findIndex((d) => d.startsWith(w.trim().toUpperCase()));
  const wd = weekdayCodes.indexOf(code);
  return { wd: wd >= 0 ? wd : named >= 0 ? named : 1, n: m[1] ? Number(m[1]) : undefined };
}

/** The editor's Repeat of a stored series (a rule it cannot show becomes a custom RRULE). */
export function repeatFromApi(ev: CalEvent, start: DateTime, zone: string): Repeat {
  const r = defaultRepeat(start);
  const rule = ev.rrule;
  if (!rule || ev.modeRecurrence === 'NotRepeat') return r;
  if (typeof rule === 'string') return { ...r, kind: 'rrule', rule };
  r.interval = rule.interval ?? 1;
  if (rule.count) {
    r.ends = 'count';
    r.count = rule.count;
  } else if (rule.until) {
    r.ends = 'until';
    r.until = DateTime.fromISO(rule.until).setZone(zone).toISODate()!;
  }
  const freq = rule.freq.toUpperCase();
  const days = (rule.byweekday ?? []).map(weekdayIndex);
  if (freq === 'DAILY' && !days.length) r.kind = 'daily';
  else if (freq === 'WEEKLY' && days.length === 5 && [1, 2, 3, 4, 5].every((d) => days.some((x) => x.wd === d)) && r.interval === 1) r.kind = 'workweek';
  else if (freq === 'WEEKLY') {
    r.kind = 'weekly';
    r.days = days.length ? days.map((d) => d.wd) : [start.weekday % 7];
  } else if (freq === 'MONTHLY' && days.length === 1 && days[0].n) {
    r.kind = 'monthlyNth';
    r.nth = days[0].n!;
    r.weekday = days[0].wd;
  } else if (freq === 'MONTHLY' && days.length === 1 && rule.bysetpos?.length === 1) {
    r.kind = 'monthlyNth';
    r.nth = rule.bysetpos[0];
    r.weekday = days[0].wd;
  } else if (freq === 'MONTHLY' && !days.length) {
    r.kind = 'monthlyDay';
    r.monthDay = rule.bymonthday?.[0] ?? start.day;
  } else if (freq === 'YEARLY' && !days.length && !rule.bymonthday?.length) r.kind = 'yearly';
  else {
    r.kind = 'rrule';
    r.rule = ruleToText(rule);
  }
  return r;
}

/** An RFC 5545 RRULE of an rrule.js-shaped rule, for the custom editor. */
export function ruleToText(rule: RRule): string {
  const parts = ['FREQ=' + rule.freq.toUpperCase()];
  if (rule.interval && rule.interval > 1) parts.push('INTERVAL=' + rule.interval);
  if (rule.byweekday?.length)
    parts.push('BYDAY=' + rule.byweekday.map((w) => { const x = weekdayIndex(w); return (x.n ?? '') + weekdayCodes[x.wd]; }).join(','));
  if (rule.bymonthday?.length) parts.push('BYMONTHDAY=' + rule.bymonthday.join(','));
  if (rule.bymonth?.length) parts.push('BYMONTH=' + rule.bymonth.join(','));
  if (rule.bysetpos?.length) parts.push('BYSETPOS=' + rule.bysetpos.join(','));
  if (rule.count) parts.push('COUNT=' + rule.count);
  if (rule.until) parts.push('UNTIL=' + DateTime.fromISO(rule.until).toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'"));
  return parts.join(';');
}

export function isRecurring(ev: CalEvent): boolean {
  return !!ev.seriesId || (!!ev.modeRecurrence && ev.modeRecurrence !== 'NotRepeat');
}
