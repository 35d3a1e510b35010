from django.apps import AppConfig


class EscrowConfig(AppConfig):
    name = "escrow"
    verbose_name = "保证金与资金 / Escrow"

    def ready(self) -> None:
        from escrow import desk, services
        from lots.signals import case_opened, court_desk, round_status_changed

        # A28: the deposits of a withdrawn round are released at once; each new case gets its account (lots.signals).
        round_status_changed.connect(services.on_round_status_changed, dispatch_uid="escrow.release_on_withdrawal")
        case_opened.connect(services.on_case_opened, dispatch_uid="escrow.open_case_account")
        # The judge's desk on /court/: every duty of the court by legal deadline (escrow.desk).
        court_desk.connect(desk.on_court_desk, dispatch_uid="escrow.court_desk")
