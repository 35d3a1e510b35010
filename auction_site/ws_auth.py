"""Who a websocket is, decided once, here (ARCHITECTURE.md, Auth; docs/bidding.md, Websocket).

- A query string that names a token (`?token=<token>`, even an empty one) is token authentication
  and nothing else: a valid token of an active user is that user; anything else is anonymous. It never
  falls back to the session cookie (a page elsewhere could otherwise open `?token=` and bid with a
  signed-in visitor's session).
- Without a token, the session cookie identifies the user only when the socket comes from a page of
  this site: no `Origin` header (not a browser), or an `Origin` whose host is the `Host` header (the
  load balancer passes `Host` through). A page on another site can still watch, as anyone may.

The outcome is in the scope: `scope["user"]` and `scope["auth"]` = "token" | "session" | "anonymous".
Consumers use them as they are.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger("auction_site.ws_auth")


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token and token.user.is_active:
        return token.user
    return AnonymousUser()


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def same_site(scope: dict[str, Any]) -> bool:
    """No Origin header (non-browser clients), or an Origin on our own host."""
    origin = _header(scope, b"origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == _header(scope, b"host").lower()


def requested_token(scope: dict[str, Any]) -> str | None:
    """The token the query string names ("" for `?token=`), or None when it names none."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    values = query.get("token")
    return None if values is None else values[0]


class WebsocketAuthMiddleware(BaseMiddleware):
    """Sets `scope["user"]` and `scope["auth"]` (needs channels' cookie and session middleware above it)."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        token = requested_token(scope)
        user, how = AnonymousUser(), "anonymous"
        if token is not None:
            if token:
                user = await _user_for_token(token)
            if user.is_authenticated:
                how = "token"
            else:
                logger.info("websocket %s: unknown or empty token, served as anonymous", scope.get("path"))
        elif same_site(scope):
            user = await get_user(scope)
            if user.is_authenticated:
                how = "session"
        elif settings.SESSION_COOKIE_NAME in (scope.get("cookies") or {}):
            logger.info("websocket %s from another site (%s): session cookie ignored", scope.get("path"), _header(scope, b"origin"))
        scope["user"], scope["auth"] = user, how
        return await super().__call__(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner):  # noqa: N802 (mirrors channels' AuthMiddlewareStack)
    return CookieMiddleware(SessionMiddleware(WebsocketAuthMiddleware(inner)))
