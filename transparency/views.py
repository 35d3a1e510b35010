"""Pages: the round verifier (the checking is done by the browser, not by us) and the anchors list."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from lots.models import Round
from transparency import selectors


def verify_round(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(Round.objects.select_related("lot"), pk=round_id)
    # The status events' names in the page's language, for the verifier's table (the script reads them).
    statuses = {value: str(label) for value, label in Round.Status.choices}
    return render(request, "transparency/verify_round.html", {"round": rnd, "key": selectors.public_key(), "statuses": statuses})


def anchors(request: HttpRequest) -> HttpResponse:
    return render(request, "transparency/anchors.html", {"anchors": selectors.recent_anchors(), "key": selectors.public_key()})
