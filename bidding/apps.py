from django.apps import AppConfig


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = "竞价 / Bidding"

    def ready(self) -> None:
        from bidding import events
        from lots.signals import round_status_changed

        # Every status change of a round reaches its watchers as a `status` event (lots.signals).
        round_status_changed.connect(events.on_round_status_changed, dispatch_uid="bidding.publish_status")
