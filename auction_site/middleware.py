"""Chinese first: the browser's Accept-Language does not switch the UI to English; only the
language toggle (Django's language cookie, set by /i18n/setlang/) does."""

from django.http import HttpRequest, HttpResponse


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
