// Placeholder of the Booking Room Pro content page, replaced by the booking tab.
import { Text } from '@fluentui/react-components';
import { mountPage } from '../shared/Shell';

mountPage(() => <Text as="p">Booking Room Pro</Text>);
