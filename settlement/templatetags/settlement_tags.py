"""Template helpers of settlement: the sale documents of a round with signed URLs, money formats."""

from django import template
from django.utils.translation import get_language

from auction_site.money import capital, yuan
from settlement import services
from settlement.models import SaleDocument

register = template.Library()


@register.simple_tag
def sale_documents(round) -> list[dict]:
    """[{kind, title, url}] for the round's generated documents (signed URLs on S3)."""
    if round is None or not getattr(round, "pk", None):
        return []
    return [{"kind": d.kind, "title": d.get_kind_display(), "url": services.document_url(d)}
            for d in SaleDocument.objects.filter(round=round).order_by("kind")]


@register.filter
def fen_yuan(fen) -> str:
    return yuan(fen)


@register.filter
def fen_capital(fen) -> str:
    """Chinese capital numerals (大写), a Chinese convention: shown on Chinese pages only (one language a page)."""
    if fen is None or not (get_language() or "zh-hans").startswith("zh"):
        return ""
    return capital(fen)


@register.filter
def bp_percent(bp) -> str:
    """Basis points → '12.34%'."""
    if bp is None or bp == "":
        return "—"
    bp = int(bp)
    sign = "-" if bp < 0 else ""
    bp = abs(bp)
    return f"{sign}{bp // 100}.{bp % 100:02d}%"


@register.filter
def round_ended(round) -> bool:
    from settlement.rules import ENDED_STATUSES

    return getattr(round, "status", "") in ENDED_STATUSES


@register.filter
def round_has_deal(round) -> bool:
    from settlement.rules import DEAL_STATUSES

    return getattr(round, "status", "") in DEAL_STATUSES
