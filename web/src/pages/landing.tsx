import { mountStatic } from '../shared/Shell';
import { TextPage } from './static';

mountStatic(() => <TextPage title="page.landing.title" body="page.landing.body" />);
