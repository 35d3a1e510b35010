"""Every write of the valuation app: one function per use case, each transactional and audited.

The public surface — what the API, the pages, the clock, the demo and other apps call — is the names below (the
modules of this package are its inside; import from ``valuation.services``). The actor comes first and positionally
(None for the clock or a token holder), every other argument is keyword-only. Access checks are ``lots.access``
(the judge) and ``valuation.access`` (parties, valuers); reads are ``valuation.selectors``.

- ``join_organisation(user, *, organisation_code) -> Valuer``                  (accounts' create_account, the admin)
- ``start_valuation(judge, *, lot, method, deadline=None, agency=None, price_basis="", institutions=None,
  fallback_agency=None, fallback_basis="") -> Valuation``                    (B2, B4–B20)
- ``submit_offer(user, *, valuation, price) -> PartyOffer``                 (B4)
- ``store_report(actor, *, inquiry, uploaded) -> (key, size)``, ``discard_report(key)``   (PDF only)
- ``submit_quote(actor, *, inquiry, price, valid_until, report_key="", via_token=False) -> Quote``
- ``request_extension(actor, *, inquiry, days=None, via_token=False) -> Inquiry``   (B11 network, B19 appraisal)
- ``request_correction(judge, *, inquiry, reason) -> Inquiry``              (B12)
- ``file_objection(user, *, valuation, ground, reason, inquiry=None) -> Objection``    (B22, B24)
- ``decide_objection(judge, *, objection, upheld, note="") -> Objection``   (B22; upheld: B13 / next institution)
- ``award_network_fee(round) -> FeeAward | None``, ``award_fees_for_sold_rounds() -> int``   (B31)
- ``replay_lottery(valuation) -> dict``, ``commit_lottery(user, *, valuation, commitment)``, ``reveal_lottery(user, *,
  valuation, secret)``, ``run_lottery(actor, *, valuation) -> dict``   (B16, commit-reveal)
- ``mark_notifications_read(user) -> int``
- ``notify_case_parties(case_id, kind, subject, body, *, valuation=None, exclude_user=None, only_user_id=None) -> int``
  (THE function through which the parties of a case hear of each step: valuation, rounds, the case account)
- the clock: ``process_deadlines(now) -> dict``, ``drain_outbox(now) -> dict``

Inside (lowest first; a module imports only those above it in this list):
``refusals`` (a rule's verdict as a refusal) · ``locks`` (every row lock, and their order) · ``providers`` (HTTP and
SMTP calls, no database) · ``outbox`` (messages to providers, sent after commit) · ``notices`` (notifications) ·
``reference`` (fixing a result, delivery B21, the lot's reference price) · ``lottery`` (B16) · ``reports`` (PDFs) ·
``sending`` (inquiries to organisations) · ``lifecycle`` (start, conclude or fail and fall through, B2) · ``network``
(B11, B12) · ``appraisal`` (B19) · ``negotiated`` (B4) · ``answers`` (quotes, extensions) · ``objections`` (B22) ·
``fees`` (B31) · ``organisations`` · ``deadlines`` (the clock's decisions).
"""

from valuation.services.answers import request_extension, submit_quote
from valuation.services.appraisal import commit_lottery, reveal_lottery, run_lottery
from valuation.services.deadlines import process_deadlines
from valuation.services.fees import award_fees_for_sold_rounds, award_network_fee
from valuation.services.lifecycle import start_valuation
from valuation.services.lottery import replay_lottery
from valuation.services.negotiated import submit_offer
from valuation.services.network import request_correction
from valuation.services.notices import mark_notifications_read, notify_case_parties
from valuation.services.objections import decide_objection, file_objection
from valuation.services.organisations import join_organisation
from valuation.services.outbox import drain as drain_outbox
from valuation.services.reports import REPORT_PREFIX, discard_report, store_report

__all__ = [
    "REPORT_PREFIX", "award_fees_for_sold_rounds", "award_network_fee", "commit_lottery", "decide_objection", "discard_report", "drain_outbox",
    "file_objection", "join_organisation", "mark_notifications_read", "notify_case_parties", "process_deadlines", "replay_lottery", "request_correction", "reveal_lottery", "run_lottery",
    "request_extension", "start_valuation", "store_report", "submit_offer", "submit_quote",
]
