import { mountPage } from '../shared/Shell';
import { ConfigPage } from './ConfigPage';

mountPage((ctx) => <ConfigPage {...ctx} />);
