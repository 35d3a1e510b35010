"""Who hears about a round's status change, written to the notifications outbox inside the change's transaction.

Called by `lots.rounds.change_status` (the only writer of a status), so a change rolled back tells nobody and
each change is told once (the key names the round, the status and its sequence number). The audience
``round`` (registered bidders, reminders, watchers) is filled in by the apps that know it (notifications.audiences).
"""

from __future__ import annotations

from lots.models import Round
from notifications import kinds
from notifications.audiences import members
from notifications.services import notify_audience

Status = Round.Status


def tell(rnd: Round, before: str, status: str) -> None:
    url = f"/lots/{rnd.lot_id}/"
    key = f"round:{rnd.pk}:{status}:{rnd.seq}"
    reason = {"reason": rnd.status_reason} if rnd.status_reason else {}
    if status == Status.OPEN and before == Status.ANNOUNCED:
        notify_audience("round", rnd.pk, kinds.OPENED.name, key=key, url=url, data=kinds.round_data(rnd, when=rnd.ends_at))
    elif before == Status.SUSPENDED and status in {Status.OPEN, Status.ANNOUNCED}:
        notify_audience("round", rnd.pk, kinds.RESUMED.name, key=key, url=url, data=kinds.round_data(rnd, when=rnd.starts_at))
    elif status == Status.SUSPENDED:
        notify_audience("round", rnd.pk, kinds.SUSPENDED.name, key=key, url=url, data=kinds.round_data(rnd, **reason))
    elif status == Status.WITHDRAWN:
        notify_audience("round", rnd.pk, kinds.WITHDRAWN.name, key=key, url=url, data=kinds.round_data(rnd, **reason))
    elif status == Status.SOLD:
        winners = members("round_winner", rnd.pk)
        notify_audience("round_winner", rnd.pk, kinds.WON.name, key=f"round:{rnd.pk}:won", url=url,
                        data=kinds.round_data(rnd, amount=rnd.sold_price, when=rnd.balance_due_at))
        # 未竞得: the other bidders who registered (watchers and reminders only hear the round ended if they bid)
        notify_audience("round_bidders", rnd.pk, kinds.LOST.name, key=f"round:{rnd.pk}:lost", url=url,
                        data=kinds.round_data(rnd, amount=rnd.sold_price), exclude=winners)
