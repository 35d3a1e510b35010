from django.conf import settings
from django.http import HttpRequest


def site_context(request: HttpRequest) -> dict:
    return {"AUCTION_MODE": settings.AUCTION_MODE, "CLOCK_ADVANCE_ALLOWED": settings.CLOCK_ADVANCE_ALLOWED}
