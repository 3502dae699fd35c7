import { mountStatic } from '../shared/Shell';
import { TextPage } from './static';

mountStatic(() => <TextPage title="page.terms.title" body="page.terms.body" />);
