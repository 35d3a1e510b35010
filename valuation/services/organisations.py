"""Valuer accounts of the organisations (inquiry platforms, agencies, appraisal institutions)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Role
from auction_site import audit, clock
from auction_site.errors import NotFound
from valuation.models import Organisation, Valuer
from valuation.services import locks


def join_organisation(user: Any, /, *, organisation_code: str) -> Valuer:
    """Make `user` a valuer account of the organisation with this code (role becomes valuer)."""
    with transaction.atomic():
        found = Organisation.objects.filter(code=organisation_code).values_list("pk", flat=True).first()
        if found is None:
            raise NotFound(f"机构代码不存在 / no organisation with code {organisation_code!r}")
        org = locks.organisation(found)  # the organisation's chain: its valuers
        valuer, created = locks.valuers().get_or_create(user=user, defaults={"organisation": org, "joined_at": clock.now()})
        if not created and valuer.organisation_id != org.pk:
            valuer.organisation = org
            valuer.joined_at = clock.now()
            valuer.save(update_fields=["organisation", "joined_at"])
        if user.role != Role.VALUER:
            user.role = Role.VALUER
            user.save(update_fields=["role"])
        audit.record("valuation.valuer_joined", valuer, chain=org, data={"user": user.username, "organisation": org.code})
    return valuer
