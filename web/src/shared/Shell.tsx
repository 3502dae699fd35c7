// The frame of every page: sign-in (Teams or dev), theme, language, and the
// screens that explain why the app cannot open.
import { StrictMode, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import {
  Button, Checkbox, Field, FluentProvider, Input, MessageBar, MessageBarBody, MessageBarTitle, Select, Spinner, Text, Title2, makeStyles, tokens,
} from '@fluentui/react-components';
import { Api, ApiError } from './api';
import { setLocale, t } from './i18n';
import { bootstrap, devSignIn, devSignOut, query, requestConsent, type Boot, type Session } from './session';
import { fluentTheme, themeFromTeams, type ThemeName } from './theme';
import { fieldProps } from './fields';

export interface PageContext {
  session: Session;
  api: Api;
  theme: ThemeName;
}

const useStyles = makeStyles({
  root: { minHeight: '100vh', boxSizing: 'border-box', backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1 },
  center: { maxWidth: '520px', margin: '0 auto', padding: '48px 16px', display: 'flex', flexDirection: 'column', gap: '12px' },
  devbar: {
    display: 'flex', gap: '12px', alignItems: 'center', padding: '4px 12px', flexWrap: 'wrap',
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`, backgroundColor: tokens.colorNeutralBackground3,
  },
});

/** Renders a page that needs a signed-in user. */
export function mountPage(render: (ctx: PageContext) => ReactNode) {
  setLocale(query().get('locale') ?? navigator.language);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <Root render={render} />
    </StrictMode>,
  );
}

/** Renders a page without sign-in (landing, privacy, terms). */
export function mountStatic(render: () => ReactNode) {
  setLocale(query().get('locale') ?? navigator.language);
  const theme = themeFromTeams(query().get('theme') ?? undefined);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <Frame theme={theme}>{render()}</Frame>
    </StrictMode>,
  );
}

function Frame({ theme, children }: { theme: ThemeName; children: ReactNode }) {
  const s = useStyles();
  useEffect(() => {
    document.body.style.margin = '0'; // the theme's background reaches the tab's edges
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <FluentProvider theme={fluentTheme(theme)} className={s.root}>
      {children}
    </FluentProvider>
  );
}

function Root({ render }: { render: (ctx: PageContext) => ReactNode }) {
  const [boot, setBoot] = useState<Boot | null>(null);
  const [theme, setTheme] = useState<ThemeName>(themeFromTeams(query().get('theme') ?? undefined));
  useEffect(() => {
    bootstrap().then(
      (b) => {
        if (b.kind === 'session') {
          setLocale(b.session.locale);
          setTheme(b.session.theme);
          b.session.onThemeChange(setTheme);
        }
        setBoot(b);
      },
      (e) => setBoot({ kind: 'failed', message: String(e?.message ?? e) }),
    );
  }, []);
  const api = useMemo(() => (boot?.kind === 'session' ? new Api(boot.session.token) : null), [boot]);
  const s = useStyles();
  let body: ReactNode;
  if (!boot) body = <Spinner label={t('app.loading')} style={{ marginTop: 48 }} />;
  else if (boot.kind === 'session')
    body = (
      <>
        {!boot.session.inTeams && <DevBar session={boot.session} theme={theme} setTheme={setTheme} />}
        {render({ session: boot.session, api: api!, theme })}
      </>
    );
  else if (boot.kind === 'devSignIn') body = <DevSignIn />;
  else
    body = (
      <main className={s.center}>
        <Explain boot={boot} />
      </main>
    );
  return <Frame theme={theme}>{body}</Frame>;
}

function Explain({ boot }: { boot: Boot }) {
  switch (boot.kind) {
    case 'teamsOnly':
      return (
        <>
          <Title2 as="h1">{t('signin.teamsOnly.title')}</Title2>
          <Text>{t('signin.teamsOnly.body')}</Text>
        </>
      );
    case 'consent':
      return (
        <>
          <Title2 as="h1">{t('signin.consent.title')}</Title2>
          <Text>{t('signin.consent.body')}</Text>
          <Button appearance="primary" onClick={() => requestConsent()}>
            {t('signin.consent.button')}
          </Button>
        </>
      );
    case 'adminConsent':
      return (
        <>
          <Title2 as="h1">{t('signin.adminConsent.title')}</Title2>
          <Text>{t('signin.adminConsent.body')}</Text>
        </>
      );
    case 'failed':
      return (
        <MessageBar intent="error">
          <MessageBarBody>
            <MessageBarTitle>{t('signin.failed.title')}</MessageBarTitle>
            {boot.message}
          </MessageBarBody>
        </MessageBar>
      );
    default:
      return null;
  }
}

function randomGuid() {
  return crypto.randomUUID();
}

function DevSignIn() {
  const s = useStyles();
  const [tenantId, setTenant] = useState(localStorage.getItem('teamspro.dev.tenant') ?? '11111111-1111-4111-8111-111111111111');
  const [objectId, setUser] = useState<string>(randomGuid());
  const [name, setName] = useState('Dev User');
  const [upn, setUpn] = useState('dev@contoso.example');
  const [admin, setAdmin] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await devSignIn({ tenantId, objectId, name, upn, admin });
      localStorage.setItem('teamspro.dev.tenant', tenantId);
      window.location.reload();
    } catch (x) {
      setErr(x instanceof ApiError ? x : new ApiError(0, null, String(x)));
      setBusy(false);
    }
  };
  return (
    <main className={s.center}>
      <form onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }} aria-labelledby="devsignin-title">
        <Title2 as="h1" id="devsignin-title">
          {t('signin.dev.title')}
        </Title2>
        <Text>{t('signin.dev.body')}</Text>
        {err && <ErrorBar error={err} />}
        <Field label={t('signin.dev.tenant')} required {...fieldProps(err, 'tenantId')}>
          <Input name="tenantId" value={tenantId} onChange={(_, d) => setTenant(d.value)} />
        </Field>
        <Field label={t('signin.dev.user')} required {...fieldProps(err, 'objectId')}>
          <Input name="objectId" value={objectId} onChange={(_, d) => setUser(d.value)} />
        </Field>
        <Field label={t('signin.dev.name')} {...fieldProps(err, 'name')}>
          <Input name="name" value={name} onChange={(_, d) => setName(d.value)} />
        </Field>
        <Field label={t('signin.dev.upn')}>
          <Input name="upn" value={upn} onChange={(_, d) => setUpn(d.value)} />
        </Field>
        <Checkbox name="admin" label={t('signin.dev.admin')} checked={admin} onChange={(_, d) => setAdmin(!!d.checked)} />
        <Button appearance="primary" type="submit" disabled={busy} id="devsignin-submit">
          {t('signin.dev.submit')}
        </Button>
      </form>
    </main>
  );
}

function DevBar({ session, theme, setTheme }: { session: Session; theme: ThemeName; setTheme: (t: ThemeName) => void }) {
  const s = useStyles();
  return (
    <div className={s.devbar} role="region" aria-label="Dev sign-in">
      <Text size={200}>
        {t('signin.dev.title')}: {session.userName} ({session.tenantId})
      </Text>
      <Select
        aria-label="Theme"
        id="dev-theme"
        size="small"
        value={theme}
        onChange={(_, d) => setTheme(d.value as ThemeName)}
      >
        <option value="default">Light</option>
        <option value="dark">Dark</option>
        <option value="contrast">High contrast</option>
      </Select>
      <Button size="small" onClick={devSignOut}>
        {t('signin.dev.signout')}
      </Button>
    </div>
  );
}

/** The API's detail of a failed call, above a form. */
export function ErrorBar({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof ApiError ? error.detail : String((error as Error)?.message ?? error);
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>{msg}</MessageBarBody>
    </MessageBar>
  );
}
