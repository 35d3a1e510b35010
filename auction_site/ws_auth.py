"""Websocket auth: `?token=<token>` (DRF token) or the session cookie (ARCHITECTURE.md, Auth)."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddleware, CookieMiddleware, SessionMiddleware
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token and token.user.is_active:
        return token.user
    return AnonymousUser()


class _TokenAuth(AuthMiddleware):
    async def resolve_scope(self, scope):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        if token:
            scope["user"]._wrapped = await _user_for_token(token)
        else:
            await super().resolve_scope(scope)


def TokenOrSessionAuthMiddleware(inner):  # noqa: N802 (mirrors channels' AuthMiddlewareStack)
    return CookieMiddleware(SessionMiddleware(_TokenAuth(inner)))
