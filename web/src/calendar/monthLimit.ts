// The month grid draws only what its day cells can show. EventCalendar's own
// dayMaxEvents mounts every event of the month, measures each one (a forced
// layout per event) and only then hides what overflows: for a busy calendar
// (some 500 events a month) that took seconds. Here the page decides before
// anything is drawn: per day, the events that fit, and one "+k more" entry
// standing for the rest, which opens the day with all of them. Week, day and
// agenda views are not limited.

/** What the plan needs of an event (EventCalendar's, with local dates). */
export interface Placed {
  start: Date;
  end: Date;
  allDay: boolean;
}

/** A day's key: its local date, YYYY-MM-DD. */
export function dayKey(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const nextDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);

/** The keys of the days in [from, to) that an event covers (half-open, as EventCalendar draws it). */
function daysOf(ev: Placed, from: Date, to: Date): string[] {
  const end = ev.end > ev.start ? ev.end : new Date(ev.start.getTime() + 1);
  const keys: string[] = [];
  for (let d = startOfDay(ev.start < from ? from : ev.start); d < to && d < end; d = nextDay(d)) keys.push(dayKey(d));
  return keys;
}

export interface MonthPlan {
  /** For each event given (same order), whether the grid draws it. */
  shown: boolean[];
  /** Per day with events not drawn, how many: the k of its "+k more". */
  more: Map<string, number>;
  /** The capacity the plan was made for (events, or entries, a day cell shows). */
  capacity: number;
}

/**
 * Chooses the events a month grid draws: per day at most `capacity` entries,
 * and when a day has more events than that, `capacity - 1` of them and a
 * "+k more" entry. Events are taken in the order EventCalendar stacks them
 * (by start, all-day first on a tie, then as given), so the grid shows each
 * day's first events, as its own dayMaxEvents would. An event spanning days is
 * drawn only where it fits on every one of them, and counted in each day's k
 * otherwise, so that k is always the number of that day's events missing.
 */
export function planMonth(events: Placed[], from: Date, to: Date, capacity: number): MonthPlan {
  capacity = Math.max(1, Math.floor(capacity));
  const order = events.map((_, i) => i).sort((a, b) => {
    const x = events[a],
      y = events[b];
    return x.start.getTime() - y.start.getTime() || Number(y.allDay) - Number(x.allDay) || a - b;
  });
  const days = events.map((ev) => daysOf(ev, from, to));
  const total = new Map<string, number>();
  for (const keys of days) for (const k of keys) total.set(k, (total.get(k) ?? 0) + 1);
  // A day keeps a place for its "+k more" when it has more events than places.
  const limit = new Map<string, number>();
  for (const [k, n] of total) limit.set(k, n > capacity ? capacity - 1 : capacity);
  for (;;) {
    const shown = events.map(() => false);
    const used = new Map<string, number>();
    const more = new Map<string, number>();
    for (const i of order) {
      const keys = days[i];
      if (!keys.length) continue;
      if (keys.every((k) => (used.get(k) ?? 0) < limit.get(k)!)) {
        shown[i] = true;
        for (const k of keys) used.set(k, (used.get(k) ?? 0) + 1);
      } else {
        for (const k of keys) more.set(k, (more.get(k) ?? 0) + 1);
      }
    }
    // An event spanning days can miss a day that had room for all its own
    // events: that day needs its "+k more" place too, so plan again.
    let again = false;
    for (const k of more.keys())
      if (limit.get(k) === capacity) {
        limit.set(k, capacity - 1);
        again = true;
      }
    if (!again) return { shown, more, capacity };
  }
}

/**
 * How many entries a day cell of the month grid shows, by the library's own
 * rule (an event fits while its bottom stays above the cell's foot): the
 * height of a cell, less the day's number above the events and the empty foot
 * below them, divided by an event's height and the gap between events. The
 * cell is measured on the grid drawn in root when it has the rows (weeks) to
 * draw, else estimated from the view's height. The foot counts as empty (its
 * padding), so that a "+n more" link of the library's never changes the
 * figure. Returns 0 when root holds no view to measure.
 */
export function monthCapacity(root: HTMLElement, rows: number, gap: number): number {
  const main = root.querySelector<HTMLElement>('.ec-main');
  if (!main || rows < 1) return 0;
  const day = root.querySelector<HTMLElement>('.ec-day-grid .ec-body .ec-day');
  let cell: number;
  if (day && Number(main.style.getPropertyValue('--ec-grid-rows')) === rows) {
    cell = day.getBoundingClientRect().height;
  } else {
    const header = main.querySelector<HTMLElement>(':scope > .ec-header');
    cell = (main.getBoundingClientRect().height - (header?.getBoundingClientRect().height ?? 0)) / rows;
  }
  const size = parseFloat(getComputedStyle(root).fontSize) || 14;
  const head = day?.querySelector<HTMLElement>('.ec-day-head')?.getBoundingClientRect().height || size * 1.5 + 12;
  const footEl = day?.querySelector<HTMLElement>('.ec-day-foot');
  const footStyle = footEl && getComputedStyle(footEl);
  const foot = footStyle ? parseFloat(footStyle.paddingTop) + parseFloat(footStyle.paddingBottom) : 6;
  // Without an event drawn yet: the library's line (.85em at 1.5) and padding.
  const drawn = root.querySelector<HTMLElement>('.ec-day-grid .ec-events .ec-event');
  const eventHeight = drawn?.getBoundingClientRect().height || size * 0.85 * 1.5 + 4;
  return Math.max(1, Math.floor((cell - head - foot + gap - 0.5) / (eventHeight + gap)));
}
