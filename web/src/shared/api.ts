// The API client of both tabs: the signed-in user's token as Bearer, JSON in
// and out, problem+json errors turned into ApiError (detail, code, field
// errors), ETags exposed for If-Match.

/** One invalid field of a 400 problem. */
export interface FieldError {
  field: string;
  reason: string;
}

/** An answer of the API that is not 2xx, from its problem+json document. */
export class ApiError extends Error {
  status: number;
  code: string;
  detail: string;
  fields: FieldError[];
  reason?: string;
  extra?: Record<string, unknown>;

  constructor(status: number, problem: Record<string, unknown> | null, fallback: string) {
    const detail = typeof problem?.detail === 'string' && problem.detail ? problem.detail : fallback;
    super(detail);
    this.status = status;
    this.code = typeof problem?.code === 'string' ? problem.code : 'http_' + status;
    this.detail = detail;
    this.fields = Array.isArray(problem?.errors) ? (problem!.errors as FieldError[]) : [];
    this.reason = typeof problem?.reason === 'string' ? problem.reason : undefined;
    this.extra = (problem?.extra as Record<string, unknown>) ?? undefined;
  }

  /** The reason given for a field (or a field under it, e.g. "start" for "start.dateTime"), if any. */
  fieldError(field: string): string | undefined {
    const f = this.fields.find((e) => e.field === field || e.field.startsWith(field + '.') || e.field.startsWith(field + '['));
    return f?.reason;
  }
}

export interface Answer<T> {
  data: T;
  status: number;
  etag?: string;
}

export interface RequestOptions {
  ifMatch?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

/** A function that returns a fresh bearer token (Teams SSO or dev sign-in). */
export type TokenSource = () => Promise<string>;

export class Api {
  constructor(private token: TokenSource, private base = '') {}

  async request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: 'Bearer ' + (await this.token()) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
    let url = this.base + path;
    if (opts.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== '') q.set(k, String(v));
      const s = q.toString();
      if (s) url += (url.includes('?') ? '&' : '?') + s;
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
    } catch (e) {
      throw new ApiError(0, null, 'The server cannot be reached: ' + String((e as Error)?.message ?? e));
    }
    const text = await res.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      throw new ApiError(res.status, data && typeof data === 'object' ? (data as Record<string, unknown>) : null, res.statusText || 'HTTP ' + res.status);
    }
    return { data: data as T, status: res.status, etag: res.headers.get('ETag') ?? undefined };
  }

  async get<T>(path: string, opts?: RequestOptions): Promise<T> {
    return (await this.request<T>('GET', path, undefined, opts)).data;
  }
  post<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, body ?? {}, opts);
  }
  put<T>(path: string, body: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, body, opts);
  }
  patch<T>(path: string, body: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, body, opts);
  }
  del(path: string, opts?: RequestOptions) {
    return this.request<unknown>('DELETE', path, undefined, opts);
  }

  /**
   * Every item of a list route. The API's list shape is {"value": [...],
   * "nextLink": "/api/...?continuation=..."}, followed until nextLink is
   * absent; a bare array or an object with one array property (older
   * routes, connector routes) is taken as one page.
   */
  async listAll<T>(path: string, opts: RequestOptions = {}): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    let query = opts.query;
    for (let pages = 0; next && pages < 1000; pages++) {
      const page: unknown = await this.get<unknown>(next, { ...opts, query });
      query = undefined; // nextLink carries the query
      next = undefined;
      if (Array.isArray(page)) {
        out.push(...(page as T[]));
      } else if (page && typeof page === 'object') {
        const o = page as Record<string, unknown>;
        if (Array.isArray(o.value)) {
          out.push(...(o.value as T[]));
          if (typeof o.nextLink === 'string' && o.nextLink) next = o.nextLink;
        } else {
          const arr = Object.values(o).find(Array.isArray);
          if (arr) out.push(...(arr as T[]));
        }
      }
    }
    return out;
  }
}
