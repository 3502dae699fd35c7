// Who is signed in, and how: inside Teams (TeamsJS v2: app.initialize,
// getContext, authentication.getAuthToken) or, in a plain browser, through the
// handler's dev sign-in (only when it runs with DEV_SIGNIN=true, which Azure
// refuses). The same bundle serves both; which one is decided first by
// whether the page is framed.
import { ApiError } from './api';
import { themeFromTeams, type ThemeName } from './theme';

export interface Session {
  inTeams: boolean;
  token: () => Promise<string>;
  tenantId: string;
  userId: string;
  userName: string;
  upn: string;
  locale: string;
  theme: ThemeName;
  /** The tab's entity id: the tab id of the API. Empty on a config page of a new tab. */
  entityId: string;
  teamId: string;
  teamName: string;
  channelId: string;
  channelName: string;
  /** Calls back when Teams (or the dev theme switch) changes the theme. */
  onThemeChange: (cb: (t: ThemeName) => void) => void;
}

/** What the page should show. */
export type Boot =
  | { kind: 'session'; session: Session }
  | { kind: 'devSignIn' }
  | { kind: 'teamsOnly' }
  | { kind: 'consent' }
  | { kind: 'adminConsent' }
  | { kind: 'failed'; message: string };

const devKey = 'teamspro.devsignin';

export interface DevIdentity {
  tenantId: string;
  objectId: string;
  name: string;
  upn: string;
  admin: boolean;
}

interface DevStored extends DevIdentity {
  token: string;
}

/** The page's query parameters. */
export function query(): URLSearchParams {
  return new URLSearchParams(window.location.search);
}

export function inTeamsFrame(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true; // a cross-origin parent: framed
  }
}

export async function bootstrap(): Promise<Boot> {
  if (inTeamsFrame()) return teamsBoot();
  return devBoot();
}

/** TeamsJS, loaded only inside Teams (outside it, it is neither needed nor shipped to the page). */
const teams = () => import('@microsoft/teams-js');

async function teamsBoot(): Promise<Boot> {
  const { app, authentication } = await teams();
  try {
    await app.initialize();
  } catch (e) {
    return { kind: 'failed', message: 'Teams did not answer: ' + String((e as Error)?.message ?? e) };
  }
  const ctx = await app.getContext();
  const token = () => authentication.getAuthToken();
  try {
    await token();
  } catch (e) {
    const boot = explainTokenError(e);
    app.notifyFailure?.({ reason: app.FailedReason.AuthFailed, message: String(e) });
    return boot;
  }
  app.notifySuccess();
  const listeners: ((t: ThemeName) => void)[] = [];
  app.registerOnThemeChangeHandler((t) => listeners.forEach((cb) => cb(themeFromTeams(t))));
  return {
    kind: 'session',
    session: {
      inTeams: true,
      token,
      tenantId: ctx.user?.tenant?.id ?? '',
      userId: ctx.user?.id ?? '',
      userName: ctx.user?.displayName ?? ctx.user?.userPrincipalName ?? '',
      upn: ctx.user?.userPrincipalName ?? '',
      locale: ctx.app.locale,
      theme: themeFromTeams(ctx.app.theme),
      entityId: ctx.page?.id ?? '',
      teamId: ctx.team?.groupId ?? ctx.team?.internalId ?? '',
      teamName: ctx.team?.displayName ?? '',
      channelId: ctx.channel?.id ?? '',
      channelName: ctx.channel?.displayName ?? '',
      onThemeChange: (cb) => listeners.push(cb),
    },
  };
}

/** Turns a getAuthToken failure into the screen that explains it. */
export function explainTokenError(e: unknown): Boot {
  const msg = String((e as Error)?.message ?? e);
  if (/AADSTS90094|AADSTS900941|admin.?consent|AADSTS65004|resourceDisabled/i.test(msg)) return { kind: 'adminConsent' };
  if (/resourceRequiresConsent|consent_required|AADSTS65001|invalid_grant/i.test(msg)) return { kind: 'consent' };
  return { kind: 'failed', message: msg };
}

/** Asks for the user's consent in the Teams authentication pop-up, then reloads. */
export async function requestConsent() {
  const { authentication } = await teams();
  try {
    await authentication.authenticate({ url: window.location.origin + '/?consent=1', width: 600, height: 535 });
  } finally {
    window.location.reload();
  }
}

async function devBoot(): Promise<Boot> {
  let res: Response;
  try {
    res = await fetch('/api/dev/signin', { headers: { Accept: 'application/json' } });
  } catch {
    return { kind: 'teamsOnly' };
  }
  if (!res.ok) return { kind: 'teamsOnly' };
  const raw = sessionStorage.getItem(devKey);
  if (!raw) return { kind: 'devSignIn' };
  const d = JSON.parse(raw) as DevStored;
  return { kind: 'session', session: devSession(d) };
}

function devSession(d: DevStored): Session {
  const q = query();
  const listeners: ((t: ThemeName) => void)[] = [];
  return {
    inTeams: false,
    token: async () => d.token,
    tenantId: d.tenantId,
    userId: d.objectId,
    userName: d.name,
    upn: d.upn,
    locale: q.get('locale') ?? navigator.language,
    theme: themeFromTeams(q.get('theme') ?? 'default'),
    entityId: q.get('tab') ?? '',
    teamId: '19:dev-team@thread.tacv2',
    teamName: 'Dev team',
    channelId: '19:dev-channel@thread.tacv2',
    channelName: 'General',
    onThemeChange: (cb) => listeners.push(cb),
  };
}

/** Signs in through the handler's dev sign-in route and keeps the token for this browser tab. */
export async function devSignIn(id: DevIdentity): Promise<void> {
  const res = await fetch('/api/dev/signin', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(id),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(res.status, body, res.statusText);
  }
  sessionStorage.setItem(devKey, JSON.stringify({ ...id, token: body.token }));
}

export function devSignOut() {
  sessionStorage.removeItem(devKey);
  window.location.reload();
}

/**
 * Saves a tab's configuration: in Teams through setConfig on the config
 * page's save; outside Teams (dev sign-in) by going to the content page.
 */
export function registerConfigSave(session: Session, save: () => Promise<{ entityId: string; contentPath: string; name: string }>) {
  if (!session.inTeams) return;
  void teams().then(({ pages }) => pages.config.registerOnSaveHandler(async (ev) => {
    try {
      const r = await save();
      const url = window.location.origin + r.contentPath + '?tab=' + encodeURIComponent(r.entityId);
      await pages.config.setConfig({ entityId: r.entityId, contentUrl: url, websiteUrl: url, suggestedDisplayName: r.name });
      ev.notifySuccess();
    } catch (e) {
      ev.notifyFailure(String((e as Error)?.message ?? e));
    }
  }));
}

export function setConfigValid(session: Session, valid: boolean) {
  if (session.inTeams) void teams().then(({ pages }) => pages.config.setValidityState(valid));
}
