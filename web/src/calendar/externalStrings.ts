// The strings of external calendars, English and French.
import { addStrings } from '../shared/i18n';

const en = {
  'ext.open': 'External calendars',
  'ext.title': 'External calendars',
  'ext.body': 'Show up to 3 published calendars (ICS links from Outlook, Google Calendar, a school or a sports club) over this calendar, read-only. They are fetched again twice an hour; their events are never copied into this calendar.',
  'ext.none': 'No external calendar yet.',
  'ext.name': 'Name',
  'ext.url': 'Calendar address (https or webcal)',
  'ext.color': 'Colour',
  'ext.add': 'Add',
  'ext.refresh': 'Refresh',
  'ext.remove': 'Remove',
  'ext.full': 'This calendar shows 3 external calendars, the most it can.',
  'ext.ok': 'Read {when}. Events and series: {events}.',
  'ext.never': 'Not read yet.',
  'ext.skipped': 'Left out, as this calendar cannot show them (events repeating hourly or more often, or past 5,000): {n}.',
  'ext.failed': 'The last fetch failed ({when}): {message}.',
  'ext.kept': 'The events read {when} are still shown.',
  'ext.readOnly': '(from {name}, read-only)',
  'ext.event': 'Event of an external calendar',
  'ext.event.body': 'This event comes from the external calendar {name}: change it where it is published.',
  'ext.event.when': 'When',
  'ext.event.where': 'Where',
};

const fr: typeof en = {
  'ext.open': 'Calendriers externes',
  'ext.title': 'Calendriers externes',
  'ext.body': 'Affichez jusqu\'à 3 calendriers publiés (liens ICS d\'Outlook, de Google Agenda, d\'une école ou d\'un club) par-dessus ce calendrier, en lecture seule. Ils sont relus deux fois par heure ; leurs événements ne sont jamais copiés dans ce calendrier.',
  'ext.none': 'Aucun calendrier externe.',
  'ext.name': 'Nom',
  'ext.url': 'Adresse du calendrier (https ou webcal)',
  'ext.color': 'Couleur',
  'ext.add': 'Ajouter',
  'ext.refresh': 'Actualiser',
  'ext.remove': 'Retirer',
  'ext.full': 'Ce calendrier affiche déjà 3 calendriers externes, le maximum.',
  'ext.ok': 'Lu {when}. Événements et séries : {events}.',
  'ext.never': 'Pas encore lu.',
  'ext.skipped': 'Laissés de côté, car ce calendrier ne peut pas les afficher (événements répétés toutes les heures ou plus souvent, ou au-delà de 5 000) : {n}.',
  'ext.failed': 'La dernière lecture a échoué ({when}) : {message}.',
  'ext.kept': 'Les événements lus {when} restent affichés.',
  'ext.readOnly': '(de {name}, en lecture seule)',
  'ext.event': 'Événement d\'un calendrier externe',
  'ext.event.body': 'Cet événement vient du calendrier externe {name} : modifiez-le là où il est publié.',
  'ext.event.when': 'Quand',
  'ext.event.where': 'Où',
};

addStrings('en', en);
addStrings('fr', fr);
