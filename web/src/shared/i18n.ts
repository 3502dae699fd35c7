// The one string catalogue of both tabs, English and French, picked from the
// Teams locale (or, outside Teams, ?locale= or the browser's language). Keys
// missing in French fall back to English. Each tab adds its own strings with
// addStrings (booking strings live with the booking tab).

type Catalogue = Record<string, string>;

const en: Catalogue = {
  'app.loading': 'Loading…',
  'app.retry': 'Try again',
  'app.error': 'Something went wrong',
  'signin.teamsOnly.title': 'This app opens in Microsoft Teams',
  'signin.teamsOnly.body': 'Add Calendar Pro or Booking Room Pro to a channel in Teams and open its tab there.',
  'signin.dev.title': 'Dev sign-in',
  'signin.dev.body': 'This server runs with dev sign-in (DEV_SIGNIN=true): choose who you are. It is never on in Azure.',
  'signin.dev.tenant': 'Tenant id',
  'signin.dev.user': 'User id',
  'signin.dev.name': 'Display name',
  'signin.dev.upn': 'Sign-in name (UPN)',
  'signin.dev.admin': 'Tenant admin',
  'signin.dev.submit': 'Sign in',
  'signin.dev.signout': 'Sign out',
  'signin.consent.title': 'Your consent is needed',
  'signin.consent.body': 'Teams could not sign you in to this app without your consent. Select "Grant consent" and accept the permissions it asks for.',
  'signin.consent.button': 'Grant consent',
  'signin.adminConsent.title': 'An administrator must approve this app',
  'signin.adminConsent.body': 'Your organization requires an administrator to consent to this app before anyone can use it. Ask your Microsoft 365 administrator to grant admin consent to the app registration.',
  'signin.failed.title': 'Sign-in failed',
  'signin.refused.title': 'You cannot use this app',
  'form.save': 'Save',
  'form.cancel': 'Cancel',
  'form.close': 'Close',
  'form.delete': 'Delete',
  'form.saving': 'Saving…',
  'form.saved': 'Saved',
  'form.required': 'Required',
  'form.invalid': 'Please correct the highlighted fields.',
  'page.landing.title': 'TeamsPro',
  'page.landing.body': 'Calendar Pro and Booking Room Pro for Microsoft Teams. Add the apps to a team in Teams to use them.',
  'page.privacy.title': 'Privacy',
  'page.privacy.body': 'This app stores only what you enter in it (events, reservations, settings) and, to know who did what, your Microsoft Entra ID object id, sign-in name and display name. It runs in your organization\'s own Azure subscription; nothing from Teams conversations or files is read or stored. Your administrator can export or delete all of your organization\'s data.',
  'page.terms.title': 'Terms of use',
  'page.terms.body': 'This app is provided by your organization, which deploys and runs it. Use it according to your organization\'s policies. It is provided as is, without warranty.',
};

const fr: Catalogue = {
  'app.loading': 'Chargement…',
  'app.retry': 'Réessayer',
  'app.error': 'Une erreur est survenue',
  'signin.teamsOnly.title': 'Cette application s\'ouvre dans Microsoft Teams',
  'signin.teamsOnly.body': 'Ajoutez Calendar Pro ou Booking Room Pro à un canal dans Teams et ouvrez-y son onglet.',
  'signin.dev.title': 'Connexion de développement',
  'signin.dev.body': 'Ce serveur fonctionne avec la connexion de développement (DEV_SIGNIN=true) : choisissez qui vous êtes. Elle n\'est jamais active dans Azure.',
  'signin.dev.tenant': 'Identifiant du locataire',
  'signin.dev.user': 'Identifiant de l\'utilisateur',
  'signin.dev.name': 'Nom affiché',
  'signin.dev.upn': 'Nom de connexion (UPN)',
  'signin.dev.admin': 'Administrateur du locataire',
  'signin.dev.submit': 'Se connecter',
  'signin.dev.signout': 'Se déconnecter',
  'signin.consent.title': 'Votre consentement est nécessaire',
  'signin.consent.body': 'Teams n\'a pas pu vous connecter à cette application sans votre consentement. Choisissez « Donner mon consentement » et acceptez les autorisations demandées.',
  'signin.consent.button': 'Donner mon consentement',
  'signin.adminConsent.title': 'Un administrateur doit approuver cette application',
  'signin.adminConsent.body': 'Votre organisation exige qu\'un administrateur consente à cette application avant toute utilisation. Demandez à votre administrateur Microsoft 365 d\'accorder le consentement administrateur à l\'inscription de l\'application.',
  'signin.failed.title': 'La connexion a échoué',
  'signin.refused.title': 'Vous ne pouvez pas utiliser cette application',
  'form.save': 'Enregistrer',
  'form.cancel': 'Annuler',
  'form.close': 'Fermer',
  'form.delete': 'Supprimer',
  'form.saving': 'Enregistrement…',
  'form.saved': 'Enregistré',
  'form.required': 'Obligatoire',
  'form.invalid': 'Corrigez les champs signalés.',
  'page.landing.title': 'TeamsPro',
  'page.landing.body': 'Calendar Pro et Booking Room Pro pour Microsoft Teams. Ajoutez les applications à une équipe dans Teams pour les utiliser.',
  'page.privacy.title': 'Confidentialité',
  'page.privacy.body': 'Cette application ne conserve que ce que vous y saisissez (événements, réservations, paramètres) et, pour savoir qui a fait quoi, votre identifiant d\'objet Microsoft Entra ID, votre nom de connexion et votre nom affiché. Elle fonctionne dans l\'abonnement Azure de votre organisation ; rien des conversations ou fichiers Teams n\'est lu ni conservé. Votre administrateur peut exporter ou supprimer toutes les données de votre organisation.',
  'page.terms.title': 'Conditions d\'utilisation',
  'page.terms.body': 'Cette application est fournie par votre organisation, qui la déploie et l\'exploite. Utilisez-la selon les règles de votre organisation. Elle est fournie en l\'état, sans garantie.',
};

const catalogues: Record<string, Catalogue> = { en, fr };
let current = 'en';

/** The language of a locale tag ("fr-FR" -> "fr"), English when not catalogued. */
export function languageOf(locale: string | undefined): string {
  const l = (locale ?? '').toLowerCase().split(/[-_]/)[0];
  return catalogues[l] ? l : 'en';
}

export function setLocale(locale: string | undefined) {
  current = languageOf(locale);
  document.documentElement.lang = current;
}

export function locale(): string {
  return current;
}

/** Adds a tab's own strings to the catalogue. */
export function addStrings(lang: 'en' | 'fr', strings: Catalogue) {
  Object.assign(catalogues[lang], strings);
}

/** The string for key in the current language, with {name} placeholders filled. */
export function t(key: string, vars?: Record<string, string | number>): string {
  let s = catalogues[current][key] ?? en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  return s;
}
