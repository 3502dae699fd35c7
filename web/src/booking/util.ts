// Small helpers the booking screens share.
import { DateTime } from 'luxon';
import { ApiError } from '../shared/api';

/** An unknown error as an ApiError, so every screen shows errors one way. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, null, String((e as Error)?.message ?? e));
}

/** "HH:mm" of a DateTime. */
export function hhmm(d: DateTime): string {
  return d.toFormat('HH:mm');
}

/** The DateTime of a date "yyyy-MM-dd" and a time "HH:mm" in zone (invalid if either is). */
export function at(date: string, time: string, zone: string): DateTime {
  return DateTime.fromISO(date + 'T' + time, { zone });
}

/** The current instant: one place, so that screens agree on "now". */
export function now(): DateTime {
  return DateTime.now();
}

/**
 * Downloads body as a file: the API answers CSV to a Bearer request, which a
 * plain link cannot send, so the tab fetches it and hands the browser a blob.
 */
export function download(body: Blob, filename: string) {
  const url = URL.createObjectURL(body);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A fetch with the user's token for the non-JSON routes (CSV import and export), errors as ApiError. */
export async function rawFetch(token: () => Promise<string>, method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = { Authorization: 'Bearer ' + (await token()), Accept: 'application/json, text/csv' };
  if (contentType) headers['Content-Type'] = contentType;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, null, String((e as Error)?.message ?? e));
  }
  if (!res.ok) {
    const problem = await res.json().catch(() => null);
    throw new ApiError(res.status, problem, res.statusText || 'HTTP ' + res.status);
  }
  return res;
}
