import { Text } from '@fluentui/react-components';
import { mountPage } from '../shared/Shell';

mountPage(() => <Text as="p">Calendar Pro settings</Text>);
