// What a user may do to one reservation, wherever it is shown: check in
// (only inside the check-in window), cancel, and for the room's managers
// approve or decline a pending one. The API has the last word; its refusal
// is shown beside the buttons.
import { useState } from 'react';
import { Button, MessageBar, MessageBarBody, makeStyles } from '@fluentui/react-components';
import { t } from '../shared/i18n';
import { inCheckInWindow, manages, type BookingApi, type Reservation, type Room } from './model';
import { asApiError, now } from './util';

const useStyles = makeStyles({
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' },
});

type Action = 'checkin' | 'cancel' | 'approve' | 'decline';

/** The actions user may take on r now. */
export function actionsFor(r: Reservation, room: Room | undefined, userId: string, admin: boolean): Action[] {
  const mine = r.organizer.toLowerCase() === userId.toLowerCase();
  const manager = room ? manages(room, userId, admin) : admin;
  const out: Action[] = [];
  if ((mine || manager) && inCheckInWindow(r, now())) out.push('checkin');
  if (r.status === 'pending' && manager) out.push('approve', 'decline');
  if ((r.status === 'confirmed' || r.status === 'pending') && (mine || manager)) out.push('cancel');
  return out;
}

export function ReservationActions(props: {
  bapi: BookingApi;
  reservation: Reservation;
  room: Room | undefined;
  userId: string;
  admin: boolean;
  onChanged: (r: Reservation) => void;
}) {
  const s = useStyles();
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const r = props.reservation;
  const acts = actionsFor(r, props.room, props.userId, props.admin);
  const run = async (a: Action) => {
    setBusy(true);
    setErr(null);
    try {
      const res = await props.bapi.act(r.id, a);
      props.onChanged(res.data);
    } catch (e) {
      setErr(asApiError(e).detail);
    } finally {
      setBusy(false);
    }
  };
  if (acts.length === 0 && !err) return null;
  return (
    <div className={s.row}>
      {acts.map((a) => (
        <Button
          key={a}
          size="small"
          appearance={a === 'checkin' || a === 'approve' ? 'primary' : 'secondary'}
          disabled={busy}
          onClick={() => run(a)}
          data-action={a}
          aria-label={t('booking.action.' + a + '.label', { title: r.title })}
        >
          {t('booking.action.' + a)}
        </Button>
      ))}
      {err && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>{err}</MessageBarBody>
        </MessageBar>
      )}
    </div>
  );
}
