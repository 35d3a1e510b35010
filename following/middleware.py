"""Counts a view of a lot page (围观次数): a successful GET of /lots/<id>/ by anyone, one Redis increment (following.counters)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from following import counters


class CountLotViews:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "GET" and response.status_code == 200 and match is not None and match.view_name == "lots:lot":
            counters.count_view(int(match.kwargs["lot_id"]))
        return response
