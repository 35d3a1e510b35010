"""What the HTTP server must not do before Django sees a request.

Twisted (under Daphne) parses the body of every multipart/form-data POST itself, for arguments
Daphne never reads, and answers a body it cannot parse with a bare, empty 400 and a dropped
connection: the API's refusal shape never gets a chance. Daphne hands Django the raw body anyway,
so switching Twisted's form parsing off changes nothing else (and spares parsing uploads twice).
"""

from __future__ import annotations


class _Off:
    """A class-level value that instances cannot override (Twisted sets the flag in __init__)."""

    def __get__(self, instance, owner=None) -> bool:
        return False

    def __set__(self, instance, value) -> None:
        return None


def disable_server_form_parsing() -> None:
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # another ASGI server: nothing parses ahead of Django
        return
    WebRequest._parsePOSTFormSubmission = _Off()
