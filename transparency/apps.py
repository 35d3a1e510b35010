from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "transparency"
    verbose_name = "公开验证 / Transparency"

    def ready(self) -> None:
        from lots.signals import round_status_changed
        from transparency import selectors, services
        from valuation import beacon

        # When bidding ends, the round's transcript is built and signed, and the chain heads anchored.
        round_status_changed.connect(services.on_round_status_changed, dispatch_uid="transparency.transcript")
        # B16: the appraisal lottery's beacon is the transcript root of the last round closed before the draw time.
        beacon.register(selectors.last_root_before)
