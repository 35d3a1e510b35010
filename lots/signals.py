"""Hooks through which the lots app lets higher apps react to a round, without importing them.

Each signal is sent with `transaction.on_commit`, so a receiver only ever sees committed changes,
and a receiver that fails never undoes the change (it is logged; the receiving app's clock repairs
what it missed). Receivers are connected in the receiving app's `AppConfig.ready()`:

- `round_status_changed(round_id, status, previous, seq, ends_at, actor)` after every status change
  (lots.rounds.change_status): bidding publishes the websocket `status` event from it; escrow
  releases the deposits of a withdrawn round at once (A28).
- `case_opened(case_id)` after a judge opens a case mirror (lots.services.create_case): escrow opens
  the case's own account (一案一账号).
- `party_linked(case_id, party_id, user_id, linked)` after the judge links (or unlinks, `linked=False`) a party's
  account (lots.services.link_party / unlink_party): the parties' notices tell the account.

One hook is a read, not a change, and is sent at once (not on commit):

- `court_desk(court_id, now)` when the judge's /court/ page is drawn: each receiver returns a list of
  lots.deadlines.Deadline rows (escrow.desk.court_desk: every duty of the court by legal deadline, since
  its facts reach up to escrow's deposits and balances).
"""

from django.dispatch import Signal

round_status_changed = Signal()
case_opened = Signal()
party_linked = Signal()
court_desk = Signal()
