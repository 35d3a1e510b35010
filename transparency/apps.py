from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "transparency"
    verbose_name = "公开验证 / Transparency"

    def ready(self) -> None:
        from lots.signals import round_status_changed
        from transparency import services

        # When bidding ends, the round's transcript is built and signed, and the chain heads anchored.
        round_status_changed.connect(services.on_round_status_changed, dispatch_uid="transparency.transcript")
