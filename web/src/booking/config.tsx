// Placeholder of the Booking Room Pro config page, replaced by the booking tab.
import { Text } from '@fluentui/react-components';
import { mountPage } from '../shared/Shell';

mountPage(() => <Text as="p">Booking Room Pro settings</Text>);
