import { mountStatic } from '../shared/Shell';
import { TextPage } from './static';

mountStatic(() => <TextPage title="page.privacy.title" body="page.privacy.body" />);
