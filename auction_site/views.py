from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site import clock
from auction_site.fields import StrictIntegerField


def next_url(request: HttpRequest, default: str) -> str:
    """A form's `next` (posted, or in the page's query string), only when it points back at this site
    over the request's own scheme (no open redirect, no HTTPS-to-HTTP downgrade); else `default`."""
    nxt = request.POST.get("next", "") or request.GET.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "now": clock.now().isoformat()})


class ClockAdvanceSerializer(serializers.Serializer):
    advance_seconds = StrictIntegerField(min_value=0, max_value=10 * 365 * 86400)


class TestingClockView(APIView):
    """Test/demo mode only: advance the one clock. 404 in production (ARCHITECTURE.md)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def _guard(self) -> None:
        if not settings.CLOCK_ADVANCE_ALLOWED:
            raise Http404

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        self._guard()
        return Response({"now": clock.now().isoformat()})

    @extend_schema(request=ClockAdvanceSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        self._guard()
        ser = ClockAdvanceSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        now = clock.advance(ser.validated_data["advance_seconds"])
        return Response({"now": now.isoformat()})
