import { Body1, Link, Title1 } from '@fluentui/react-components';
import { t } from '../shared/i18n';

/** A page of text without sign-in: the landing, privacy and terms pages. */
export function TextPage({ title, body }: { title: string; body: string }) {
  return (
    <main style={{ maxWidth: 720, margin: '0 auto', padding: '40px 16px', display: 'flex', flexDirection: 'column', gap: 16 }}>
      <Title1 as="h1">{t(title)}</Title1>
      <Body1 as="p">{t(body)}</Body1>
      <nav aria-label="TeamsPro" style={{ display: 'flex', gap: 16 }}>
        <Link href="/">TeamsPro</Link>
        <Link href="/privacy">{t('page.privacy.title')}</Link>
        <Link href="/terms">{t('page.terms.title')}</Link>
      </nav>
    </main>
  );
}
