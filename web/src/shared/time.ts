// Zone-aware time helpers. The tabs show times in the TAB's time zone (its
// settings), never the browser's: an event at 09:00 Europe/Paris is drawn at
// 09:00 for a viewer in New York. The calendar views get "floating" wall-clock
// strings in that zone (no offset), and hand back Dates whose local fields are
// that wall clock; these helpers convert both ways.
import { DateTime } from 'luxon';
import { locale } from './i18n';

/** The wall-clock time of instant (ISO with offset, or Date) in zone, as a floating ISO string without offset. */
export function toFloating(instant: string | Date, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { setZone: true }) : DateTime.fromJSDate(instant);
  return dt.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/**
 * The instant of a Date that a view's callback gives (select, dateClick, the
 * event of eventDrop/eventClick) read as a wall clock of zone. EventCalendar
 * hands callbacks "local" dates: their LOCAL fields are the view's wall clock
 * (its toLocalDate), whatever the browser's zone, so those are the fields read.
 * (A browser zone skipping that wall-clock hour in a DST change cannot hold it
 * as a local date; give views ISO strings, as toFloating does, where that matters.)
 */
export function fromFloatingDate(d: Date, zone: string): DateTime {
  return DateTime.fromObject(
    { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() },
    { zone },
  );
}

/** The wall clock "yyyy-MM-ddTHH:mm" of a Date that a view hands out (its local fields). */
export function floatingLabel(d: Date): string {
  return DateTime.fromJSDate(d).toFormat("yyyy-MM-dd'T'HH:mm");
}

/**
 * A Date for a view's options (its date) whose LOCAL fields are dt's wall
 * clock: EventCalendar reads a Date option by its local fields, as it writes
 * the dates of its callbacks (fromFloatingDate).
 */
export function toFloatingDate(dt: DateTime): Date {
  return new Date(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second);
}

/** The wall clock "yyyy-MM-ddTHH:mm" of an instant in zone, for datetime-local inputs. */
export function toInputValue(instant: string | DateTime, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { setZone: true }) : instant;
  return dt.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** The instant of a datetime-local input value read in zone. */
export function fromInputValue(value: string, zone: string): DateTime {
  return DateTime.fromISO(value, { zone });
}

/** A date and time, formatted for people, in zone and the UI language. */
export function formatDateTime(instant: string | DateTime, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { setZone: true }) : instant;
  return dt.setZone(zone).setLocale(locale()).toLocaleString(DateTime.DATETIME_MED);
}

export function formatTime(instant: string | DateTime, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { setZone: true }) : instant;
  return dt.setZone(zone).setLocale(locale()).toLocaleString(DateTime.TIME_SIMPLE);
}

export function formatDate(instant: string | DateTime, zone: string): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { setZone: true }) : instant;
  return dt.setZone(zone).setLocale(locale()).toLocaleString(DateTime.DATE_MED_WITH_WEEKDAY);
}

/** Every IANA zone the browser knows, for zone pickers. */
export function timeZones(): string[] {
  const f = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  const zones = f ? f('timeZone') : [];
  if (!zones.includes('UTC')) zones.unshift('UTC');
  return zones;
}

/** The browser's zone: the default for a new tab. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
