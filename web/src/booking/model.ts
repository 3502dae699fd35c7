// The Booking Room Pro API as the tab uses it: rooms, reservations, the
// booking tab, and the calls that read and change them. Every list goes
// through Api.listAll, which follows nextLink.
import { DateTime } from 'luxon';
import type { Api } from '../shared/api';
import { repeatToApi, type Repeat } from '../shared/recurrence';
import type { HolidayPlace } from '../shared/holidays';

export interface Hours {
  start: string;
  end: string;
}

export interface Rules {
  minMinutes: number;
  maxMinutes: number;
  maxDaysAhead: number;
  minNoticeMinutes: number;
  cancelNoticeMinutes: number;
  bufferMinutes: number;
  requiresApproval: boolean;
  checkInRequired: boolean;
  releaseAfterMinutes: number;
  bookableBy: string[];
  closedOnHolidays?: boolean;
}

/** What an admin sends to create or replace a room (POST adds the optional id). */
export interface RoomInput {
  name: string;
  email?: string;
  capacity: number;
  building?: string;
  floor?: string;
  equipment: string[];
  accessible: boolean;
  photoUrl?: string;
  timeZone: string;
  hours?: Hours;
  days: number[];
  rules: Rules;
  managers: string[];
  active?: boolean;
  holidays?: HolidayPlace;
}

export interface Room extends RoomInput {
  id: string;
  etag: string;
}

export type Status = 'confirmed' | 'pending' | 'declined' | 'cancelled' | 'released';

export interface Reservation {
  id: string;
  calendarId: string;
  title: string;
  description?: string;
  startDate: string;
  endDate: string;
  allDay: boolean;
  resourceId: string;
  resourceName?: string;
  timeZone: string;
  seriesId?: string;
  status: Status;
  organizer: string;
  organizerName?: string;
  participants?: Participant[];
  checkInBy?: string;
  checkedInAt?: string;
  etag: string;
}

export interface TabSettings {
  defaultView?: string;
  timeZone?: string;
  rooms?: string[];
  holidays?: HolidayPlace;
  [k: string]: unknown;
}

export interface Tab {
  id: string;
  kind: 'calendar' | 'booking';
  calendarId: string;
  teamId: string;
  channelId: string;
  channelName: string;
  settings: TabSettings;
  etag: string;
}

export interface Me {
  objectId: string;
  displayName?: string;
  admin: boolean;
}

/** How long before its start a reservation can be checked in (booking.CheckInEarly). */
export const checkInEarlyMinutes = 15;

/** Pending and confirmed reservations hold their slot; the others are history. */
export function holds(r: Reservation): boolean {
  return r.status === 'confirmed' || r.status === 'pending';
}

/**
 * Whether r can be checked in at now: confirmed, not yet checked in, from 15
 * minutes before its start until its release time (or its end), as the API
 * decides (Reservation.CheckInWindow).
 */
export function inCheckInWindow(r: Reservation, now: DateTime): boolean {
  if (r.status !== 'confirmed' || r.checkedInAt) return false;
  const start = DateTime.fromISO(r.startDate);
  const last = DateTime.fromISO(r.checkInBy ?? r.endDate);
  return now >= start.minus({ minutes: checkInEarlyMinutes }) && now < last;
}

/** Whether user manages room (tenant admins manage every room). */
export function manages(room: Room, userId: string, admin: boolean): boolean {
  return admin || room.managers.some((m) => m.toLowerCase() === userId.toLowerCase());
}

export function isActive(room: Room): boolean {
  return room.active !== false;
}

/** A new room's defaults, in zone. */
export function emptyRoom(zone: string): RoomInput {
  return {
    name: '',
    email: '',
    capacity: 0,
    building: '',
    floor: '',
    equipment: [],
    accessible: false,
    photoUrl: '',
    timeZone: zone,
    days: [],
    rules: {
      minMinutes: 0, maxMinutes: 0, maxDaysAhead: 0, minNoticeMinutes: 0, cancelNoticeMinutes: 0, bufferMinutes: 0,
      requiresApproval: false, checkInRequired: false, releaseAfterMinutes: 0, bookableBy: [],
    },
    managers: [],
    active: true,
  };
}

/** Someone a reservation is made for, as Calendar Pro's events name people. */
export interface Participant {
  objectId?: string;
  upn?: string;
  email?: string;
  name?: string;
}

export interface BookingInput {
  title: string;
  description?: string;
  participants: Participant[];
  roomId: string;
  start: DateTime;
  end: DateTime;
  /** The recurrence, from the shared editor; its until is a date in the room's zone. */
  repeat: Repeat;
  skipConflicts: boolean;
}

/** The API body of a reservation (the reference contract's Event). */
export function reservationBody(b: BookingInput, room: Room): Record<string, unknown> {
  const body: Record<string, unknown> = {
    title: b.title,
    startDate: b.start.toUTC().toISO({ suppressMilliseconds: true }),
    endDate: b.end.toUTC().toISO({ suppressMilliseconds: true }),
    timeZone: room.timeZone,
    resourceId: room.id,
  };
  if (b.description) body.description = b.description;
  if (b.participants.length) body.participants = b.participants;
  if (b.repeat.kind !== 'none') {
    // The calendar's recurrence members: bookings are events of the tab's calendar.
    Object.assign(body, repeatToApi(b.repeat, room.timeZone));
    if (b.skipConflicts) body.skipConflicts = true;
  }
  return body;
}

/** One occurrence of a series the API refused, from a 409's extra.conflicts. */
export interface Refusal {
  start: string;
  end: string;
  reason: string;
  detail?: string;
}

/** The calls of the booking tab. */
export class BookingApi {
  constructor(public api: Api) {}

  me() {
    return this.api.get<Me>('/api/me');
  }
  rooms() {
    return this.api.listAll<Room>('/api/rooms');
  }
  async tab(id: string): Promise<Tab | null> {
    try {
      const r = await this.api.request<Tab>('GET', '/api/tabs/' + encodeURIComponent(id));
      return { ...r.data, etag: r.etag ?? r.data.etag };
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }
  async saveTab(id: string, body: Record<string, unknown>, etag?: string): Promise<Tab> {
    const r = await this.api.put<Tab>('/api/tabs/' + encodeURIComponent(id), body, { ifMatch: etag });
    return { ...r.data, etag: r.etag ?? r.data.etag };
  }
  /**
   * The holding reservations of many rooms in [from, to), by start: one
   * request per maxScheduleRooms rooms (the API's bound), whatever the window's
   * days, instead of one request per room.
   */
  async schedules(roomIds: string[], from: DateTime, to: DateTime): Promise<Reservation[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < roomIds.length; i += maxScheduleRooms) chunks.push(roomIds.slice(i, i + maxScheduleRooms));
    const lists = await Promise.all(chunks.map((ids) => this.api.listAll<Reservation>('/api/rooms/schedule', {
      // The largest page: a view's reservations come in one answer, rarely more.
      query: { rooms: ids.join(','), from: iso(from), to: iso(to), top: 1000 },
    })));
    return lists.flat();
  }
  /** The pending reservations the signed-in user may approve or decline, by start: one request. */
  pending() {
    return this.api.listAll<Reservation>('/api/reservations/pending');
  }
  available(from: DateTime, to: DateTime, f: { capacity?: number; equipment?: string; building?: string; floor?: string }) {
    return this.api.listAll<Room>('/api/rooms/availability', {
      query: { from: iso(from), to: iso(to), capacity: f.capacity || undefined, equipment: f.equipment, building: f.building, floor: f.floor },
    });
  }
  book(calendarId: string, body: Record<string, unknown>) {
    return this.api.post<Reservation & { occurrences?: number; skipped?: Refusal[] }>(
      '/api/bookingroom/v1/' + encodeURIComponent(calendarId) + '/events', body);
  }
  mine(from: DateTime, to: DateTime) {
    return this.api.listAll<Reservation>('/api/reservations/mine', { query: { from: iso(from), to: iso(to) } });
  }
  act(id: string, action: 'cancel' | 'checkin' | 'approve' | 'decline') {
    return this.api.post<Reservation>('/api/reservations/' + encodeURIComponent(id) + '/' + action);
  }
  createRoom(id: string, room: RoomInput) {
    return this.api.post<Room>('/api/rooms', { ...(id ? { id } : {}), ...room });
  }
  updateRoom(id: string, room: RoomInput, etag?: string) {
    return this.api.put<Room>('/api/rooms/' + encodeURIComponent(id), room, { ifMatch: etag });
  }
  deleteRoom(id: string, etag?: string) {
    return this.api.del('/api/rooms/' + encodeURIComponent(id), { ifMatch: etag });
  }
}

/** The most rooms GET /api/rooms/schedule reads at once (booking.MaxScheduleRooms). */
export const maxScheduleRooms = 100;

export function iso(d: DateTime): string {
  return d.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** The content page that setConfig points the tab at. */
export const contentPath = '/booking-room-pro/content';
