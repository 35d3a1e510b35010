from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = "结算与报表 / Settlement"

    def ready(self) -> None:
        from lots.signals import party_linked, round_status_changed
        from settlement import party

        # 执行公开: the linked parties of a case hear of each step of its rounds, and of their own link (lots.signals).
        round_status_changed.connect(party.on_round_status_changed, dispatch_uid="settlement.tell_parties_round")
        party_linked.connect(party.on_party_linked, dispatch_uid="settlement.tell_party_linked")
