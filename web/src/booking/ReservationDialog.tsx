// A reservation's details and what the user may do to it (cancel, check in,
// approve), opened from the timeline.
import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, makeStyles,
} from '@fluentui/react-components';
import { DateTime } from 'luxon';
import { t } from '../shared/i18n';
import { formatDateTime, formatTime } from '../shared/time';
import type { BookingApi, Reservation, Room } from './model';
import { ReservationActions } from './Actions';
import { StatusBadge } from './Lists';

const useStyles = makeStyles({
  details: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 16px', margin: 0 },
});

/** A reservation's details and what the user may do to it. */
export function ReservationDialog(props: {
  bapi: BookingApi; reservation: Reservation; room: Room | undefined; zone: string; userId: string; admin: boolean;
  onClose: () => void; onChanged: (r: Reservation) => void;
}) {
  const s = useStyles();
  const r = props.reservation;
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{r.title}</DialogTitle>
          <DialogContent>
            <dl className={s.details} id="reservation-details">
              <dt>{t('booking.book.room')}</dt>
              <dd>{r.resourceName ?? props.room?.name ?? r.resourceId}</dd>
              <dt>{t('booking.when')}</dt>
              <dd>
                {formatDateTime(r.startDate, props.zone)} – {formatTime(r.endDate, props.zone)}
                {props.room && props.room.timeZone !== props.zone &&
                  ` (${DateTime.fromISO(r.startDate).setZone(props.room.timeZone).toFormat('HH:mm')} ${props.room.timeZone})`}
              </dd>
              <dt>{t('booking.organizer')}</dt>
              <dd>{r.organizerName || r.organizer}</dd>
              {r.participants?.length ? (
                <>
                  <dt>{t('booking.book.participants')}</dt>
                  <dd>{r.participants.map((p) => p.name || p.email || p.upn || p.objectId).join(', ')}</dd>
                </>
              ) : null}
              <dt>{t('booking.status')}</dt>
              <dd><StatusBadge r={r} /></dd>
              {r.checkInBy && (
                <>
                  <dt>{t('booking.checkInBy')}</dt>
                  <dd>{formatTime(r.checkInBy, props.zone)}</dd>
                </>
              )}
            </dl>
          </DialogContent>
          <DialogActions fluid>
            {/* Close comes first and takes the focus: the Enter that opened the
                dialog must not land on "Cancel reservation". */}
            <Button onClick={props.onClose} autoFocus id="reservation-close">{t('form.close')}</Button>
            <ReservationActions bapi={props.bapi} reservation={r} room={props.room} userId={props.userId} admin={props.admin}
              onChanged={props.onChanged} />
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}


