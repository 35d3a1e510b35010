"""A legal rule's verdict (valuation/rules.py) turned into the API's refusal: ``{"error": {code, message}}``, 4xx."""

from __future__ import annotations

from auction_site.errors import DomainError, Refusal


def refuse(violation: Refusal | None, status: int = 400) -> None:
    """Raise the violation (its article cited in the message); do nothing when the rule is satisfied."""
    if violation is not None:
        raise DomainError(violation, str(violation), status=status)
