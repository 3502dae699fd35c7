import { mountPage } from '../shared/Shell';
import { ContentPage } from './ContentPage';

mountPage((ctx) => <ContentPage {...ctx} />);
