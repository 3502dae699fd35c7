// Booking Room Pro: the tab's settings page (Teams' configurationUrl).
import { mountPage } from '../shared/Shell';
import { ConfigPage } from './ConfigPage';

mountPage((ctx) => <ConfigPage {...ctx} />);
