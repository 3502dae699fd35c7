// Booking Room Pro: the tab's content page.
import { mountPage } from '../shared/Shell';
import { ContentPage } from './ContentPage';

mountPage((ctx) => <ContentPage {...ctx} />);
