// EventCalendar (@event-calendar/core, MIT) in React, for both tabs: one
// calendar library for Calendar Pro's month/week/day/agenda views and Booking
// Room Pro's resource timeline. Its colours follow the Teams theme
// (ec-theme.css). Give it floating wall-clock times of the tab's zone and
// timeZone 'UTC' (see time.ts).
import { useEffect, useRef, type MutableRefObject } from 'react';
import { createCalendar, destroyCalendar, DayGrid, Interaction, List, ResourceTimeline, TimeGrid } from '@event-calendar/core';
import '@event-calendar/core/index.css';
import './ec-theme.css';

export { DayGrid, Interaction, List, ResourceTimeline, TimeGrid };

/** The calendar instance EventCalendar returns (setOption, refetchEvents, ...). */
export type Calendar = ReturnType<typeof createCalendar>;

export interface CalendarViewProps {
  plugins: unknown[];
  /** Options; those that change between renders are set with setOption. */
  options: Record<string, unknown>;
  calendarRef?: MutableRefObject<Calendar | null>;
  className?: string;
  label?: string;
  /**
   * Makes the grid's table roles presentational and names its scrolling area
   * with this label (see useGridSemantics). Pages that give every event as a
   * named button and offer another way to reach them (a list view, a "new"
   * button) set it.
   */
  presentationalGrid?: string;
}

/** Table roles EventCalendar puts on its grids. */
const tableRoles = ['table', 'rowgroup', 'row', 'rowheader', 'columnheader', 'cell', 'gridcell'];

/**
 * EventCalendar marks its grids up as tables, but puts events, toolbars and
 * sidebars where a table allows only rows and cells, which assistive
 * technologies (and axe-core) read as a broken table. The grid is drawn for
 * the eye; a screen reader gets each event as a button named by its time and
 * title. So the table roles become presentational and the scrolling area takes
 * the focus, so that a keyboard can scroll it. A MutationObserver applies this
 * to whatever the library renders later (other dates, other views).
 */
function useGridSemantics(box: React.RefObject<HTMLDivElement | null>, scrollLabel: string | undefined) {
  useEffect(() => {
    const root = box.current;
    if (!root || !scrollLabel) return;
    const fix = () => {
      root.querySelectorAll<HTMLElement>('[role]').forEach((el) => {
        if (tableRoles.includes(el.getAttribute('role')!)) {
          el.setAttribute('role', 'presentation');
          for (const a of ['aria-colindex', 'aria-colspan', 'aria-rowindex']) el.removeAttribute(a);
        }
      });
      root.querySelectorAll<HTMLElement>('.ec-main').forEach((el) => {
        if (el.tabIndex !== 0) {
          el.tabIndex = 0;
          el.setAttribute('role', 'region');
          el.setAttribute('aria-label', scrollLabel);
        }
      });
    };
    fix();
    const mo = new MutationObserver(fix);
    mo.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['role'] });
    return () => mo.disconnect();
  }, [box, scrollLabel]);
}

export function CalendarView({ plugins, options, calendarRef, className, label, presentationalGrid }: CalendarViewProps) {
  const el = useRef<HTMLDivElement>(null);
  useGridSemantics(el, presentationalGrid);
  const ec = useRef<Calendar | null>(null);
  const last = useRef<Record<string, unknown>>({});
  useEffect(() => {
    const cal = createCalendar(el.current!, plugins as never, options as never);
    ec.current = cal;
    last.current = { ...options };
    if (calendarRef) calendarRef.current = cal;
    return () => {
      destroyCalendar(cal);
      ec.current = null;
      if (calendarRef) calendarRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    const cal = ec.current;
    if (!cal) return;
    for (const [k, v] of Object.entries(options)) {
      if (last.current[k] !== v) (cal as unknown as { setOption: (k: string, v: unknown) => void }).setOption(k, v);
    }
    last.current = { ...options };
  });
  return <div ref={el} className={className} role="region" aria-label={label} />;
}
