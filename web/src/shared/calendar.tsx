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
}

export function CalendarView({ plugins, options, calendarRef, className, label }: CalendarViewProps) {
  const el = useRef<HTMLDivElement>(null);
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
