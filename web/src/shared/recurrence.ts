// The recurrence editor's model, shared by Calendar Pro and Booking Room Pro:
// what the editor edits, and the API's modeRecurrence and rrule for it.
import { DateTime } from 'luxon';

export type WeekdayRef = string | number | { weekday: number; n?: number };

export interface RRule {
  freq: string;
  interval?: number;
  count?: number;
  until?: string;
  byweekday?: WeekdayRef[];
  bymonthday?: number[];
  bymonth?: number[];
  bysetpos?: number[];
}

export type Mode = 'NotRepeat' | 'Workweek' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly' | 'Custom';

export const weekdayCodes = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** What the recurrence editor edits; turned into the API's modeRecurrence + rrule. */
export interface Repeat {
  kind: 'none' | 'daily' | 'workweek' | 'weekly' | 'monthlyDay' | 'monthlyNth' | 'yearly' | 'rrule';
  interval: number;
  days: number[]; // weekly: 0 = Sunday
  monthDay: number;
  nth: number; // 1..4 or -1 (last)
  weekday: number; // monthlyNth: 0 = Sunday
  ends: 'never' | 'count' | 'until';
  count: number;
  until: string; // yyyy-MM-dd in the event's zone
  rule: string; // kind rrule
}

export function defaultRepeat(start: DateTime): Repeat {
  const wd = start.weekday % 7;
  const nth = Math.ceil(start.day / 7);
  return {
    kind: 'none', interval: 1, days: [wd], monthDay: start.day, nth: start.plus({ weeks: 1 }).month !== start.month ? -1 : Math.min(nth, 4),
    weekday: wd, ends: 'never', count: 10, until: start.plus({ months: 3 }).toISODate()!, rule: 'FREQ=WEEKLY;BYDAY=' + weekdayCodes[wd],
  };
}

/** The API's members for a Repeat: modeRecurrence and rrule (null: none). */
export function repeatToApi(r: Repeat, zone: string): { modeRecurrence: Mode; rrule?: RRule | string } {
  if (r.kind === 'none') return { modeRecurrence: 'NotRepeat' };
  if (r.kind === 'rrule') return { modeRecurrence: 'Custom', rrule: r.rule.replace(/^RRULE:/i, '').trim() };
  const rule: RRule = { freq: 'DAILY' };
  if (r.interval > 1) rule.interval = r.interval;
  switch (r.kind) {
    case 'daily':
      rule.freq = 'DAILY';
      break;
    case 'workweek':
      rule.freq = 'WEEKLY';
      rule.byweekday = ['MO', 'TU', 'WE', 'TH', 'FR'];
      break;
    case 'weekly':
      rule.freq = 'WEEKLY';
      rule.byweekday = [...r.days].sort().map((d) => weekdayCodes[d]);
      break;
    case 'monthlyDay':
      rule.freq = 'MONTHLY';
      rule.bymonthday = [r.monthDay];
      break;
    case 'monthlyNth':
      rule.freq = 'MONTHLY';
      rule.byweekday = [String(r.nth) + weekdayCodes[r.weekday]];
      break;
    case 'yearly':
      rule.freq = 'YEARLY';
      break;
  }
  if (r.ends === 'count') rule.count = r.count;
  if (r.ends === 'until' && r.until) rule.until = DateTime.fromISO(r.until, { zone }).endOf('day').toUTC().toISO({ suppressMilliseconds: true })!;
  return { modeRecurrence: 'Custom', rrule: rule };
}

